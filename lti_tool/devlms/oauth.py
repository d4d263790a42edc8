"""OAuth2 client-credentials for the dev LMS: verify a tool's RFC 7523 client assertion.

Pure logic (no Flask, no database): the token endpoint in `api.py` supplies the look-ups.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from jwt.algorithms import RSAAlgorithm

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACCESS_TOKEN_SECONDS = 3600
# An assertion is a one-shot credential: an old iat means a captured, replayed request.
ASSERTION_MAX_AGE_SECONDS = 300
CLOCK_LEEWAY_SECONDS = 5

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SUPPORTED_SCOPES = frozenset(
    {SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE, SCOPE_NRPS}
)


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: `error` code, human `description`, HTTP `status`."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def as_json(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class ClientInfo:
    """What the token endpoint needs to know about a registered tool."""

    client_id: str
    jwks_url: str
    granted_scopes: frozenset[str]


def parse_scopes(value: str | None) -> list[str]:
    """Split an RFC 6749 scope string; order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for part in (value or "").split():
        seen.setdefault(part, None)
    return list(seen)


def check_scopes(requested: list[str], granted: frozenset[str] | set[str]) -> None:
    """Raise `invalid_scope` unless every requested scope was granted to the tool."""
    if not requested:
        raise OAuthError("invalid_scope", "scope is required (space-separated scope URIs)")
    excess = [s for s in requested if s not in granted]
    if excess:
        raise OAuthError(
            "invalid_scope", f"scope not granted to this tool: {' '.join(excess)}", 400
        )


def hash_token(token: str) -> str:
    """Tokens are stored as SHA-256 hashes so a database dump grants nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_access_token() -> str:
    return secrets.token_urlsafe(32)


class JWKSCache:
    """Public keys per JWKS URL, fetched over HTTP; refetched once when a kid is unknown.

    A refetch is rate-limited per URL (`min_refetch_seconds`) so a stream of assertions
    with random kids cannot make the platform hammer the tool's JWKS endpoint.
    """

    def __init__(self, min_refetch_seconds: float = 1.0, timeout: float = 5.0):
        self.min_refetch_seconds = min_refetch_seconds
        self.timeout = timeout
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self.fetch_count = 0

    def _fetch(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self.timeout)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise OAuthError(
                "invalid_client", f"could not fetch the tool's JWKS at {url}: {exc}", 401
            ) from exc
        keys: dict[str, Any] = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or "kid" not in jwk:
                continue  # Other key types cannot verify RS256; skip rather than fail the set.
            try:
                keys[jwk["kid"]] = RSAAlgorithm.from_jwk(jwk)
            except (ValueError, KeyError, jwt.InvalidKeyError):
                continue
        self.fetch_count += 1
        return keys

    def get_key(self, url: str, kid: str) -> Any:
        """The public key for `kid` at `url`, or `invalid_client` if the tool does not publish it."""
        with self._lock:
            keys = self._keys.get(url)
            if keys is not None and kid in keys:
                return keys[kid]
            last = self._fetched_at.get(url, 0.0)
            if keys is None or time.monotonic() - last >= self.min_refetch_seconds:
                keys = self._fetch(url)
                self._keys[url] = keys
                self._fetched_at[url] = time.monotonic()
            if kid not in keys:
                raise OAuthError(
                    "invalid_client", f"kid '{kid}' is not in the tool's JWKS at {url}", 401
                )
            return keys[kid]

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()
            self._fetched_at.clear()


def verify_client_assertion(
    assertion: str,
    *,
    lookup_client: Callable[[str], ClientInfo | None],
    audiences: list[str],
    jwks: JWKSCache,
    now: float | None = None,
    max_age: int = ASSERTION_MAX_AGE_SECONDS,
) -> tuple[ClientInfo, dict[str, Any]]:
    """Check an RFC 7523 client assertion; return the client and the verified claims.

    jti single use is NOT checked here: the caller records it atomically in its store.
    """
    if not assertion:
        raise OAuthError("invalid_request", "client_assertion is required")
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_client", f"client_assertion is not a JWT: {exc}", 401) from exc
    if header.get("alg") != "RS256":
        raise OAuthError(
            "invalid_client",
            f"client_assertion must be signed with RS256, not {header.get('alg')!r}",
            401,
        )
    kid = header.get("kid")
    if not kid:
        raise OAuthError("invalid_client", "client_assertion header has no kid", 401)
    iss, sub = unverified.get("iss"), unverified.get("sub")
    if not iss or iss != sub:
        raise OAuthError(
            "invalid_client", "client_assertion iss and sub must both be the client_id", 401
        )
    client = lookup_client(str(iss))
    if client is None:
        raise OAuthError("invalid_client", f"client_id '{iss}' is not registered", 401)
    key = jwks.get_key(client.jwks_url, kid)
    current = time.time() if now is None else now
    try:
        claims = jwt.decode(
            assertion,
            key,
            algorithms=["RS256"],
            audience=audiences,
            issuer=client.client_id,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
        )
    except jwt.InvalidAudienceError as exc:
        raise OAuthError(
            "invalid_client", f"client_assertion aud must contain one of {audiences}", 401
        ) from exc
    except jwt.ExpiredSignatureError as exc:
        raise OAuthError("invalid_client", "client_assertion has expired", 401) from exc
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_client", f"client_assertion rejected: {exc}", 401) from exc
    iat = claims["iat"]
    if not isinstance(iat, int | float) or iat < current - max_age:
        raise OAuthError("invalid_client", f"client_assertion iat is older than {max_age} s", 401)
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise OAuthError("invalid_client", "client_assertion jti must be a non-empty string", 401)
    return client, claims


def make_client_assertion(
    private_key: Any,
    kid: str,
    client_id: str,
    audience: str | list[str],
    *,
    lifetime: int = 300,
    now: float | None = None,
    **overrides: Any,
) -> str:
    """Sign a client assertion as a tool does (tests and the benchmark play the tool).

    `overrides` replace or, with a None value, drop claims, so tests can forge bad ones.
    """
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + lifetime,
        "jti": secrets.token_urlsafe(16),
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})


# --- LTI Dynamic Registration 1.0 (client metadata, RFC 7591 shape) ---

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
MESSAGE_TYPES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")


class RegistrationError(Exception):
    """Client metadata the platform refuses: RFC 7591 `error`, the bad `field`, a message."""

    def __init__(self, field: str, description: str, error: str = "invalid_client_metadata"):
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description
        self.error = error

    def as_json(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description, "field": self.field}


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) > 8


def _require_url(doc: dict, key: str, prefix: str = "") -> str:
    value = doc.get(key)
    if not _is_url(value):
        raise RegistrationError(
            prefix + key, f"{prefix + key} is required and must be an http(s) URL"
        )
    return value


def validate_registration(payload: Any) -> list[str]:
    """Check a tool's registration request as Moodle 4.x does; return the requested scopes.

    Stricter than Moodle on grant_types (the spec requires both) so a tool that forgets
    client_credentials finds out here, not at its first grade passback.
    """
    if not isinstance(payload, dict):
        raise RegistrationError("body", "the body must be a JSON object (client metadata)")
    application_type = payload.get("application_type")
    if application_type is not None and application_type != "web":
        raise RegistrationError("application_type", "application_type must be 'web'")
    response_types = payload.get("response_types")
    if not isinstance(response_types, list) or "id_token" not in response_types:
        raise RegistrationError(
            "response_types", "response_types must be an array containing 'id_token'"
        )
    grant_types = payload.get("grant_types")
    if not isinstance(grant_types, list) or not {"implicit", "client_credentials"} <= set(
        grant_types
    ):
        raise RegistrationError(
            "grant_types",
            "grant_types must be an array containing 'implicit' and 'client_credentials'",
        )
    if payload.get("token_endpoint_auth_method") != "private_key_jwt":
        raise RegistrationError(
            "token_endpoint_auth_method", "token_endpoint_auth_method must be 'private_key_jwt'"
        )
    redirect_uris = payload.get("redirect_uris")
    if (
        not isinstance(redirect_uris, list)
        or not redirect_uris
        or not all(_is_url(u) for u in redirect_uris)
    ):
        raise RegistrationError(
            "redirect_uris",
            "redirect_uris must be a non-empty array of http(s) URLs",
            "invalid_redirect_uri",
        )
    _require_url(payload, "initiate_login_uri")
    _require_url(payload, "jwks_uri")
    client_name = payload.get("client_name")
    if not isinstance(client_name, str) or not client_name.strip():
        raise RegistrationError("client_name", "client_name is required")
    scope = payload.get("scope", "")
    if not isinstance(scope, str):
        raise RegistrationError("scope", "scope must be a space-separated string")
    config = payload.get(TOOL_CONFIGURATION)
    if not isinstance(config, dict):
        raise RegistrationError(TOOL_CONFIGURATION, f"the {TOOL_CONFIGURATION} object is required")
    prefix = TOOL_CONFIGURATION + "."
    domain = config.get("domain")
    if not isinstance(domain, str) or not domain.strip():
        raise RegistrationError(prefix + "domain", f"{prefix}domain is required")
    _require_url(config, "target_link_uri", prefix)
    messages = config.get("messages", [])
    if not isinstance(messages, list):
        raise RegistrationError(prefix + "messages", f"{prefix}messages must be an array")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
            raise RegistrationError(
                f"{prefix}messages[{i}]",
                f"each message needs a type, one of {', '.join(MESSAGE_TYPES)}",
            )
        if "target_link_uri" in message and not _is_url(message["target_link_uri"]):
            raise RegistrationError(
                f"{prefix}messages[{i}].target_link_uri", "target_link_uri must be an http(s) URL"
            )
    claims = config.get("claims", [])
    if not isinstance(claims, list) or not all(isinstance(c, str) for c in claims):
        raise RegistrationError(prefix + "claims", f"{prefix}claims must be an array of strings")
    custom = config.get("custom_parameters", {})
    if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
        raise RegistrationError(
            prefix + "custom_parameters", "custom_parameters must map names to strings"
        )
    return parse_scopes(scope)
