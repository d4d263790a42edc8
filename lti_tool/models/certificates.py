"""Certificates of completion: one per learner per lesson version, verifiable by a public code.

The code is stored with its SHA-256; the public verify page looks certificates up by the hash only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, new_public_id, utcnow
from .lessons import LessonVersion
from .people import User


class Certificate(db.Model):
    """A certificate as issued: what it says is a snapshot, so later renames change nothing.

    ``generation`` counts re-issues for the same learner and version (1 = first issue).
    """

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("user_id", "version_id", "generation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    code: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("lesson_version.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    context_id: Mapped[int | None] = mapped_column(ForeignKey("lti_context.id", ondelete="SET NULL"), index=True)
    progress_id: Mapped[int | None] = mapped_column(ForeignKey("lesson_progress.id", ondelete="SET NULL"))
    generation: Mapped[int] = mapped_column(default=1)
    learner_name: Mapped[str] = mapped_column(String(255))
    lesson_title: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    authors: Mapped[list] = mapped_column(JSON, default=list)
    version_number: Mapped[int] = mapped_column()
    language: Mapped[str] = mapped_column(String(35), default="en")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str] = mapped_column(String(500), default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("lti_user.id", ondelete="SET NULL"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id", ondelete="SET NULL"))
    # Rendered on first download, then kept: the same bytes every time after.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    version: Mapped[LessonVersion] = relationship()
    replaced_by: Mapped[Certificate | None] = relationship(remote_side=[id], foreign_keys=[replaced_by_id])

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.replaced_by_id is None

    @property
    def status(self) -> str:
        """"valid", or "revoked" (revoked by an instructor, or replaced by a re-issue)."""
        return "valid" if self.is_valid else "revoked"
