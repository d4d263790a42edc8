"""People and courses as the LMS describes them: users, contexts, memberships.

Everything is scoped to one platform; names are Unicode and may be absent (no PII).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, new_public_id, utcnow


class User(db.Model):
    __tablename__ = "lti_user"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    given_name: Mapped[str] = mapped_column(String(255), default="")
    family_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    locale: Mapped[str] = mapped_column(String(35), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None for people known from the roster who have not launched PeerPath yet.
    last_launch_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def display_name(self) -> str:
        return display_name(self)


def display_name(person) -> str:
    """How to call someone: name, else given + family name, else email, else a short id."""
    full = person.name or " ".join(p for p in (person.given_name, person.family_name) if p)
    return full or person.email or f"User {person.sub[:12]}"


class Context(db.Model):
    """A course (or the deployment itself, when a launch carries no context claim)."""

    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", "lms_context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    lms_context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    # The NRPS claim from the latest launch (context_memberships_url, service_versions).
    nrps_claim: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    # PeerPath roles, space-separated: learner, instructor, admin, mentor.
    roles: Mapped[str] = mapped_column(String(100), default="learner")
    # The LIS roles exactly as the LMS sent them.
    lis_roles: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Set when the LMS roster (NRPS) no longer lists the person, or lists them Inactive or
    # Deleted; None = a current member. The row and everything it links to are kept.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    context: Mapped[Context] = relationship()
