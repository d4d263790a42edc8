"""The tool's own RSA key pairs (signing deep-linking responses and service assertions).

Private keys are stored encrypted with a key derived from SECRET_KEY.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class ToolKey(db.Model):
    __tablename__ = "tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when a newer key takes over signing; the key stays published until unpublish_at.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unpublish_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
