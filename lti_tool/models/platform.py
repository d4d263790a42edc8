"""Registered LMS platforms and their deployments.

A registration is keyed by (issuer, client_id): every hosted Canvas shares one issuer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class Platform(db.Model):
    __tablename__ = "platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    # Some platforms (Moodle) expect their token URL as the audience of our assertion;
    # others give a separate value in their OpenID configuration.
    auth_audience: Mapped[str | None] = mapped_column(String(1000))
    product_family: Mapped[str | None] = mapped_column(String(100))
    # Canvas tells deployment ids only at first launch; operators may allow learning them.
    accept_new_deployments: Mapped[bool] = mapped_column(default=False)
    # "active" or "pending" (dynamic registrations wait for an operator where required).
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Scopes the platform granted at registration (space-separated).
    scopes: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    def __repr__(self) -> str:
        return f"<Platform {self.issuer} client_id={self.client_id}>"


class Deployment(db.Model):
    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")
