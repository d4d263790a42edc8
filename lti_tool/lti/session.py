"""After a launch: the short-lived signed token that links and forms carry, and CSRF.

No third-party cookie is needed: the token names a server-side LaunchSession row.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import abort, current_app, g, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import LaunchSession
from ..models.base import utcnow

TOKEN_PARAM = "lt"  # noqa: S105 - a parameter name, not a secret
CSRF_FIELD = "csrf_token"


@functools.lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="peerpath-launch-token")


def _serializer() -> URLSafeTimedSerializer:
    # Built once per key (tests run apps with different keys); signing itself stays per call.
    return _serializer_for(current_app.config["SECRET_KEY"])


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_expiry():
    return utcnow() + timedelta(seconds=current_app.config["LAUNCH_SESSION_LIFETIME"])


def issue_token(session_id: str) -> str:
    return _serializer().dumps(session_id)


class LaunchTokenError(Exception):
    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.message = message
        self.status = status


def _token_from_request() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    if request.method == "GET":
        return request.args.get(TOKEN_PARAM)
    return request.form.get(TOKEN_PARAM) or request.args.get(TOKEN_PARAM)


_LOAD_SESSION = (
    select(LaunchSession)
    .options(joinedload(LaunchSession.user), joinedload(LaunchSession.context))
    .where(LaunchSession.id == bindparam("id"))
)


def load_launch(token: str | None) -> LaunchSession:
    if not token:
        raise LaunchTokenError(
            _("This page must be opened from your course in the LMS. Go back to the course and open the activity again.")
        )
    try:
        session_id = _serializer().loads(token, max_age=current_app.config["LAUNCH_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise LaunchTokenError(
            _("Your PeerPath session has timed out. Open the activity again from your course.")
        ) from None
    except BadSignature:
        raise LaunchTokenError(_("This link is not valid. Open the activity again from your course.")) from None
    launch = db.session.scalars(_LOAD_SESSION, {"id": session_id}).first()
    if launch is None or launch.expires_at <= utcnow():
        raise LaunchTokenError(_("Your PeerPath session has ended. Open the activity again from your course."))
    return launch


def csrf_token_for(session_id: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"csrf\x00" + session_id.encode(), hashlib.sha256).hexdigest()


def check_csrf(session_id: str) -> None:
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    if not hmac.compare_digest(sent, csrf_token_for(session_id)):
        abort(
            400,
            description=_(
                "This form was not sent from your current PeerPath page, or it has expired. "
                "Reload the page and try again."
            ),
        )


def launch_required(*roles: str) -> Callable:
    """Authenticate by launch token; on POST also check CSRF; optionally require roles."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            try:
                g.launch = load_launch(_token_from_request())
            except LaunchTokenError as err:
                abort(err.status, description=err.message)
            if request.method not in {"GET", "HEAD", "OPTIONS"}:
                check_csrf(g.launch.id)
            if roles and not g.launch.has_role(*roles):
                abort(403, description=_("Only an instructor of this course can do this."))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_launch() -> LaunchSession:
    return g.launch


def request_token() -> str:
    """A fresh launch token for this request's links and forms: signed once, then reused."""
    session_id = g.launch.id
    signed = g.get("_launch_token")
    if signed is None or signed[0] != session_id:
        signed = g._launch_token = (session_id, issue_token(session_id))
    return signed[1]


def launch_url(endpoint: str, **values) -> str:
    """url_for that carries a fresh launch token, so the next page is authenticated."""
    values[TOKEN_PARAM] = request_token()
    return url_for(endpoint, **values)


def template_globals() -> dict:
    launch = g.get("launch")
    if launch is None:
        return {"launch": None, "launch_url": launch_url}
    return {
        "launch": launch,
        "launch_token": request_token(),
        "csrf_token": csrf_token_for(launch.id),
        "launch_url": launch_url,
    }
