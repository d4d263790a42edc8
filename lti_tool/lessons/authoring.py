"""Writing a lesson: new drafts (blank, from an example, imported), autosave, server-side preview.

Every render goes through ``content/``; image links to uploaded files are rewritten to their URLs.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from content import ContentError, check_lesson, parse_lesson, render_lesson_html
from content.errors import Problem
from content.frontmatter_edit import FieldValue, read_fields, write_fields
from content.lessons import MAX_LESSON_BYTES, analyse, decode_lesson
from content.lessons import Lesson as ParsedLesson
from content.render import RenderedLesson

from .. import ROOT
from ..extensions import db
from ..models import Lesson, LessonCoursePolicy, User
from ..models.base import utcnow
from ..models.lessons import AUTHORING_EVERYONE, AUTHORING_INSTRUCTORS, DRAFT, PUBLISHED
from . import LessonError
from .assets import asset_path, assets_of

EXAMPLES_DIR = ROOT / "content" / "examples"
SOURCE_NAME = "lesson.md"  # what problems name as the file in the editor
BLANK_SOURCE = """---
title: {title}
summary: One sentence on what a colleague will be able to do afterwards.
tags: []
---

Start with why this matters to your colleagues.

## First step

::: quiz single
Which option is right?

- [ ] A wrong option
- [x] The right option
:::
"""
IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")  # group 1: the image file
_IMG_SRC_RE = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")')


@dataclass(frozen=True)
class Example:
    name: str  # file name in content/examples, the id used in forms
    title: str
    summary: str


@lru_cache(maxsize=1)
def examples() -> tuple[Example, ...]:
    """The bundled example lessons an author may start from."""
    found = []
    for path in sorted(EXAMPLES_DIR.glob("*.md")):
        lesson = parse_lesson(path.read_bytes(), path.name)
        found.append(Example(path.name, lesson.meta.title, lesson.meta.summary))
    return tuple(found)


def authoring_policy(context_id: int) -> str:
    policy = db.session.scalars(select(LessonCoursePolicy).where(LessonCoursePolicy.context_id == context_id)).first()
    return policy.authoring if policy else AUTHORING_EVERYONE


def set_authoring_policy(context_id: int, value: str, user: User) -> None:
    if value not in (AUTHORING_EVERYONE, AUTHORING_INSTRUCTORS):
        raise LessonError(_("Choose who may write lessons in this course."))
    policy = db.session.scalars(select(LessonCoursePolicy).where(LessonCoursePolicy.context_id == context_id)).first()
    if policy is None:
        policy = LessonCoursePolicy(context_id=context_id)
        db.session.add(policy)
    policy.authoring = value
    policy.updated_by_id = user.id
    db.session.commit()


def may_author(context_id: int, is_instructor: bool) -> bool:
    return is_instructor or authoring_policy(context_id) == AUTHORING_EVERYONE


def check_may_author(context_id: int, is_instructor: bool) -> None:
    if not may_author(context_id, is_instructor):
        raise LessonError(_("In this course only instructors may write lessons."), 403)


def create_lesson(user: User, context_id: int, is_instructor: bool, source: str | None = None) -> Lesson:
    """A new draft owned by ``user``; blank unless ``source`` is given."""
    check_may_author(context_id, is_instructor)
    lesson = new_draft(user, context_id, source if source is not None else BLANK_SOURCE.format(title=_("A new lesson")))
    db.session.commit()
    return lesson


def new_draft(user: User, context_id: int, source: str) -> Lesson:
    """A draft added to the session, not committed (an import stores many in one transaction)."""
    lesson = Lesson(
        platform_id=user.platform_id,
        created_by_id=user.id,
        created_in_context_id=context_id,
        status=DRAFT,
        source=source,
    )
    _refresh_search_fields(lesson, lesson.source, user)
    db.session.add(lesson)
    return lesson


def create_from_example(user: User, context_id: int, is_instructor: bool, name: str) -> Lesson:
    if name not in {e.name for e in examples()}:
        raise LessonError(_("There is no example lesson by that name."), 404)
    text = (EXAMPLES_DIR / name).read_text("utf-8")
    return create_lesson(user, context_id, is_instructor, credit_author(text, user.display_name))


def credit_author(text: str, name: str) -> str:
    """The example's own `authors:` line names the person starting from it, not the example's."""
    quoted = json.dumps(name, ensure_ascii=False)  # a JSON string is a valid YAML flow scalar
    return re.sub(r"(?m)^authors:.*$", lambda _m: f"authors: [{quoted}]", text, count=1)


def import_lesson(user: User, context_id: int, is_instructor: bool, data: bytes, filename: str) -> Lesson:
    """A new draft from an uploaded ``.md`` file; on any error nothing is stored."""
    check_may_author(context_id, is_instructor)
    name = Path(filename or "lesson.md").name
    if not name.lower().endswith(".md"):
        raise LessonError(_("Import a Markdown lesson file ending in .md."), 400)
    try:
        text = decode_lesson(data, name)
        parse_lesson(text, name)
    except ContentError as err:
        raise LessonError(_("The lesson was not imported: fix the problems below and try again."), 400,
                          err.problems) from None
    return create_lesson(user, context_id, is_instructor, text)


@dataclass
class SaveResult:
    revision: int
    saved_at: datetime
    status: str
    problems: list[Problem] = field(default_factory=list)


def save_draft(lesson: Lesson, user: User, source: str, base_revision: int | None = None) -> SaveResult:
    """Autosave the working draft. ``base_revision`` guards against two tabs overwriting each other."""
    if len(source.encode("utf-8")) > MAX_LESSON_BYTES:
        raise LessonError(_("The lesson is larger than 1 MB; split it into shorter lessons."), 413)
    if base_revision is not None and base_revision != lesson.draft_revision:
        raise LessonError(
            _("This draft was changed in another window. Reload the page to see the newest text."), 409
        )
    if source != lesson.source:
        lesson.source = source
        lesson.draft_revision += 1
        lesson.draft_saved_at = utcnow()
        if lesson.status == PUBLISHED:
            lesson.status = DRAFT  # learners keep seeing the published version
        if not lesson.is_published:
            _refresh_search_fields(lesson, source, user)
        db.session.commit()
    problems = check_lesson(source, SOURCE_NAME) + missing_images(lesson, source)
    return SaveResult(lesson.draft_revision, lesson.draft_saved_at, lesson.status, problems)


def _refresh_search_fields(lesson: Lesson, source: str, creator: User | None) -> None:
    """Title, tags and authors for the library search, taken from whatever front matter parses."""
    parsed, _problems = analyse(source, SOURCE_NAME)
    if parsed is None:
        return
    meta = parsed.meta
    lesson.title = meta.title[:200]
    lesson.summary = meta.summary[:500]
    lesson.tags_key = search_key(meta.tags)
    names = list(meta.authors) or ([creator.display_name] if creator else [])
    lesson.authors_key = search_key(names)


def slugify(text: str) -> str:
    """A file and URL name from a title ("Giving useful feedback" -> "giving-useful-feedback")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:80].strip("-") or "lesson"


def search_key(values) -> str:
    """'|a|b|' lower-cased: LIKE '%|a|%' then matches one whole tag or author name."""
    cleaned = [v.strip().lower().replace("|", " ") for v in values if v and v.strip()]
    return ("|" + "|".join(cleaned) + "|")[:2000] if cleaned else "|"


def missing_images(lesson: Lesson, source: str) -> list[Problem]:
    """Warnings for relative images the Markdown uses but nobody uploaded."""
    uploaded = {a.filename for a in assets_of(lesson.id)} if lesson.id else set()
    problems = []
    for number, line in enumerate(source.split("\n"), start=1):
        for match in IMAGE_RE.finditer(line):
            target = match.group(1)
            if ":" in target or target.startswith(("/", "#")):
                continue
            if target not in uploaded:
                problems.append(
                    Problem(
                        SOURCE_NAME,
                        number,
                        _("image '%(name)s' has not been uploaded", name=target),
                        _("upload it with 'Add image', or fix the file name"),
                        "warning",
                    )
                )
    return problems


def link_assets(html: str, lesson: Lesson) -> str:
    """Point <img src="images/x.png"> at the uploaded file's URL (sanitised HTML, quoted attrs)."""
    paths = {a.filename: asset_path(a) for a in assets_of(lesson.id)}
    if not paths:
        return html
    return _IMG_SRC_RE.sub(lambda m: m.group(1) + paths.get(m.group(2), m.group(2)) + m.group(3), html)


def front_matter_fields(source: str) -> dict[str, FieldValue] | None:
    """The editor form's values for ``source``'s front matter; None while it cannot be read."""
    return read_fields(source, SOURCE_NAME)


def rewrite_front_matter(source: str, fields: dict[str, FieldValue]) -> str:
    """``source`` with the form's front-matter fields written in; the body stays as it is."""
    try:
        return write_fields(source, fields, SOURCE_NAME)
    except ContentError as err:
        raise LessonError(
            _("The fields cannot be written while the front matter has this problem: fix it in the source first."),
            400, err.problems,
        ) from None
    except ValueError:
        raise LessonError(_("The form sent a field the front matter does not have."), 400) from None


@dataclass
class Preview:
    html: str
    title: str
    problems: list[Problem]
    parsed: ParsedLesson | None = None
    rendered: RenderedLesson | None = None

    @property
    def ok(self) -> bool:
        return self.parsed is not None


def render_draft(lesson: Lesson, source: str) -> Preview:
    """Render ``source`` as the lesson page would show it; problems carry line numbers."""
    parsed, problems = analyse(source, SOURCE_NAME) if len(source) <= MAX_LESSON_BYTES else (None, [])
    if len(source) > MAX_LESSON_BYTES:
        problems = check_lesson(source, SOURCE_NAME)
    problems = list(problems) + missing_images(lesson, source)
    if parsed is None:
        return Preview("", "", problems)
    rendered = render_lesson_html(parsed)
    return Preview(link_assets(rendered.html, lesson), parsed.meta.title, problems, parsed, rendered)


def problem_dicts(problems: list[Problem]) -> list[dict]:
    return [
        {"file": "" if p.file == SOURCE_NAME else p.file, "line": p.line, "message": p.message,
         "hint": p.hint, "severity": p.severity, "text": str(p)}
        for p in sorted(problems, key=lambda p: (p.file, p.line, p.severity))
    ]
