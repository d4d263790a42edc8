"""Peer-written micro-lessons: the working draft, immutable published versions, reviews, images.

A lesson belongs to one platform (one organisation) and is reusable in every course of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, new_public_id, utcnow
from .people import User

# Lesson.status: the state of the working draft, not of what learners see.
DRAFT = "draft"
IN_REVIEW = "in_review"
PUBLISHED = "published"  # the draft is exactly the latest published version
LESSON_STATUSES = (DRAFT, IN_REVIEW, PUBLISHED)

# LessonReview.status
REVIEW_REQUESTED = "requested"
REVIEW_COMMENTED = "commented"
REVIEW_APPROVED = "approved"
REVIEW_STATUSES = (REVIEW_REQUESTED, REVIEW_COMMENTED, REVIEW_APPROVED)
CHECKLIST = ("accurate", "clear", "right_length", "inclusive_language")

# LessonCoursePolicy.authoring
AUTHORING_EVERYONE = "everyone"
AUTHORING_INSTRUCTORS = "instructors"


class Lesson(db.Model):
    """A lesson and its working draft; learners only ever see a LessonVersion of it."""

    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"), index=True)
    # The course the author was in when they started it (the library itself is org-wide).
    created_in_context_id: Mapped[int | None] = mapped_column(ForeignKey("lti_context.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    # The working draft: YAML front matter + Markdown, autosaved as the author types.
    source: Mapped[str] = mapped_column(Text, default="")
    # Bumped on every save; an editor sending an older revision is told the draft moved on.
    draft_revision: Mapped[int] = mapped_column(default=0)
    draft_saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Denormalised for search: the published version's values once there is one, else the
    # draft's. tags_key / authors_key are "|a|b|" lower-cased, so LIKE '%|a|%' matches exactly.
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    tags_key: Mapped[str] = mapped_column(String(2000), default="|")
    authors_key: Mapped[str] = mapped_column(String(2000), default="|")
    # Number of the newest LessonVersion (0 = never published); a plain number, not a
    # foreign key, so lesson and lesson_version do not depend on each other in a cycle.
    latest_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def tags(self) -> list[str]:
        return [t for t in self.tags_key.split("|") if t]

    @property
    def is_published(self) -> bool:
        return self.latest_version > 0


class LessonVersion(db.Model):
    """One published state of a lesson. Never changes once written.

    Attempts, completions and certificates point here, so a learner who started version 1
    finishes version 1. ``html`` is rendered once, at publication, never per view.
    """

    __tablename__ = "lesson_version"
    __table_args__ = (UniqueConstraint("lesson_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    source: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    toc: Mapped[list] = mapped_column(JSON, default=list)
    # Structured knowledge checks WITH answers and feedback, for scoring on the server only.
    questions: Mapped[list] = mapped_column(JSON, default=list)
    reflections: Mapped[list] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    slug: Mapped[str] = mapped_column(String(80), default="")
    language: Mapped[str] = mapped_column(String(35), default="en")
    level: Mapped[str] = mapped_column(String(20), default="beginner")
    duration_minutes: Mapped[int] = mapped_column(default=1)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # Names as credited on the lesson page and on certificates (snapshot at publication).
    authors: Mapped[list] = mapped_column(JSON, default=list)
    reviewers: Mapped[list] = mapped_column(JSON, default=list)
    points_total: Mapped[int] = mapped_column(default=0)
    pass_mark: Mapped[int] = mapped_column(default=70)
    certificate: Mapped[bool] = mapped_column(default=False)
    # False = a fix that keeps earlier completions valid; version 1 is always substantive.
    substantive: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))

    lesson: Mapped[Lesson] = relationship()
    published_by: Mapped[User | None] = relationship()


@event.listens_for(LessonVersion, "before_update")
def _versions_are_immutable(mapper, connection, target) -> None:
    raise ValueError(f"lesson version {target.public_id} is published and cannot change")


class LessonReview(db.Model):
    """A colleague asked to review a lesson, their checklist answers and verdict."""

    __tablename__ = "lesson_review"
    __table_args__ = (UniqueConstraint("lesson_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=REVIEW_REQUESTED)
    # {"accurate": true, "clear": false, ...}; keys from CHECKLIST, absent = not answered.
    checklist: Mapped[dict] = mapped_column(JSON, default=dict)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lesson: Mapped[Lesson] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])


class LessonComment(db.Model):
    """One message in a lesson's review thread, by a reviewer or the author."""

    __tablename__ = "lesson_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised once when written (content.render_markdown).
    body_html: Mapped[str] = mapped_column(Text)
    # Which draft revision the comment was about, so the author sees what was reviewed.
    draft_revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()


class LessonAsset(db.Model):
    """An uploaded image. Content-addressed (name holds a hash), so it never changes in place."""

    __tablename__ = "lesson_asset"
    __table_args__ = (UniqueConstraint("lesson_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    # The path the Markdown uses and the export writes, e.g. "images/whiteboard-1a2b3c4d.png".
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LessonCoursePolicy(db.Model):
    """Per-course lesson settings; no row means the defaults (everyone may author)."""

    __tablename__ = "lesson_course_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"), unique=True)
    authoring: Mapped[str] = mapped_column(String(20), default=AUTHORING_EVERYONE)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


Index("ix_lesson_platform_title", Lesson.platform_id, Lesson.title)


# --- learners: progress through one placed lesson, answers, reflections ------------------


class LessonProgress(db.Model):
    """One learner's run through one version of a placed lesson (an Activity of kind "lesson").

    A new row starts when the learner first opens it, or when a substantive new version made
    their run out of date; older rows stay as history. Completion lives on the row.
    """

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("activity_id", "user_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("lesson_version.id", ondelete="CASCADE"), index=True)
    # Heading ids (level 2) the learner marked as read.
    sections_read: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Set once every knowledge check is answered (or, without checks, every section read).
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    passed: Mapped[bool] = mapped_column(default=False)
    # Best points per check, summed; possible = the version's points_total.
    points: Mapped[float] = mapped_column(default=0.0)
    possible: Mapped[int] = mapped_column(default=0)
    percent: Mapped[float] = mapped_column(default=0.0)

    version: Mapped[LessonVersion] = relationship()
    user: Mapped[User] = relationship()


class LessonAnswer(db.Model):
    """One attempt at one knowledge check, scored on the server when it was sent."""

    __tablename__ = "lesson_answer"
    __table_args__ = (UniqueConstraint("progress_id", "question_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("lesson_progress.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(80))
    attempt: Mapped[int] = mapped_column()
    # Always a list: [option id] (single), option ids (multiple) or [text] (short).
    answer: Mapped[list] = mapped_column(JSON)
    points: Mapped[float] = mapped_column(default=0.0)
    possible: Mapped[int] = mapped_column(default=0)
    correct: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LessonReflectionAnswer(db.Model):
    """What a learner wrote for a reflection prompt; instructors see it only when shared."""

    __tablename__ = "lesson_reflection_answer"
    __table_args__ = (UniqueConstraint("progress_id", "reflection_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    progress_id: Mapped[int] = mapped_column(ForeignKey("lesson_progress.id", ondelete="CASCADE"), index=True)
    reflection_id: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text, default="")
    shared: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
