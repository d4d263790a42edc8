"""OAuth2 client-credentials tokens for LTI services, with a private_key_jwt assertion.

One access token per (issuer, client_id, token URL, scope set), cached in-process until shortly before expiry.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

import requests
from flask import current_app

from ..lti.keys import sign_jwt

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300
# Refresh this long before `expires_in` says the token dies: a call in flight must not
# carry a token that expires on the way (bounded by a tenth of short lifetimes).
EXPIRY_MARGIN_SECONDS = 60
# When the platform gives no expires_in, assume the common hour.
DEFAULT_EXPIRES_IN = 3600


class PlatformRef(Protocol):
    issuer: str
    client_id: str
    auth_token_url: str
    auth_audience: str | None


class TokenError(Exception):
    """The token endpoint refused or could not be reached; `retryable` says if waiting helps."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = True, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    token: str | None = None
    refresh_at: float = 0.0


class TokenCache:
    """Thread-safe cache; a per-key lock makes concurrent senders share one token request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple, _Entry] = {}
        self.requests_made = 0

    @staticmethod
    def key(platform: PlatformRef, scopes: list[str] | tuple[str, ...]) -> tuple:
        return (platform.issuer, platform.client_id, platform.auth_token_url, tuple(sorted(set(scopes))))

    def _entry(self, key: tuple) -> _Entry:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry()
            return entry

    def get(self, platform: PlatformRef, scopes: list[str] | tuple[str, ...], session: requests.Session | None = None) -> str:
        """A valid access token for these scopes, fetched only when none is cached."""
        key = self.key(platform, scopes)
        entry = self._entry(key)
        with entry.lock:
            if entry.token is not None and time.monotonic() < entry.refresh_at:
                return entry.token
            token, expires_in = self._fetch(platform, list(key[3]), session)
            margin = min(EXPIRY_MARGIN_SECONDS, expires_in / 10)
            entry.token, entry.refresh_at = token, time.monotonic() + expires_in - margin
            return token

    def invalidate(self, platform: PlatformRef, scopes: list[str] | tuple[str, ...], token: str) -> None:
        """Forget `token` after a 401, unless another thread already replaced it."""
        entry = self._entry(self.key(platform, scopes))
        with entry.lock:
            if entry.token == token:
                entry.token, entry.refresh_at = None, 0.0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.requests_made = 0

    def _fetch(self, platform: PlatformRef, scopes: list[str], session: requests.Session | None) -> tuple[str, float]:
        now = int(time.time())
        assertion = sign_jwt(
            {
                "iss": platform.client_id,
                "sub": platform.client_id,
                "aud": platform.auth_audience or platform.auth_token_url,
                "iat": now,
                "exp": now + ASSERTION_LIFETIME,
                "jti": secrets.token_urlsafe(24),
            }
        )
        with self._lock:
            self.requests_made += 1
        http = session or requests
        try:
            response = http.post(
                platform.auth_token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": CLIENT_ASSERTION_TYPE,
                    "client_assertion": assertion,
                    "scope": " ".join(scopes),
                },
                headers={"Accept": "application/json"},
                timeout=current_app.config.get("GRADES_HTTP_TIMEOUT") or current_app.config["HTTP_TIMEOUT"],
            )
        except requests.RequestException as exc:
            raise TokenError(f"token endpoint {platform.auth_token_url} unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            detail = _error_text(response)
            # Even a 4xx here is usually temporary (a tool awaiting activation, a revoked key
            # being replaced): keep retrying with backoff while the reason stays visible.
            retryable = True
            raise TokenError(
                f"token endpoint answered {response.status_code}: {detail}",
                status=response.status_code,
                retryable=retryable,
                retry_after=retry_after_seconds(response),
            )
        try:
            body = response.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError("token endpoint answered 200 without an access_token") from exc
        try:
            expires_in = float(body.get("expires_in") or DEFAULT_EXPIRES_IN)
        except (TypeError, ValueError):
            expires_in = DEFAULT_EXPIRES_IN
        return token, expires_in


def _error_text(response: requests.Response) -> str:
    """The platform's own words: OAuth/AGS JSON error fields, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:500]
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("error", "error_description", "message", "detail") if body.get(k)]
        if parts:
            return ": ".join(parts)[:500]
    return str(body)[:500]


def retry_after_seconds(response: requests.Response) -> float | None:
    """Retry-After as seconds (delta form; an HTTP date is read too)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


error_text = _error_text

# The process-wide cache: a worker and the web app each keep one.
tokens = TokenCache()
