"""Import a whole lesson library from a ZIP: the folder of .md files and images that the
library export writes and ``peerpath content build`` reads.

All or nothing: every entry is checked before anything is stored, then one transaction stores
each lesson as a draft with its images; image links are rewritten to the stored names.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from urllib.parse import unquote

from flask_babel import gettext as _

from content import ContentError, parse_lesson
from content.errors import Problem
from content.lessons import MAX_LESSON_BYTES, decode_lesson

from ..extensions import db
from ..models import Lesson, User
from . import LessonError
from .assets import ASSET_PREFIX, MAX_IMAGE_BYTES, ImageType, asset_name, check_image, new_asset
from .authoring import IMAGE_RE, check_may_author, new_draft

MAX_ZIP_BYTES = 25_000_000
MAX_ZIP_ENTRIES = 500
MAX_UNPACKED_BYTES = 100_000_000  # what all entries together may unpack to (zip bombs)
MAX_PROBLEMS = 50
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
# What operating systems add to a folder they zip; never part of a library, silently left out.
_OS_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


@dataclass
class _Image:
    data: bytes
    checked: tuple[ImageType, int, int]


@dataclass
class PlannedLesson:
    """One lesson of the ZIP, checked: its source (image links rewritten) and the images it uses."""

    entry: str
    source: str
    images: dict[str, _Image] = field(default_factory=dict)  # stored name -> image


def is_zip(filename: str, data: bytes) -> bool:
    return filename.lower().endswith(".zip") or data[:4] == b"PK\x03\x04"


def _unsafe(name: str) -> bool:
    parts = name.split("/")
    return (
        not name
        or len(name) > 255
        or "\\" in name
        or "\0" in name
        or name.startswith("/")
        or bool(_DRIVE_RE.match(name))
        or any(part in ("", "..", ".") for part in parts[:-1] + [parts[-1] or "x"])
    )


def _left_out(name: str) -> bool:
    """Folders, OS metadata and READMEs (``content build`` skips those too)."""
    base = name.rsplit("/", 1)[-1].lower()
    return (
        name.endswith("/")
        or name.split("/", 1)[0] == "__MACOSX"
        or base in _OS_FILES
        or base.startswith("._")
        or base == "readme.md"
    )


def _refuse(problems: list[Problem]) -> LessonError:
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > len(shown):
        shown.append(Problem("", 0, _("… and %(n)d more problems.", n=len(problems) - len(shown))))
    return LessonError(_("Nothing was imported: fix the problems below and try again."), 400, shown)


def _open(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_ZIP_BYTES:
        raise LessonError(
            _(
                "The ZIP is larger than %(limit)d MB. Import the library in parts.",
                limit=MAX_ZIP_BYTES // 1_000_000,
            ),
            413,
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise LessonError(_("This file is not a ZIP archive (or it is damaged)."), 400) from None
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise LessonError(
            _(
                "The ZIP holds %(n)d files; at most %(limit)d can be imported at once.",
                n=len(infos),
                limit=MAX_ZIP_ENTRIES,
            ),
            400,
        )
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise LessonError(
            _(
                "The ZIP would unpack to %(size)d MB; the limit is %(limit)d MB.",
                size=unpacked // 1_000_000,
                limit=MAX_UNPACKED_BYTES // 1_000_000,
            ),
            413,
        )
    return archive


def read_entries(data: bytes) -> tuple[dict[str, bytes], dict[str, bytes], list[Problem]]:
    """The lessons and images of a ZIP by entry name, and a problem for every entry refused."""
    archive = _open(data)
    lessons: dict[str, bytes] = {}
    images: dict[str, bytes] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for info in archive.infolist():
        name = info.filename
        if _unsafe(name):
            problems.append(
                Problem(
                    name,
                    0,
                    _("this name could point outside the library folder"),
                    _("use plain relative names like images/team.png"),
                )
            )
            continue
        if _left_out(name):
            continue
        lower = name.lower()
        if lower.endswith(".md"):
            target, limit = lessons, MAX_LESSON_BYTES
        elif lower.endswith(IMAGE_SUFFIXES):
            target, limit = images, MAX_IMAGE_BYTES
        else:
            problems.append(
                Problem(
                    name,
                    0,
                    _("only lessons (.md) and images (PNG, JPEG, GIF, WebP) can be imported"),
                    _("remove this file from the ZIP"),
                )
            )
            continue
        if name in seen:
            problems.append(
                Problem(name, 0, _("the ZIP holds two files with this name"), _("keep one of them"))
            )
            continue
        seen.add(name)
        if info.flag_bits & 0x1:
            problems.append(
                Problem(name, 0, _("the file is encrypted"), _("make the ZIP without a password"))
            )
            continue
        if info.file_size > limit:
            problems.append(
                Problem(
                    name,
                    0,
                    _(
                        "the file is %(size).1f MB; the limit is %(limit)d MB",
                        size=info.file_size / 1_000_000,
                        limit=limit // 1_000_000,
                    ),
                )
            )
            continue
        try:
            with archive.open(info) as member:
                # Never more than the limit, whatever the header says it holds.
                content = member.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError):
            problems.append(
                Problem(name, 0, _("the file is damaged inside the ZIP"), _("make the ZIP again"))
            )
            continue
        if len(content) > limit:
            problems.append(
                Problem(
                    name,
                    0,
                    _("the file unpacks to more than %(limit)d MB", limit=limit // 1_000_000),
                )
            )
            continue
        target[name] = content
    if not lessons and not problems:
        problems.append(
            Problem(
                "",
                0,
                _("the ZIP holds no lesson (.md file)"),
                _("export a library, or zip a folder of lessons"),
            )
        )
    return lessons, images, problems


def _stored_name(entry: str, data: bytes, kind: ImageType) -> str:
    """An exported image keeps its name (already ``images/<stem>-<hash>.<ext>``), so a
    round trip changes no link; any other gets the name an upload would get."""
    base = entry.rsplit("/", 1)[-1]
    digest = hashlib.sha256(data).hexdigest()[:10]
    if re.fullmatch(rf"[a-z0-9]+(-[a-z0-9]+)*-{digest}\.{kind.ext}", base):
        return ASSET_PREFIX + base
    return asset_name(base, kind, data)


def _link_images(
    entry: str, text: str, images: dict[str, _Image], raw: dict[str, bytes]
) -> PlannedLesson:
    """Store the images the lesson uses under their new names and point its links at them.
    A link to an image that is not in the ZIP stays as it is (the editor warns about it)."""
    planned = PlannedLesson(entry, text)
    folder = posixpath.dirname(entry)

    def relink(match: re.Match) -> str:
        target = match.group(1)
        if ":" in target or target.startswith(("/", "#")):
            return match.group(0)
        path = posixpath.normpath(posixpath.join(folder, unquote(target)))
        image = images.get(path)
        if image is None:
            return match.group(0)
        name = _stored_name(path, raw[path], image.checked[0])
        planned.images[name] = image
        start, end = match.span(1)
        return match.string[match.start() : start] + name + match.string[end : match.end()]

    planned.source = IMAGE_RE.sub(relink, text)
    return planned


def plan_import(data: bytes) -> list[PlannedLesson]:
    """Check a whole library ZIP; LessonError listing every problem (file and line) if any."""
    lessons, raw_images, problems = read_entries(data)
    images: dict[str, _Image] = {}
    for name, content in raw_images.items():
        try:
            images[name] = _Image(content, check_image(content))
        except LessonError as err:
            problems.append(Problem(name, 0, err.message))
    texts: dict[str, str] = {}
    for name, content in lessons.items():
        try:
            texts[name] = decode_lesson(content, name)
            parse_lesson(texts[name], name)
        except ContentError as err:
            problems += err.problems
    if problems:
        raise _refuse(problems)
    return [_link_images(name, texts[name], images, raw_images) for name in sorted(texts)]


def import_library(user: User, context_id: int, is_instructor: bool, data: bytes) -> list[Lesson]:
    """Every lesson of the ZIP as a new draft of ``user``, with its images; all or nothing."""
    check_may_author(context_id, is_instructor)
    planned = plan_import(data)
    created = []
    try:
        for item in planned:
            lesson = new_draft(user, context_id, item.source)
            db.session.flush()  # the lesson's id, for its images
            for name, image in item.images.items():
                new_asset(lesson, user, name, image.data, image.checked)
            created.append(lesson)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return created
