"""Course roster syncs from the LMS (NRPS): when each ran, what it found, what changed.

Memberships themselves live in `people.py`; a member who left keeps the row with `left_at` set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import User

# RosterSync.status
RUNNING = "running"
OK = "ok"
FAILED = "failed"

# RosterChange.change
JOINED = "joined"
LEFT = "left"
ROLE_CHANGED = "role_changed"


class RosterSync(db.Model):
    """One roster fetch for one course: counts of the differences, or why it failed."""

    __tablename__ = "roster_sync"
    __table_args__ = (Index("ix_roster_sync_context_started", "context_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=RUNNING)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Active members in the roster after this sync, and the differences it found.
    # ("left" is an SQL keyword: the columns say _count so raw SQL needs no quoting.)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    joined_count: Mapped[int] = mapped_column(Integer, default=0)
    left_count: Mapped[int] = mapped_column(Integer, default=0)
    changed_count: Mapped[int] = mapped_column(Integer, default=0)
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    # Why a failed sync failed, in words an operator can act on.
    reason: Mapped[str | None] = mapped_column(Text)

    changes: Mapped[list[RosterChange]] = relationship(
        back_populates="sync", cascade="all, delete-orphan", order_by="RosterChange.id"
    )


class RosterChange(db.Model):
    """One person who joined, left or changed role in one sync (roles as PeerPath roles)."""

    __tablename__ = "roster_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[int] = mapped_column(
        ForeignKey("roster_sync.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    change: Mapped[str] = mapped_column(String(20))
    old_roles: Mapped[str] = mapped_column(String(100), default="")
    new_roles: Mapped[str] = mapped_column(String(100), default="")

    sync: Mapped[RosterSync] = relationship(back_populates="changes")
    user: Mapped[User] = relationship()
