"""Completing a launch: state, id_token, browser binding, then one transaction of upserts.

Either the whole launch is accepted and a LaunchSession exists, or nothing was written.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete

from ..extensions import db
from ..models import LaunchSession, OidcState, Platform
from ..models.base import utcnow
from . import claims as c
from .errors import LaunchError
from .login import STORAGE_KEY_PREFIX, binding_hash, origin_of, state_cookie_name
from .provisioning import provision
from .session import new_session_id, session_expiry
from .tool_conf import DbToolConf
from .validation import LaunchSettings, PeerPathMessageLaunch

BINDING_FIELD = "pp_binding"
STORAGE_TRIED_FIELD = "pp_storage_tried"


@dataclass(frozen=True)
class NeedsPlatformStorage:
    """The launch is valid so far, but the browser must prove it started the login."""

    id_token: str
    state: str
    storage_key: str
    storage_target: str
    platform_origin: str


def complete_launch(form: Mapping[str, str], cookies: Mapping[str, str]) -> LaunchSession | NeedsPlatformStorage:
    if form.get("error"):
        raise LaunchError(
            "platform_error",
            f"the LMS refused the login: {form.get('error')}: {form.get('error_description') or 'no details'}",
        )
    state = form.get("state") or ""
    if not state:
        raise LaunchError("state", "the launch has no state parameter")
    if not form.get("id_token"):
        raise LaunchError("id_token", "the LMS did not send an id_token")
    row = db.session.get(OidcState, state)
    if row is None:
        raise LaunchError(
            "state",
            "this launch does not match a login started here: it was already used, or the login "
            "expired. Open the activity again from the course.",
        )
    if row.expires_at <= utcnow():
        raise LaunchError("state", "the login expired before the launch arrived. Open the activity again.")

    settings = LaunchSettings.from_config(current_app.config)
    validated = PeerPathMessageLaunch(form, DbToolConf(), settings).validate_for(row.nonce, row.platform_id)
    issuer = validated.platform.issuer

    binding = _binding(form, cookies, row, issuer)
    if isinstance(binding, NeedsPlatformStorage):
        return binding

    # Consume the state atomically: of two concurrent posts of one login, exactly one wins.
    consumed = db.session.execute(delete(OidcState).where(OidcState.state == state)).rowcount
    if consumed != 1:
        db.session.rollback()
        raise LaunchError("state", "this launch was already used", issuer=issuer)
    try:
        user, context, _membership, link = provision(validated)
        body = validated.body
        keep: dict = {"deployment_id": validated.deployment_id}
        if validated.message_type == c.DEEP_LINKING_REQUEST:
            keep["deep_linking_settings"] = body[c.DL_SETTINGS]
        if isinstance(body.get(c.CUSTOM), dict):
            keep["custom"] = body[c.CUSTOM]
        presentation = body.get(c.LAUNCH_PRESENTATION) or {}
        if isinstance(presentation, dict) and presentation.get("return_url"):
            keep["return_url"] = presentation["return_url"]
        session = LaunchSession(
            id=new_session_id(),
            user=user,
            context=context,
            resource_link_id=link.id if link else None,
            roles=" ".join(c.map_roles(body.get(c.ROLES, []))),
            message_type=validated.message_type,
            binding=binding,
            locale=user.locale,
            claims=keep,
            expires_at=session_expiry(),
        )
        db.session.add(session)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return session


def _binding(form: Mapping[str, str], cookies: Mapping[str, str], row: OidcState, issuer: str) -> str | NeedsPlatformStorage:
    cookie = cookies.get(state_cookie_name(row.state))
    if cookie is not None:
        if not hmac.compare_digest(binding_hash(cookie), row.binding_hash):
            raise LaunchError("state", "this browser did not start this launch (state cookie mismatch)", status=403, issuer=issuer)
        return "cookie"
    sent = form.get(BINDING_FIELD)
    if sent:
        if not hmac.compare_digest(binding_hash(sent), row.binding_hash):
            raise LaunchError(
                "state", "this browser did not start this launch (platform storage mismatch)", status=403, issuer=issuer
            )
        return "platform_storage"
    if row.storage_target and not form.get(STORAGE_TRIED_FIELD):
        platform = db.session.get(Platform, row.platform_id)
        return NeedsPlatformStorage(
            id_token=form["id_token"],
            state=row.state,
            storage_key=STORAGE_KEY_PREFIX + row.state,
            storage_target=row.storage_target,
            platform_origin=origin_of(platform.auth_login_url),
        )
    if current_app.config["REQUIRE_BROWSER_BINDING"]:
        raise LaunchError(
            "browser_binding",
            "this browser blocks the cookie PeerPath needs and the LMS offers no platform storage; "
            "open the activity in a new window from the course",
            status=403,
            issuer=issuer,
        )
    return "handle"
