"""The dev LMS service tables: access tokens, used jtis, scores, page tokens, counters.

Same metadata as `models.py` (its `db`), so `db.create_all()` in the factory makes them too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import db, utcnow


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes even for timezone=True columns; they are UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class AccessToken(db.Model):
    """An OAuth2 bearer token issued at /lti/token; only its SHA-256 hash is kept."""

    __tablename__ = "devlms_access_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("devlms_tool.id", ondelete="CASCADE"))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UsedAssertion(db.Model):
    """A client-assertion jti already used: the unique key makes replay detection atomic."""

    __tablename__ = "devlms_used_assertion"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(255))
    jti: Mapped[str] = mapped_column(String(255))
    # Past this the assertion's exp rejects it anyway, so the row may be purged.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Score(db.Model):
    """Every accepted score POST, in arrival order (the history)."""

    __tablename__ = "devlms_score"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("devlms_line_item.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    tool_id: Mapped[int] = mapped_column(ForeignKey("devlms_tool.id", ondelete="CASCADE"))
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activity_progress: Mapped[str] = mapped_column(String(20))
    grading_progress: Mapped[str] = mapped_column(String(20))
    # What the gradebook keeps (None unless FullyGraded) and what the tool actually sent.
    score_given: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_given_sent: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_maximum: Mapped[float | None] = mapped_column(Float, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CurrentResult(db.Model):
    """The current score per (line item, user): what the gradebook shows."""

    __tablename__ = "devlms_current_result"
    __table_args__ = (UniqueConstraint("line_item_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("devlms_line_item.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    score_id: Mapped[int] = mapped_column(ForeignKey("devlms_score.id", ondelete="CASCADE"))
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The timestamp in whole epoch seconds: the "strictly later" rule runs as a conditional
    # UPDATE on it, so two racing scores for one user cannot store the older one last.
    timestamp_seconds: Mapped[int] = mapped_column(Integer)
    activity_progress: Mapped[str] = mapped_column(String(20))
    grading_progress: Mapped[str] = mapped_column(String(20))
    score_given: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_maximum: Mapped[float | None] = mapped_column(Float, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class PageToken(db.Model):
    """A case-sensitive `page=` token mapped to an offset for one listing (its `key`)."""

    __tablename__ = "devlms_page_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # Path + filters + tool: a token only pages the listing that minted it.
    key: Mapped[str] = mapped_column(String(2000))
    offset: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RegistrationToken(db.Model):
    """A single-use bearer token for POST /lti/register (LTI Dynamic Registration)."""

    __tablename__ = "devlms_registration_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    tool_id: Mapped[int | None] = mapped_column(
        ForeignKey("devlms_tool.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiCounter(db.Model):
    """Request counters for /api/_dev/stats, in the database so every worker adds up."""

    __tablename__ = "devlms_api_counter"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
