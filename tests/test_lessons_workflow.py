"""Draft → in review → published through real launches: reviewers, comments, versions, access.

Version 1 must stay exactly as published when version 2 comes out.
"""

from __future__ import annotations

from lessons_support import SIMPLE_LESSON, Member
from sqlalchemy import select

from content import score
from lti_tool.extensions import db
from lti_tool.lessons.workflow import version_questions
from lti_tool.lti.session import issue_token
from lti_tool.models import (
    Context,
    LaunchSession,
    Lesson,
    LessonComment,
    LessonReview,
    LessonVersion,
    Platform,
    User,
)
from lti_tool.models.base import utcnow


def _user_public_id(lti, sub: str) -> str:
    with lti.app.app_context():
        return db.session.scalars(select(User.public_id).where(User.sub == sub)).one()


def _versions(lti, lesson_id: str) -> list[LessonVersion]:
    with lti.app.app_context():
        rows = list(db.session.scalars(
            select(LessonVersion).join(Lesson, Lesson.id == LessonVersion.lesson_id)
            .where(Lesson.public_id == lesson_id).order_by(LessonVersion.number)
        ))
        for row in rows:
            db.session.expunge(row)
        return rows


def _written(lti, author: Member) -> str:
    lesson_id = author.new_lesson()
    assert author.post_json(f"/lessons/{lesson_id}/source", {"source": SIMPLE_LESSON}).status_code == 200
    return lesson_id


def test_review_then_publish_version_1_then_version_2_leaves_version_1_unchanged(lti):
    reviewer = Member.launch(lti, "u-2002")  # launched, so a member PeerPath knows
    author = Member.launch(lti, "u-2001")
    lesson_id = _written(lti, author)

    # Publishing before anyone was asked is refused.
    early = author.post(f"/lessons/{lesson_id}/publish")
    assert early.status_code == 409
    assert _versions(lti, lesson_id) == []

    asked = author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": _user_public_id(lti, "u-2002")})
    assert asked.status_code == 200
    assert "In review" in asked.text

    page = reviewer.get(f"/lessons/{lesson_id}/review")
    assert page.status_code == 200
    assert "Running a stand-up" in page.text and "Inclusive language" in page.text
    sent = reviewer.post(f"/lessons/{lesson_id}/review", {
        "check-accurate": "yes", "check-clear": "yes", "comment": "Add an **example** of a blocker, line 12.",
        "verdict": "comment",
    })
    assert sent.status_code == 200
    assert "<strong>example</strong>" in sent.text
    with lti.app.app_context():
        review = db.session.scalars(select(LessonReview)).one()
        assert review.status == "commented"
        assert review.checklist == {"accurate": True, "clear": True, "right_length": False, "inclusive_language": False}
        assert db.session.scalars(select(LessonComment)).one().body.startswith("Add an")

    # The author sees the comment, revises and publishes version 1.
    editor = author.get(f"/lessons/{lesson_id}/edit")
    assert "<strong>example</strong>" in editor.text
    published = author.post(f"/lessons/{lesson_id}/publish")
    assert published.status_code == 200
    assert "Reviewed by" in published.text
    (v1,) = _versions(lti, lesson_id)
    assert v1.number == 1 and v1.substantive
    assert v1.title == "Running a stand-up" and v1.points_total == 2 and v1.pass_mark == 50 and v1.certificate
    assert v1.authors == ["Ana Souza"]
    assert len(v1.reviewers) == 1
    assert "<h2" in v1.html and "Fifteen minutes" in v1.html and "checked" not in v1.html
    # Answers are kept server-side and score with content/.
    question = version_questions(v1)[0]
    assert question.id == "length" and score(question, "b").points == 2.0
    v1_html, v1_source = v1.html, v1.source

    # A learner of the same organisation reads it from the library, credits included.
    reader = Member.launch(lti, "u-2003")
    shown = reader.get(f"/lessons/{lesson_id}")
    assert shown.status_code == 200
    assert "Written by" in shown.text and "Ana Souza" in shown.text and "Reviewed by" in shown.text

    # Edit and publish version 2 (a fix, not substantive).
    changed = SIMPLE_LESSON.replace("Short meetings help.", "Short meetings help everyone.")
    assert author.post_json(f"/lessons/{lesson_id}/source", {"source": changed}).status_code == 200
    assert "Short meetings help." in reader.get(f"/lessons/{lesson_id}").text  # learners still see v1
    assert author.post(f"/lessons/{lesson_id}/publish").status_code == 200
    v1_again, v2 = _versions(lti, lesson_id)
    assert v2.number == 2 and not v2.substantive and "help everyone" in v2.html
    assert (v1_again.html, v1_again.source) == (v1_html, v1_source)
    assert "help everyone" in reader.get(f"/lessons/{lesson_id}").text
    # Publishing again with nothing changed is refused.
    assert author.post(f"/lessons/{lesson_id}/publish").status_code == 409


def test_published_versions_cannot_be_changed_in_the_database(lti):
    reviewer = Member.launch(lti, "u-2002")
    author = Member.launch(lti, "u-2001")
    lesson_id = _written(lti, author)
    author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": _user_public_id(lti, "u-2002")})
    assert reviewer.get(f"/lessons/{lesson_id}/review").status_code == 200
    author.post(f"/lessons/{lesson_id}/publish")
    with lti.app.app_context():
        version = db.session.scalars(select(LessonVersion)).one()
        version.html = "<p>tampered</p>"
        try:
            db.session.commit()
        except ValueError as err:
            assert "cannot change" in str(err)
            db.session.rollback()
        else:  # pragma: no cover - the guard failed
            raise AssertionError("a published version was changed")
    assert "tampered" not in _versions(lti, lesson_id)[0].html


def test_colleague_cannot_review_without_an_invitation(lti):
    Member.launch(lti, "u-2002")
    author = Member.launch(lti, "u-2001")
    lesson_id = _written(lti, author)
    author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": _user_public_id(lti, "u-2002")})
    stranger = Member.launch(lti, "u-2003")
    assert stranger.get(f"/lessons/{lesson_id}/review").status_code == 403
    refused = stranger.post(f"/lessons/{lesson_id}/review", {"verdict": "approve", "comment": "LGTM"})
    assert refused.status_code == 403
    # Nor can they publish it or comment on the draft.
    assert stranger.post(f"/lessons/{lesson_id}/publish").status_code == 403
    assert stranger.post(f"/lessons/{lesson_id}/comments", {"comment": "hi"}).status_code == 404
    with lti.app.app_context():
        assert db.session.scalars(select(LessonReview)).one().status == "requested"
        assert db.session.scalars(select(LessonComment)).all() == []


def test_reviewers_must_be_members_of_the_course(lti):
    author = Member.launch(lti, "u-2001")
    lesson_id = _written(lti, author)
    refused = author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": "not-a-member"})
    assert refused.status_code == 400
    with lti.app.app_context():
        assert db.session.scalars(select(Lesson)).one().status == "draft"


def test_member_of_another_platform_cannot_see_the_lesson(lti):
    reviewer = Member.launch(lti, "u-2002")
    author = Member.launch(lti, "u-2001")
    lesson_id = _written(lti, author)
    author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": _user_public_id(lti, "u-2002")})
    assert reviewer.get(f"/lessons/{lesson_id}/review").status_code == 200
    author.post(f"/lessons/{lesson_id}/publish")

    # Another organisation: its own platform, course and launched learner.
    with lti.app.app_context():
        home = db.session.scalars(select(Context)).first()
        other = Platform(issuer="https://other.example", client_id="x", auth_login_url="https://other.example/a",
                         auth_token_url="https://other.example/t", key_set_url="https://other.example/k")
        db.session.add(other)
        db.session.flush()
        outsider = User(platform_id=other.id, sub="outsider", name="Out Sider")
        course = Context(platform_id=other.id, deployment_id=home.deployment_id, lms_context_id="c", title="Other org")
        db.session.add_all([outsider, course])
        db.session.flush()
        session = LaunchSession(id="outsider-session-0000000000000000000000000", user_id=outsider.id,
                                context_id=course.id, roles="learner", message_type="LtiResourceLinkRequest",
                                binding="handle", expires_at=utcnow().replace(year=utcnow().year + 1))
        db.session.add(session)
        db.session.commit()
        with lti.app.test_request_context():
            token = issue_token(session.id)
    import requests

    for path in (f"/lessons/{lesson_id}", f"/lessons/{lesson_id}/export.zip", f"/lessons/{lesson_id}/review"):
        response = requests.get(lti.tool_url + path, params={"lt": token}, timeout=10)
        assert response.status_code == 404, path
        assert "Running a stand-up" not in response.text
    library = requests.get(lti.tool_url + "/lessons/", params={"lt": token, "q": "stand-up"}, timeout=10)
    assert library.status_code == 200
    assert "Running a stand-up" not in library.text
