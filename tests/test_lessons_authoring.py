"""Writing lessons through real launches: examples, autosave, preview, validation, image upload.

Each test acts as a course member of the dev LMS's seeded course, without cookies.
"""

from __future__ import annotations

from lessons_support import SIMPLE_LESSON, Member, png_bytes
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.lessons.assets import MAX_IMAGE_BYTES
from lti_tool.models import Lesson, LessonAsset


def _lesson(lti, public_id: str) -> Lesson:
    with lti.app.app_context():
        lesson = db.session.scalars(select(Lesson).where(Lesson.public_id == public_id)).one()
        db.session.expunge(lesson)
        return lesson


def _asset_count(lti) -> int:
    with lti.app.app_context():
        return db.session.scalar(select(func.count()).select_from(LessonAsset))


def test_learner_starts_a_lesson_from_an_example_and_sees_it_in_the_editor(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson("01-giving-useful-feedback.md")
    editor = ana.get(f"/lessons/{lesson_id}/edit")
    assert editor.status_code == 200
    assert "Giving useful feedback" in editor.text
    assert "lesson-editor.js" in editor.text
    stored = _lesson(lti, lesson_id)
    assert stored.status == "draft"
    assert stored.source.startswith("---\ntitle: Giving useful feedback")
    assert "|feedback|" in stored.tags_key


def test_autosave_keeps_the_draft_and_refuses_a_stale_revision(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    saved = ana.post_json(f"/lessons/{lesson_id}/source", {"source": SIMPLE_LESSON, "revision": 0})
    assert saved.status_code == 200, saved.text
    assert saved.json()["revision"] == 1
    assert saved.json()["problems"] == []
    stored = _lesson(lti, lesson_id)
    assert stored.source == SIMPLE_LESSON
    assert stored.title == "Running a stand-up"
    # A second tab still on revision 0 must not overwrite what the first one saved.
    stale = ana.post_json(f"/lessons/{lesson_id}/source", {"source": "---\ntitle: Old\n---\n", "revision": 0})
    assert stale.status_code == 409
    assert _lesson(lti, lesson_id).source == SIMPLE_LESSON


def test_preview_returns_sanitised_html_and_never_a_script(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    source = SIMPLE_LESSON + '\n<script>alert("x")</script>\n\n[click](javascript:alert(1))\n\n<img src=x onerror=alert(1)>\n'
    response = ana.post_json(f"/lessons/{lesson_id}/preview", {"source": source})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert "<h2" in body["html"] and "Why" in body["html"]
    assert "<script" not in body["html"]
    assert "href=\"javascript" not in body["html"].replace(" ", "")
    assert "onerror" not in body["html"].replace("onerror=alert(1)&gt;", "")
    assert "<img" not in body["html"]
    # The answers of knowledge checks never reach the browser.
    assert "Fifteen minutes" in body["html"]
    assert 'checked' not in body["html"]
    # The preview does not save.
    assert _lesson(lti, lesson_id).source != source


def test_preview_reports_broken_front_matter_with_line_numbers(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    broken = "---\ntitle: Fine\nsumary: typo here\npass_mark: lots\n---\n\nText.\n"
    body = ana.post_json(f"/lessons/{lesson_id}/preview", {"source": broken}).json()
    assert body["ok"] is False
    assert body["html"] == ""
    by_line = {p["line"]: p for p in body["problems"]}
    assert "unknown front-matter key 'sumary'" in by_line[3]["message"]
    assert "did you mean 'summary'" in by_line[3]["hint"]
    assert "pass_mark" in by_line[4]["message"]
    assert all(p["severity"] == "error" for p in by_line.values())


def test_editor_shows_line_numbered_problems_without_javascript(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    saved = ana.post(f"/lessons/{lesson_id}/source", {"source": "---\ntitle: X\n---\n\n::: quiz single\nQ?\n\n- [ ] a\n- [ ] b\n:::\n"})
    assert saved.status_code == 200  # the form posts back to the editor
    assert "Line 5" in saved.text
    assert "no correct answer" in saved.text


def test_upload_accepts_a_png_and_serves_it_with_safe_headers(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    response = ana.post(
        f"/lessons/{lesson_id}/assets", {"alt": "A red square"},
        files={"file": ("Red Square.PNG", png_bytes(), "application/octet-stream")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "image/png"
    assert body["filename"].startswith("images/red-square-") and body["filename"].endswith(".png")
    assert body["markdown"] == f"![A red square]({body['filename']})"
    image = requests_get(lti.tool_url + body["url"])
    assert image.status_code == 200
    assert image.content == png_bytes()
    assert image.headers["Content-Type"] == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("inline; filename=")
    assert image.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # The preview points the Markdown image at the uploaded file.
    source = SIMPLE_LESSON + f"\n{body['markdown']}\n"
    html = ana.post_json(f"/lessons/{lesson_id}/preview", {"source": source}).json()["html"]
    assert f'src="{body["url"]}"' in html


def requests_get(url: str):
    import requests

    return requests.get(url, timeout=10)


SVG_WITH_SCRIPT = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.domain)</script></svg>"""


def test_upload_refuses_svg_with_script_even_named_png(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    for name, ctype in (("evil.svg", "image/svg+xml"), ("innocent.png", "image/png")):
        response = ana.post(
            f"/lessons/{lesson_id}/assets", files={"file": (name, SVG_WITH_SCRIPT, ctype)},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 415
        assert "SVG is not accepted" in response.json()["error"]
    assert _asset_count(lti) == 0


def test_upload_refuses_a_too_large_image_and_stores_nothing(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    big = png_bytes()[:-12] + b"\0" * (MAX_IMAGE_BYTES + 10)  # a PNG header, then far too much
    response = ana.post(
        f"/lessons/{lesson_id}/assets", files={"file": ("big.png", big, "image/png")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert "2 MB" in response.json()["error"]
    assert _asset_count(lti) == 0


def test_learner_cannot_edit_preview_or_upload_to_someone_elses_draft(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    ana.post_json(f"/lessons/{lesson_id}/source", {"source": SIMPLE_LESSON})
    ben = Member.launch(lti, "u-2002")
    assert ben.get(f"/lessons/{lesson_id}/edit").status_code == 403
    assert ben.post_json(f"/lessons/{lesson_id}/source", {"source": "---\ntitle: Mine now\n---\n"}).status_code == 403
    assert ben.post_json(f"/lessons/{lesson_id}/preview", {"source": "x"}).status_code == 403
    upload = ben.post(f"/lessons/{lesson_id}/assets", files={"file": ("a.png", png_bytes(), "image/png")})
    assert upload.status_code == 403
    # Nor can they see the unpublished draft at all.
    assert ben.get(f"/lessons/{lesson_id}").status_code == 404
    assert _lesson(lti, lesson_id).source == SIMPLE_LESSON
    assert _asset_count(lti) == 0


def test_save_without_csrf_header_is_refused(lti):
    ana = Member.launch(lti, "u-2001")
    lesson_id = ana.new_lesson()
    import requests

    response = requests.post(
        f"{lti.tool_url}/lessons/{lesson_id}/source", json={"source": "---\ntitle: Forged\n---\n"},
        headers={"Authorization": f"Bearer {ana.token}"}, timeout=10,
    )
    assert response.status_code == 400
    assert "Forged" not in _lesson(lti, lesson_id).source


def test_instructors_can_restrict_authoring_to_instructors(lti):
    teacher = Member.launch(lti, "u-1001")
    assert teacher.post("/lessons/settings", {"authoring": "instructors"}).status_code == 200
    ana = Member.launch(lti, "u-2001")
    refused = ana.post("/lessons/new", {"example": ""})
    assert refused.status_code == 403
    assert "only instructors" in refused.text
    assert ana.post("/lessons/settings", {"authoring": "everyone"}).status_code == 403
    assert teacher.new_lesson()
    with lti.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lesson)) == 1


def test_starting_from_an_example_credits_the_writer_not_the_example_authors():
    from lti_tool.lessons.authoring import credit_author

    text = "---\ntitle: T\nauthors: [Ana Souza, Kenji Watanabe]\n---\n\nBody mentions authors: here\n"
    out = credit_author(text, 'Siobhán "Shiv" Ó Súilleabháin')
    assert 'authors: ["Siobhán \\"Shiv\\" Ó Súilleabháin"]' in out
    assert "Ana Souza" not in out
    assert out.endswith("Body mentions authors: here\n")
