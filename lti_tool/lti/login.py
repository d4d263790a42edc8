"""OIDC login initiation: remember state + nonce server-side, then send the browser to the LMS.

The browser is bound to the state by a cookie and, when offered, by LTI Platform Storage.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask import current_app
from sqlalchemy import delete

from ..extensions import db
from ..models import LaunchSession, OidcState
from ..models.base import utcnow
from .errors import LaunchError
from .tool_conf import DbToolConf
from .validation import check_target_link_uri

STATE_COOKIE_PREFIX = "pp_lti_"
STORAGE_KEY_PREFIX = "peerpath_state_"


@dataclass(frozen=True)
class LoginPlan:
    auth_url: str
    state: str
    binding_secret: str
    storage_target: str | None
    platform_origin: str

    @property
    def cookie_name(self) -> str:
        return state_cookie_name(self.state)

    @property
    def storage_key(self) -> str:
        return STORAGE_KEY_PREFIX + self.state


def state_cookie_name(state: str) -> str:
    # One cookie per login, so several tools framed on one course page don't collide.
    return STATE_COOKIE_PREFIX + hashlib.sha256(state.encode()).hexdigest()[:16]


def binding_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def start_login(params: Mapping[str, str]) -> LoginPlan:
    """Validate a login initiation and store its state. Raises LaunchError, writes nothing then."""
    cfg = current_app.config
    iss = (params.get("iss") or "").strip()
    if not iss:
        raise LaunchError("iss", "the login request has no issuer (iss)")
    login_hint = params.get("login_hint")
    if not login_hint:
        raise LaunchError("login_hint", "the login request has no login_hint", issuer=iss)
    target = params.get("target_link_uri") or ""
    if not target:
        raise LaunchError("target_link_uri", "the login request has no target_link_uri", issuer=iss)
    try:
        check_target_link_uri(target, cfg["BASE_URL"])
    except LaunchError as err:
        err.issuer = iss
        raise
    client_id = (params.get("client_id") or "").strip() or None
    platform = DbToolConf().platform(iss, client_id)
    if platform is None:
        if client_id is None:
            message = f"no single registration for issuer '{iss}': the LMS must send client_id"
        else:
            message = f"no platform is registered with issuer '{iss}' and client_id '{client_id}'"
        raise LaunchError("registration", message, status=403, issuer=iss)
    if platform.status != "active":
        raise LaunchError("registration", f"the registration for '{iss}' is waiting for activation", status=403, issuer=iss)

    storage_target = (params.get("lti_storage_target") or "").strip() or None
    if storage_target and len(storage_target) > 200:
        raise LaunchError("lti_storage_target", "lti_storage_target is too long", issuer=iss)

    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    binding_secret = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        OidcState(
            state=state,
            nonce=nonce,
            platform_id=platform.id,
            target_link_uri=target,
            binding_hash=binding_hash(binding_secret),
            storage_target=storage_target,
            created_at=now,
            expires_at=now + timedelta(seconds=cfg["OIDC_STATE_LIFETIME"]),
        )
    )
    if random.random() < 0.01:  # noqa: S311 - housekeeping, not security
        prune_expired()
    db.session.commit()

    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": cfg["BASE_URL"] + "/lti/launch",
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if urlsplit(platform.auth_login_url).query else "?"
    return LoginPlan(
        auth_url=platform.auth_login_url + separator + urlencode(query),
        state=state,
        binding_secret=binding_secret,
        storage_target=storage_target,
        platform_origin=origin_of(platform.auth_login_url),
    )


def prune_expired() -> None:
    """Delete logins that never completed and launch sessions past their lifetime."""
    now = utcnow()
    db.session.execute(delete(OidcState).where(OidcState.expires_at < now))
    db.session.execute(delete(LaunchSession).where(LaunchSession.expires_at < now))
