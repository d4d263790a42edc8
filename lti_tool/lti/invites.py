"""One-time invitations that let an LMS admin use dynamic registration in production.

Only the sha256 of an invite token is stored; the token itself is shown once, in a URL.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..extensions import db
from ..models import RegistrationInvite
from ..models.base import utcnow


class InviteError(PermissionError):
    """The invite cannot be used; the message says why and what the operator can do."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_url(token: str) -> str:
    """The URL an LMS admin pastes into the LMS's dynamic-registration field."""
    return f"{current_app.config['BASE_URL']}/lti/register?invite={token}"


def create_invite(note: str = "", hours: int | None = None) -> tuple[str, RegistrationInvite]:
    """Store a new invite (committed) and return (token, invite); the token is not kept."""
    if hours is None:
        hours = current_app.config["REGISTRATION_INVITE_HOURS"]
    if hours < 1:
        raise ValueError("an invite must be valid for at least one hour")
    note = (note or "").strip()
    if len(note) > 255:
        raise ValueError("the note is longer than 255 characters")
    token = secrets.token_urlsafe(32)
    invite = RegistrationInvite(
        token_hash=hash_token(token), note=note, expires_at=utcnow() + timedelta(hours=hours)
    )
    db.session.add(invite)
    db.session.commit()
    return token, invite


def find_usable(token: str) -> RegistrationInvite:
    """The invite for this token if it can still be used, else InviteError."""
    invite = db.session.scalars(
        select(RegistrationInvite).where(RegistrationInvite.token_hash == hash_token(token or ""))
    ).first()
    if invite is None:
        raise InviteError(
            _("This registration invite is not valid. Ask the PeerPath operator for a new one.")
        )
    if invite.used_at is not None:
        raise InviteError(
            _(
                "This registration invite was already used on %(date)s. Each invite works once: "
                "ask the PeerPath operator for a new one.",
                date=invite.used_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        )
    if invite.expires_at <= utcnow():
        raise InviteError(
            _(
                "This registration invite expired on %(date)s. Ask the PeerPath operator for a new one.",
                date=invite.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
            )
        )
    return invite


def claim(invite: RegistrationInvite, issuer: str) -> None:
    """Mark the invite used inside the caller's transaction (not committed here).

    A conditional UPDATE, so two registrations racing on one invite cannot both win.
    """
    now = utcnow()
    result = db.session.execute(
        update(RegistrationInvite)
        .where(
            RegistrationInvite.id == invite.id,
            RegistrationInvite.used_at.is_(None),
            RegistrationInvite.expires_at > now,
        )
        .values(used_at=now, used_by_issuer=issuer[:255])
        # Keep the in-session object in step: sessions don't expire objects on commit.
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise InviteError(
            _("This registration invite was used or expired a moment ago. Ask for a new one.")
        )
