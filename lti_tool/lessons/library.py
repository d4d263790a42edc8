"""The organisation's lesson library: search by title, tag and author; export as .md + images.

Exports use the layout ``peerpath content build`` reads: ``<slug>.md`` with ``images/…`` beside it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Lesson, LessonAsset, LessonReview, User
from ..models.lessons import REVIEW_REQUESTED
from .workflow import latest_version

MAX_RESULTS = 200


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(platform_id: int, q: str = "", tag: str = "", author: str = "") -> list[Lesson]:
    """Published lessons of one organisation; ``q`` matches title or summary, ``tag`` a whole
    tag, ``author`` part of an author's name (all case-insensitive)."""
    query = select(Lesson).where(Lesson.platform_id == platform_id, Lesson.latest_version > 0)
    if q.strip():
        pattern = _like(q.strip().lower())
        query = query.where(
            or_(func.lower(Lesson.title).like(pattern, escape="\\"), func.lower(Lesson.summary).like(pattern, escape="\\"))
        )
    if tag.strip():
        query = query.where(Lesson.tags_key.like(_like(f"|{tag.strip().lower()}|"), escape="\\"))
    if author.strip():
        query = query.where(Lesson.authors_key.like(_like(author.strip().lower()), escape="\\"))
    return list(db.session.scalars(query.order_by(func.lower(Lesson.title), Lesson.id).limit(MAX_RESULTS)))


def all_tags(platform_id: int) -> list[str]:
    keys = db.session.scalars(select(Lesson.tags_key).where(Lesson.platform_id == platform_id, Lesson.latest_version > 0))
    return sorted({t for key in keys for t in key.split("|") if t})


def drafts_of(user: User) -> list[Lesson]:
    """Lessons the person writes (published ones too: they may have a newer draft)."""
    return list(db.session.scalars(
        select(Lesson).where(Lesson.created_by_id == user.id, Lesson.platform_id == user.platform_id)
        .order_by(Lesson.updated_at.desc())
    ))


def reviews_asked_of(user: User) -> list[tuple[Lesson, LessonReview]]:
    rows = db.session.execute(
        select(Lesson, LessonReview)
        .join(LessonReview, LessonReview.lesson_id == Lesson.id)
        .where(LessonReview.reviewer_id == user.id, Lesson.platform_id == user.platform_id)
        .order_by((LessonReview.status == REVIEW_REQUESTED).desc(), LessonReview.requested_at.desc())
    ).all()
    return [(lesson, review) for lesson, review in rows]


# --- export ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedLesson:
    filename: str
    source: str
    assets: list[LessonAsset]


def exported(lesson: Lesson, use_draft: bool = False) -> ExportedLesson:
    """The published source (or the draft, for its author) and the images it uses."""
    version = None if use_draft else latest_version(lesson)
    source = version.source if version is not None else lesson.source
    slug = version.slug if version is not None else ""
    assets = db.session.scalars(select(LessonAsset).where(LessonAsset.lesson_id == lesson.id).order_by(LessonAsset.id))
    used = [a for a in assets if a.filename in source]
    return ExportedLesson(f"{slug or 'lesson-' + lesson.public_id[:8]}.md", source, used)


def zip_lessons(items: list[ExportedLesson]) -> bytes:
    """One ZIP: every lesson as <slug>.md at the top, images under images/ (names are hashed,
    so lessons sharing a folder never collide)."""
    buffer = io.BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            name, n = item.filename, 1
            while name in names:  # two lessons with one slug: keep both
                n += 1
                name = item.filename.removesuffix(".md") + f"-{n}.md"
            names.add(name)
            archive.writestr(name, item.source.encode("utf-8"))
            for asset in item.assets:
                if asset.filename not in names:
                    names.add(asset.filename)
                    archive.writestr(asset.filename, asset.data)
    return buffer.getvalue()


def export_library(platform_id: int) -> bytes:
    lessons = db.session.scalars(
        select(Lesson).where(Lesson.platform_id == platform_id, Lesson.latest_version > 0).order_by(Lesson.id)
    )
    return zip_lessons([exported(lesson) for lesson in lessons])
