"""The organisation's lesson library through real launches: search, export, import.

Exports are ZIPs of .md files and images that `peerpath content check` accepts.
"""

from __future__ import annotations

import io
import zipfile

from lessons_support import SIMPLE_LESSON, Member, png_bytes
from sqlalchemy import func, select

from content import check_lesson
from lti_tool.extensions import db
from lti_tool.models import Lesson, User


def _publish(lti, author: Member, reviewer_sub: str, source: str) -> str:
    lesson_id = author.new_lesson()
    assert author.post_json(f"/lessons/{lesson_id}/source", {"source": source}).status_code == 200
    with lti.app.app_context():
        reviewer = db.session.scalars(select(User.public_id).where(User.sub == reviewer_sub)).one()
    assert author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": reviewer}).status_code == 200
    assert author.post(f"/lessons/{lesson_id}/publish").status_code == 200
    return lesson_id


OTHER = """---
title: Pairing on a bug
tags: [engineering]
authors: [Kenji Watanabe]
---

Two people, one keyboard.
"""


def test_library_search_by_title_tag_and_author(lti):
    Member.launch(lti, "u-2002")
    author = Member.launch(lti, "u-2001")
    _publish(lti, author, "u-2002", SIMPLE_LESSON)
    _publish(lti, author, "u-2002", OTHER)
    draft = author.new_lesson()  # unpublished: never listed for others
    author.post_json(f"/lessons/{draft}/source", {"source": OTHER.replace("Pairing on a bug", "Secret draft")})

    reader = Member.launch(lti, "u-2003")

    def titles(**params) -> set[str]:
        page = reader.get("/lessons/", **params)
        assert page.status_code == 200
        section = page.text.split('id="published-heading"')[1].split("</section>")[0]
        return {t for t in ("Running a stand-up", "Pairing on a bug", "Secret draft") if t in section}

    assert titles() == {"Running a stand-up", "Pairing on a bug"}
    assert titles(tag="teamwork") == {"Running a stand-up"}  # tags are matched lower-cased, whole
    assert titles(tag="team") == set()
    assert titles(author="kenji") == {"Pairing on a bug"}
    assert titles(author="Ana Souza") == {"Running a stand-up"}
    assert titles(q="STAND") == {"Running a stand-up"}
    assert titles(q="100%_") == set()
    assert "Secret draft" not in reader.get("/lessons/").text


def test_export_and_import_round_trip(lti):
    Member.launch(lti, "u-2002")
    author = Member.launch(lti, "u-2001")
    lesson_id = author.new_lesson()
    upload = author.post(f"/lessons/{lesson_id}/assets", {"alt": "Team at the board"},
                         files={"file": ("board.png", png_bytes(), "image/png")},
                         headers={"Accept": "application/json"}).json()
    source = SIMPLE_LESSON + f"\n{upload['markdown']}\n"
    assert author.post_json(f"/lessons/{lesson_id}/source", {"source": source}).status_code == 200
    with lti.app.app_context():
        reviewer = db.session.scalars(select(User.public_id).where(User.sub == "u-2002")).one()
    author.post(f"/lessons/{lesson_id}/review-requests", {"reviewer": reviewer})
    assert author.post(f"/lessons/{lesson_id}/publish").status_code == 200

    reader = Member.launch(lti, "u-2003")
    exported = reader.get(f"/lessons/{lesson_id}/export.zip")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    assert sorted(archive.namelist()) == sorted(["running-a-stand-up.md", upload["filename"]])
    md = archive.read("running-a-stand-up.md")
    assert md.decode() == source
    assert archive.read(upload["filename"]) == png_bytes()
    assert [p for p in check_lesson(md, "running-a-stand-up.md") if p.severity == "error"] == []

    whole = zipfile.ZipFile(io.BytesIO(reader.get("/lessons/export.zip").content))
    assert "running-a-stand-up.md" in whole.namelist()

    # Import the exported file as a new draft of the reader's own.
    imported = reader.post("/lessons/import", files={"file": ("running-a-stand-up.md", md, "text/markdown")})
    assert imported.status_code == 200
    assert "/edit" in imported.url
    with lti.app.app_context():
        lessons = list(db.session.scalars(select(Lesson).order_by(Lesson.id)))
        assert len(lessons) == 2
        assert lessons[1].source == source and lessons[1].status == "draft"
        assert lessons[1].created_by_id != lessons[0].created_by_id


def test_import_with_errors_stores_nothing_and_names_the_lines(lti):
    member = Member.launch(lti, "u-2001")
    broken = b"---\ntitle: Broken\nlevel: expert\n---\n\n::: quiz single\nWhich?\n\n- [ ] a\n- [ ] b\n:::\n"
    refused = member.post("/lessons/import", files={"file": ("broken.md", broken, "text/markdown")})
    assert refused.status_code == 400
    assert "Line 3" in refused.text and "level" in refused.text
    assert "Line 6" in refused.text and "no correct answer" in refused.text
    not_md = member.post("/lessons/import", files={"file": ("lesson.txt", b"hello", "text/plain")})
    assert not_md.status_code == 400
    with lti.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0
