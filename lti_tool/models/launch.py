"""Server-side launch state: OIDC logins in flight and launch sessions after them.

Nothing here lives in a cookie; see README "Security" for how a launch is bound.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import Context, User


class OidcState(db.Model):
    """One OIDC login waiting for its launch. Deleted when the launch consumes it."""

    __tablename__ = "oidc_state"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    target_link_uri: Mapped[str] = mapped_column(String(1000))
    # sha256 of the secret given to the browser (cookie or Platform Storage).
    binding_hash: Mapped[str] = mapped_column(String(64))
    storage_target: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class LaunchSession(db.Model):
    """Who is acting, where, and with which roles, after one validated launch."""

    __tablename__ = "launch_session"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_link.id", ondelete="CASCADE")
    )
    roles: Mapped[str] = mapped_column(String(100))
    message_type: Mapped[str] = mapped_column(String(50))
    # How the launch was bound to the browser: cookie, platform_storage or handle.
    binding: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(35), default="")
    # Message-specific claims kept for later requests (deep_linking_settings, custom).
    claims: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    user: Mapped[User] = relationship()
    context: Mapped[Context] = relationship()

    def has_role(self, *roles: str) -> bool:
        mine = set(self.roles.split())
        return any(r in mine for r in roles)

    @property
    def is_instructor(self) -> bool:
        return self.has_role("instructor", "admin")
