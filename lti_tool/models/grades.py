"""The grade outbox: every score PeerPath owes the LMS gradebook, as a row first.

A row is written in the same transaction as the grade that caused it; `services/outbox.py` delivers it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .activity import Activity, ResourceLink
from .base import UTCDateTime, utcnow
from .people import User

# Row states. "sending" rows carry a lease (claimed_until): past it, they are claimable again.
PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
FAILED = "failed"
SUPERSEDED = "superseded"
STATUSES = (PENDING, SENDING, DELIVERED, FAILED, SUPERSEDED)


class GradeOutbox(db.Model):
    """One score for one user on one line item, and how its delivery went."""

    __tablename__ = "grade_outbox"
    __table_args__ = (
        # The claim query: due rows by state and time.
        Index("ix_grade_outbox_due", "status", "next_attempt_at"),
        # "Latest score wins" looks up the other rows for the same (line item, user).
        Index("ix_grade_outbox_target_user", "target_key", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(
        ForeignKey("lti_context.id", ondelete="CASCADE"), index=True
    )
    # Where the AGS claim (endpoints, granted scopes) comes from; kept when the activity goes.
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_link.id", ondelete="SET NULL")
    )
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    # The AGS userId (the LTI `sub`), copied so delivery needs no join.
    lms_user_id: Mapped[str] = mapped_column(String(255))
    # Known at enqueue (deep-linking lineItem, explicit) or resolved at first delivery.
    line_item_url: Mapped[str | None] = mapped_column(String(1000))
    # "" = the link's own line item (declared at deep linking, or found/created by the
    # activity's kind). Any other tag names a further line item of the same link, e.g. peer
    # review's "reviewing" grade; it is found by (resource link, tag) or created with the label.
    line_item_tag: Mapped[str] = mapped_column(String(60), default="", server_default="")
    line_item_label: Mapped[str] = mapped_column(String(255), default="", server_default="")
    # sha256 of what identifies the line item before its URL is known: rows with the same
    # key and user are versions of one grade, and only the latest is worth sending.
    target_key: Mapped[str] = mapped_column(String(64))
    score_given: Mapped[float | None] = mapped_column(Float)
    score_maximum: Mapped[float | None] = mapped_column(Float)
    activity_progress: Mapped[str] = mapped_column(String(20), default="Completed")
    grading_progress: Mapped[str] = mapped_column(String(20), default="FullyGraded")
    comment: Mapped[str | None] = mapped_column(Text)
    # The grade's time, sent as the AGS timestamp; orders versions of one grade.
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(36), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_http_status: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    activity: Mapped[Activity | None] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()


class GradeLineItem(db.Model):
    """The LMS line item found or created for a resource link without a declared one.

    Cached so that each score costs one POST, not a line-item search first.
    """

    __tablename__ = "grade_line_item"
    __table_args__ = (UniqueConstraint("resource_link_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_link_id: Mapped[int] = mapped_column(
        ForeignKey("resource_link.id", ondelete="CASCADE")
    )
    # GradeOutbox.line_item_tag: "" for the link's own line item.
    tag: Mapped[str] = mapped_column(String(60), default="", server_default="")
    url: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
