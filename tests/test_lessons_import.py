"""Importing a whole library ZIP through real launches: round trip with the export, all or
nothing, and every kind of bad archive refused with a message naming the file (and line).
"""

from __future__ import annotations

import io
import struct
import zipfile

from lessons_support import SIMPLE_LESSON, Member, png_bytes
from PIL import Image
from sqlalchemy import func, select
from test_lessons_library import OTHER, _publish

from lti_tool.extensions import db
from lti_tool.lessons import importing
from lti_tool.models import Lesson, LessonAsset, User


def _zip(entries: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data.encode() if isinstance(data, str) else data)
    return buffer.getvalue()


def _import(member: Member, data: bytes, name: str = "library.zip"):
    return member.post("/lessons/import", files={"file": (name, data, "application/zip")})


def _counts(lti) -> tuple[int, int]:
    with lti.app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Lesson)),
            db.session.scalar(select(func.count()).select_from(LessonAsset)),
        )


def _drafts_of(lti, sub: str) -> dict[str, dict]:
    """The person's lessons: source -> {image name: bytes}."""
    with lti.app.app_context():
        user = db.session.scalars(select(User).where(User.sub == sub)).one()
        found = {}
        for lesson in db.session.scalars(select(Lesson).where(Lesson.created_by_id == user.id)):
            assert lesson.status == "draft"
            assets = db.session.scalars(
                select(LessonAsset).where(LessonAsset.lesson_id == lesson.id)
            )
            found[lesson.source] = {a.filename: a.data for a in assets}
        return found


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (5, 5), (10, 200, 10)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_export_then_import_gives_the_same_lessons_and_images(lti):
    Member.launch(lti, "u-2002")
    author = Member.launch(lti, "u-2001")
    with_image = author.new_lesson()
    upload = author.post(
        f"/lessons/{with_image}/assets",
        {"alt": "Team at the board"},
        files={"file": ("board.png", png_bytes(), "image/png")},
        headers={"Accept": "application/json"},
    ).json()
    first = SIMPLE_LESSON + f"\n{upload['markdown']}\n"
    author.post_json(f"/lessons/{with_image}/source", {"source": first})
    with lti.app.app_context():
        reviewer = db.session.scalars(select(User.public_id).where(User.sub == "u-2002")).one()
    author.post(f"/lessons/{with_image}/review-requests", {"reviewer": reviewer})
    assert author.post(f"/lessons/{with_image}/publish").status_code == 200
    _publish(lti, author, "u-2002", OTHER)

    reader = Member.launch(lti, "u-2003")
    exported = reader.get("/lessons/export.zip").content
    assert sorted(zipfile.ZipFile(io.BytesIO(exported)).namelist()) == sorted(
        ["running-a-stand-up.md", "pairing-on-a-bug.md", upload["filename"]]
    )
    imported = _import(reader, exported)
    assert imported.status_code == 200, imported.text
    assert "/lessons/" in imported.url and "2 lessons were imported as drafts" in imported.text
    assert _drafts_of(lti, "u-2003") == {first: {upload["filename"]: png_bytes()}, OTHER: {}}
    # The imported drafts export again to the same files.
    again = reader.get("/lessons/export.zip").content
    assert (
        zipfile.ZipFile(io.BytesIO(again)).namelist()
        == zipfile.ZipFile(io.BytesIO(exported)).namelist()
    )


def test_a_hand_made_library_folder_is_imported_with_its_images_linked(lti):
    member = Member.launch(lti, "u-2001")
    lesson = (
        SIMPLE_LESSON
        + "\n![The board](../pictures/Team%20Board.PNG)\n\n![Logo](logo.jpg)\n\n![Far](https://example.com/x.png)\n"
    )
    data = _zip(
        {
            "my-library/": b"",
            "my-library/lessons/01-stand-up.md": lesson,
            "my-library/lessons/logo.jpg": _jpeg(),
            "my-library/pictures/Team Board.PNG": png_bytes(),
            "my-library/README.md": "Not a lesson",
            "__MACOSX/my-library/._01-stand-up.md": b"\0\0",
            "my-library/.DS_Store": b"\0",
        }
    )
    response = _import(member, data)
    assert response.status_code == 200, response.text
    ((source, images),) = _drafts_of(lti, "u-2001").items()
    names = sorted(images)
    assert names[0].startswith("images/logo-") and names[0].endswith(".jpg")
    assert names[1].startswith("images/team-board-") and names[1].endswith(".png")
    assert images[names[1]] == png_bytes()
    assert f"![The board]({names[1]})" in source and f"![Logo]({names[0]})" in source
    assert "![Far](https://example.com/x.png)" in source
    assert (
        source.replace(names[1], "../pictures/Team%20Board.PNG").replace(names[0], "logo.jpg")
        == lesson
    )


def test_one_bad_lesson_imports_nothing_and_names_its_file_and_line(lti):
    member = Member.launch(lti, "u-2001")
    broken = "---\ntitle: Broken\nlevel: expert\n---\n\nText.\n"
    response = _import(
        member, _zip({"good.md": SIMPLE_LESSON, "team/broken.md": broken, "a.png": png_bytes()})
    )
    assert response.status_code == 400
    assert "Nothing was imported" in response.text
    assert "<code>team/broken.md</code>" in response.text and "Line 3" in response.text
    assert "level &#39;expert&#39; is not known" in response.text
    assert _counts(lti) == (0, 0)


def test_unsafe_names_and_other_files_are_refused_by_name(lti):
    member = Member.launch(lti, "u-2001")
    for name in (
        "../escape.md",
        "/etc/lesson.md",
        "a/../../b.md",
        "C:/lesson.md",
        "dir\\lesson.md",
    ):
        response = _import(member, _zip({"ok.md": SIMPLE_LESSON, name: SIMPLE_LESSON}))
        assert response.status_code == 400, name
        assert "could point outside the library folder" in response.text, name
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = _import(
        member,
        _zip(
            {
                "ok.md": SIMPLE_LESSON,
                "notes.txt": "hi",
                "logo.svg": svg,
                "fake.png": svg,
                "inner.zip": _zip({"x.md": SIMPLE_LESSON}),
            }
        ),
    )
    assert response.status_code == 400
    for name in ("notes.txt", "logo.svg", "inner.zip"):
        assert f"<code>{name}</code>" in response.text
    assert "only lessons (.md) and images" in response.text
    assert "<code>fake.png</code>" in response.text and "SVG is not accepted" in response.text
    assert _counts(lti) == (0, 0)


def test_size_and_count_limits_stop_zip_bombs(lti):
    member = Member.launch(lti, "u-2001")
    # Too many files.
    many = _zip({f"l{i}.md": SIMPLE_LESSON for i in range(importing.MAX_ZIP_ENTRIES + 1)})
    response = _import(member, many)
    assert response.status_code == 400 and f"at most {importing.MAX_ZIP_ENTRIES}" in response.text
    # A bomb: a small ZIP that would unpack to more than the limit.
    bomb = _zip({"bomb.md": b"a" * (importing.MAX_UNPACKED_BYTES + 1)})
    assert len(bomb) < 1_000_000
    response = _import(member, bomb)
    assert response.status_code == 413 and "would unpack to" in response.text
    # A lesson too large for the format, and one whose header lies about its size.
    big = _zip({"big.md": SIMPLE_LESSON + "x" * 1_100_000})
    assert "<code>big.md</code>" in _import(member, big).text
    liar = bytearray(_zip({"liar.md": SIMPLE_LESSON + "y" * 1_500_000}))
    central = liar.index(b"PK\x01\x02")
    liar[central + 24 : central + 28] = struct.pack("<I", 1000)  # claims 1 KB uncompressed
    response = _import(member, bytes(liar))
    assert response.status_code == 400
    assert "<code>liar.md</code>" in response.text and "damaged" in response.text
    # An upload larger than the ZIP limit is refused before it is read.
    response = _import(member, b"PK\x03\x04" + b"\0" * (importing.MAX_ZIP_BYTES + 70_000))
    assert response.status_code == 413
    assert _counts(lti) == (0, 0)


def test_not_a_zip_and_empty_zips_are_refused(lti):
    member = Member.launch(lti, "u-2001")
    response = _import(member, b"PK\x03\x04 but not really a zip")
    assert response.status_code == 400 and "not a ZIP archive" in response.text
    response = _import(member, _zip({"images/a.png": png_bytes()}))
    assert response.status_code == 400 and "no lesson (.md file)" in response.text
    assert _counts(lti) == (0, 0)


def test_importing_a_library_needs_the_right_to_write_lessons(lti):
    teacher = Member.launch(lti, "u-1001")
    assert teacher.post("/lessons/settings", {"authoring": "instructors"}).status_code == 200
    member = Member.launch(lti, "u-2001")
    response = _import(member, _zip({"a.md": SIMPLE_LESSON}))
    assert response.status_code == 403
    assert _counts(lti) == (0, 0)
    assert _import(teacher, _zip({"a.md": SIMPLE_LESSON})).status_code == 200
    assert _counts(lti) == (1, 0)
