"""Placing a published lesson through Deep Linking in the dev LMS: the picker, checks, lineItem.

Also holds the helpers the learning tests use to publish and place a lesson.
"""

from __future__ import annotations

import requests
from lessons_support import SIMPLE_LESSON, Member
from sqlalchemy import select

from lti_tool.devlms.browser import ScriptedBrowser, forms
from lti_tool.extensions import db
from lti_tool.models import Activity, Lesson, Platform, User

UNGRADED_LESSON = """---
title: Reading the room
summary: Notice before you speak.
---

## Look

Who is quiet?
"""


def publish(lti, source: str = SIMPLE_LESSON, author_sub: str = "u-2001", reviewer_sub: str = "u-2002") -> tuple[Member, str]:
    """Write, ask a colleague to review and publish version 1; returns (author, lesson id)."""
    Member.launch(lti, reviewer_sub)
    author = Member.launch(lti, author_sub)
    lesson_id = author.new_lesson()
    assert author.post_json(f"/lessons/{lesson_id}/source", {"source": source}).status_code == 200
    with lti.app.app_context():
        reviewer = db.session.scalars(select(User.public_id).where(User.sub == reviewer_sub)).one()
    assert author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": reviewer}).status_code == 200
    assert author.post(f"/lessons/{lesson_id}/publish").status_code == 200
    return author, lesson_id


def republish(author: Member, lesson_id: str, source: str, substantive: bool) -> None:
    assert author.post_json(f"/lessons/{lesson_id}/source", {"source": source}).status_code == 200
    fields = {"substantive": "yes"} if substantive else {}
    assert author.post(f"/lessons/{lesson_id}/publish", fields).status_code == 200


def picker(lti, user: str = "u-1001"):
    result = lti.launch(user, deep_link=True)
    assert result.response.status_code == 200, result.text
    return result


def choose(result, **fields) -> requests.Response:
    form = next(f for f in forms(result.text) if f.method == "post")
    form.fields.update(fields)
    return ScriptedBrowser().submit(form, result.url)


def dev_links(lti) -> list[dict]:
    return requests.get(f"{lti.lms_url}/api/_dev/courses/{lti.course.course_id}/links", timeout=5).json()


def place(lti, lesson_id: str, max_attempts: int = 3) -> dict:
    """Place the lesson with deep linking as the instructor; returns the dev LMS's new link."""
    before = {link["id"] for link in dev_links(lti)}
    page = choose(picker(lti), kind="lesson", **{"lesson-lesson": lesson_id, "lesson-max_attempts": str(max_attempts)})
    assert page.status_code == 200, page.text
    placed = ScriptedBrowser().submit(forms(page.text)[0], page.url)
    assert placed.status_code == 200, placed.text
    (new,) = [link for link in dev_links(lti) if link["id"] not in before]
    return new


def test_picker_lists_published_lessons_and_places_a_graded_one_with_a_line_item(lti):
    _author, lesson_id = publish(lti)
    page = picker(lti)
    assert "Lesson" in page.text
    assert "Running a stand-up" in page.text and "Fifteen minutes, three questions." in page.text
    assert "graded, 2 points" in page.text
    assert "/lessons/?lt=" in page.text  # write a new one in the library

    link = place(lti, lesson_id, max_attempts=2)
    assert link["title"] == "Running a stand-up"
    assert link["line_item"] is not None and link["line_item"]["score_maximum"] == 2.0
    with lti.app.app_context():
        activity = db.session.scalars(select(Activity).where(Activity.kind == "lesson")).one()
        assert activity.score_maximum == 2.0
        assert activity.settings == {"lesson": lesson_id, "max_attempts": 2, "version_policy": "latest_at_start"}
    # A learner launching the placed link lands on the lesson page.
    learner = lti.launch("u-2003", link=link["id"])
    assert learner.response.status_code == 200
    assert "/learn/" in learner.url and "Running a stand-up" in learner.text


def test_lesson_without_knowledge_checks_is_placed_ungraded(lti):
    _author, lesson_id = publish(lti, UNGRADED_LESSON)
    assert "not graded" in picker(lti).text
    link = place(lti, lesson_id)
    assert link["title"] == "Reading the room"
    assert link["line_item"] is None


def test_picker_refuses_drafts_other_organisations_and_bad_attempts(lti):
    author, published_id = publish(lti)
    draft_id = author.new_lesson()
    with lti.app.app_context():
        other = Platform(issuer="https://other.example", client_id="x", auth_login_url="https://other.example/a",
                         auth_token_url="https://other.example/t", key_set_url="https://other.example/j")
        db.session.add(other)
        db.session.flush()
        foreign = Lesson(platform_id=other.id, title="Foreign", latest_version=1)
        db.session.add(foreign)
        db.session.commit()
        foreign_id = foreign.public_id
    page = picker(lti)
    assert "Foreign" not in page.text
    cases = [
        ({}, "Choose one of the published lessons."),
        ({"lesson-lesson": draft_id}, "has not been published yet"),
        ({"lesson-lesson": foreign_id}, "not in your organisation"),
        ({"lesson-lesson": "nope"}, "not in your organisation"),
        ({"lesson-lesson": published_id, "lesson-max_attempts": "0"}, "from 1 to 10"),
        ({"lesson-lesson": published_id, "lesson-max_attempts": "three"}, "from 1 to 10"),
    ]
    for fields, message in cases:
        refused = choose(page, kind="lesson", **fields)
        assert refused.status_code == 400, fields
        assert message in refused.text, (fields, refused.text)
    with lti.app.app_context():
        assert db.session.scalars(select(Activity).where(Activity.kind == "lesson")).first() is None
