"""The editor's "Lesson details" form: fields that write the front matter, through real launches.

With JavaScript the form sends one changed field with the current text and gets the rewritten
text back (the editor previews and autosaves it); without, a plain POST rewrites the saved draft.
"""

from __future__ import annotations

import html
import re

import requests
from lessons_support import SIMPLE_LESSON, Member
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import Lesson

BODY = SIMPLE_LESSON.split("---\n", 2)[2]


def _lesson(lti, public_id: str) -> Lesson:
    with lti.app.app_context():
        lesson = db.session.scalars(select(Lesson).where(Lesson.public_id == public_id)).one()
        db.session.expunge(lesson)
        return lesson


def _draft(lti, member: Member, source: str = SIMPLE_LESSON) -> str:
    lesson_id = member.new_lesson()
    saved = member.post_json(f"/lessons/{lesson_id}/source", {"source": source})
    assert saved.status_code == 200, saved.text
    return lesson_id


def _field(page: str, name: str) -> str:
    found = re.search(
        rf'<input type="(?:text|number)" id="fm-[a-z-]+" name="{name}" value="([^"]*)"', page
    )
    assert found, f"no field {name}"
    return html.unescape(found.group(1))


def test_editor_shows_the_front_matter_as_labelled_fields(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = _draft(lti, ana)
    page = ana.get(f"/lessons/{lesson_id}/edit").text
    assert _field(page, "title") == "Running a stand-up"
    assert _field(page, "tags") == "meetings, Teamwork"
    assert _field(page, "pass_mark") == "50"
    assert re.search(r'id="fm-certificate" name="certificate" value="true" checked', page)
    assert '<option value="">Not set (beginner)</option>' in page
    for field_id in (
        "fm-title",
        "fm-summary",
        "fm-duration",
        "fm-level",
        "fm-language",
        "fm-certificate",
        "fm-pass-mark",
        "fm-tags",
        "fm-authors",
        "fm-objectives",
        "fm-slug",
    ):
        assert f'<label for="{field_id}">' in page, field_id
    assert "lesson-fields.js" in page


def test_a_field_rewrites_the_sent_text_and_keeps_the_body(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = _draft(lti, ana)
    typed = SIMPLE_LESSON + "\nStill typing here.\n"  # newer than the saved draft
    response = ana.post_json(
        f"/lessons/{lesson_id}/front-matter",
        {"source": typed, "fields": {"title": "Stand-ups: 15 minutes", "level": "advanced"}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["changed"] is True
    assert body["source"].startswith(
        "---\ntitle: 'Stand-ups: 15 minutes'\nsummary: Fifteen minutes, three questions.\n"
    )
    assert "\nlevel: advanced\n" in body["source"]
    assert body["source"].endswith(BODY + "\nStill typing here.\n")
    assert (
        body["fields"]["title"] == "Stand-ups: 15 minutes" and body["fields"]["level"] == "advanced"
    )
    # Nothing is saved: the editor autosaves the new text with its revision, as typed text.
    assert _lesson(lti, lesson_id).source == SIMPLE_LESSON
    same = ana.post_json(
        f"/lessons/{lesson_id}/front-matter",
        {"source": typed, "fields": {"title": "Running a stand-up"}},
    )
    assert same.json() == {**same.json(), "changed": False, "source": typed}


def test_preview_answers_with_the_fields_of_the_source(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    fields = ana.post_json(f"/lessons/{lesson_id}/preview", {"source": SIMPLE_LESSON}).json()[
        "fields"
    ]
    assert fields["title"] == "Running a stand-up"
    assert fields["certificate"] is True and fields["authors"] == "Ana Souza"
    # Mid-edit, unreadable YAML: no fields (the page pauses them), the problem keeps its line.
    broken = ana.post_json(
        f"/lessons/{lesson_id}/preview", {"source": "---\ntitle: [oops\n---\nText\n"}
    ).json()
    assert broken["fields"] is None
    assert broken["problems"][0]["line"] >= 2


def test_a_field_cannot_be_written_into_unreadable_front_matter(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    refused = ana.post_json(
        f"/lessons/{lesson_id}/front-matter",
        {"source": "---\ntitle: ok\nsummary: [oops\n---\nText\n", "fields": {"title": "New"}},
    )
    assert refused.status_code == 400
    assert "fix it in the source first" in refused.json()["error"]
    assert refused.json()["problems"][0]["line"] >= 3
    unknown = ana.post_json(
        f"/lessons/{lesson_id}/front-matter", {"source": SIMPLE_LESSON, "fields": {"sumary": "x"}}
    )
    assert unknown.status_code == 400
    wrong_type = ana.post_json(
        f"/lessons/{lesson_id}/front-matter", {"source": SIMPLE_LESSON, "fields": {"title": 5}}
    )
    assert wrong_type.status_code == 400


def test_without_javascript_the_form_rewrites_and_saves_the_draft(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = _draft(lti, ana)
    before = _lesson(lti, lesson_id)
    page = ana.get(f"/lessons/{lesson_id}/edit").text
    # What the browser would send: every field as shown, two of them changed, certificate unticked.
    form = {
        name: _field(page, name)
        for name in ("title", "language", "duration", "pass_mark", "tags", "slug")
    }
    form |= {
        "summary": "Fifteen minutes, three questions.",
        "authors": "Ana Souza\r\nKenji Watanabe",
        "objectives": "",
        "level": "",
        "revision": str(before.draft_revision),
    }
    form["tags"] = "meetings, teamwork, daily"
    response = ana.post(f"/lessons/{lesson_id}/front-matter", form)
    assert response.status_code == 200 and "/edit" in response.url  # back in the editor
    after = _lesson(lti, lesson_id)
    assert after.draft_revision == before.draft_revision + 1
    assert after.source.endswith(BODY)
    head = after.source.split("---\n")[1]
    assert head == (
        "title: Running a stand-up\nsummary: Fifteen minutes, three questions.\n"
        "tags: [meetings, teamwork, daily]\nauthors: [Ana Souza, Kenji Watanabe]\npass_mark: 50\n"
    )
    assert _field(response.text, "tags") == "meetings, teamwork, daily"
    assert "|kenji watanabe|" in after.authors_key  # search fields follow the saved draft
    # A second window still on the old revision must not overwrite it.
    stale = ana.post(f"/lessons/{lesson_id}/front-matter", {**form, "title": "Old window"})
    assert stale.status_code == 409
    assert _lesson(lti, lesson_id).source == after.source


def test_only_the_author_may_use_the_form_and_only_with_csrf(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = _draft(lti, ana)
    ben = Member.launch(lti, "u-2002")
    body = {"source": SIMPLE_LESSON, "fields": {"title": "Mine"}}
    assert ben.post_json(f"/lessons/{lesson_id}/front-matter", body).status_code == 403
    assert (
        ben.post(
            f"/lessons/{lesson_id}/front-matter", {"title": "Mine", "revision": "1"}
        ).status_code
        == 403
    )
    forged = requests.post(
        f"{lti.tool_url}/lessons/{lesson_id}/front-matter",
        data={"lt": ana.token, "title": "Forged", "revision": "1"},
        timeout=10,
    )
    assert forged.status_code == 400
    assert _lesson(lti, lesson_id).source == SIMPLE_LESSON
