"""LTI Dynamic Registration 1.0 and the Canvas developer-key JSON, without the web layer.

Fetch and check a platform's OpenID configuration, describe the tool, register, store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Platform, RegistrationInvite
from . import invites
from .platforms import PlatformError, PlatformInput, add_platform, check_url, find

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_SCOPES = [
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SCOPE_NRPS,
]

TOOL_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email", "locale"]

# Instructure-hosted Canvas: every school shares these issuers, but each serves its
# OpenID configuration from its own host, so the spec's prefix rule cannot hold there.
CANVAS_HOSTED_ISSUERS = {
    "https://canvas.instructure.com",
    "https://canvas.beta.instructure.com",
    "https://canvas.test.instructure.com",
}
CANVAS_HOST_SUFFIXES = (".instructure.com", ".canvaslms.com")

# A platform's configuration or registration answer is a few KB; refuse anything huge.
MAX_RESPONSE_BYTES = 1_000_000
# How long the confirm page may stay open before its form is refused.
CONFIRM_MAX_AGE_SECONDS = 3600
LOGO_STATIC_PATH = "img/peerpath-logo.svg"


class RegistrationError(Exception):
    """Registration refused or failed; `message` is written for an LMS administrator."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class PlatformConfiguration:
    """The parts of a platform's OpenID configuration the tool relies on."""

    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product_family: str
    product_version: str = ""
    authorization_server: str | None = None
    account_name: str = ""
    scopes_supported: list[str] = field(default_factory=list)

    @property
    def is_canvas(self) -> bool:
        return self.product_family.lower() == "canvas"

    @property
    def display_name(self) -> str:
        host = urlsplit(self.issuer).hostname or self.issuer
        product = self.product_family.capitalize() if self.product_family else _("LMS")
        if self.account_name:
            return f"{self.account_name} ({product})"
        return f"{product} ({host})"


@dataclass
class RegistrationResult:
    client_id: str
    deployment_id: str | None
    scopes: list[str]


# --- Who may register ---------------------------------------------------------------


def _is_canvas_hosted_pair(issuer: str, config_url: str) -> bool:
    host = (urlsplit(config_url).hostname or "").lower()
    return (
        issuer.rstrip("/") in CANVAS_HOSTED_ISSUERS
        and urlsplit(config_url).scheme == "https"
        and host.endswith(CANVAS_HOST_SUFFIXES)
    )


def issuer_matches_url(issuer: str, config_url: str) -> bool:
    """The spec's rule: the configuration URL starts with the issuer (Canvas excepted)."""
    issuer = issuer.rstrip("/")
    if (
        config_url == issuer
        or config_url.startswith(issuer + "/")
        or config_url.startswith(issuer + "?")
    ):
        return True
    return _is_canvas_hosted_pair(issuer, config_url)


def allowed_issuer_for_url(config_url: str) -> str | None:
    """The REGISTRATION_ALLOWED_ISSUERS entry this configuration URL may belong to.

    Checked before fetching anything, so an unauthenticated request cannot make the
    tool fetch arbitrary URLs in production.
    """
    for issuer in current_app.config["REGISTRATION_ALLOWED_ISSUERS"]:
        if issuer_matches_url(issuer, config_url):
            return issuer.rstrip("/")
    return None


def authorize(config_url: str, invite_token: str | None) -> RegistrationInvite | None:
    """Raise RegistrationError(403) unless this registration may proceed.

    Returns the invite to claim on success (None when no invite is involved).
    """
    if invite_token:
        try:
            return invites.find_usable(invite_token)
        except invites.InviteError as exc:
            raise RegistrationError(str(exc), 403) from None
    if current_app.config["ENV"] == "development":
        return None
    if allowed_issuer_for_url(config_url):
        return None
    raise RegistrationError(
        _(
            "This PeerPath only accepts registrations it was told to expect. Ask the PeerPath "
            "operator for a registration invite (they run: peerpath platform invite) and paste "
            "the invite URL into your LMS instead of the plain registration URL."
        ),
        403,
    )


def authorize_issuer(config: PlatformConfiguration) -> None:
    """Without an invite, production also needs the fetched issuer itself to be allowed."""
    if current_app.config["ENV"] == "development":
        return
    allowed = {i.rstrip("/") for i in current_app.config["REGISTRATION_ALLOWED_ISSUERS"]}
    if config.issuer.rstrip("/") not in allowed:
        raise RegistrationError(
            _(
                "The issuer %(issuer)s may not register without an invite. Ask the PeerPath "
                "operator for one (peerpath platform invite).",
                issuer=config.issuer,
            ),
            403,
        )


# --- HTTP with the platform -------------------------------------------------------------


def _read_limited(response: requests.Response) -> bytes:
    body = b""
    for chunk in response.iter_content(65536):
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise RegistrationError(_("The platform's answer is unreasonably large (over 1 MB)."))
    return body


def _headers(registration_token: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    # Canvas refuses the configuration without it; the spec makes the token optional (D2L).
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    return headers


def fetch_configuration(config_url: str, registration_token: str | None) -> PlatformConfiguration:
    """GET the platform's OpenID configuration and validate it."""
    try:
        config_url = check_url("openid_configuration", config_url)
    except PlatformError as exc:
        raise RegistrationError(
            _("The platform's configuration address is not usable: %(reason)s", reason=str(exc))
        ) from None
    try:
        # No redirects: the issuer check below is about this exact URL.
        response = requests.get(
            config_url,
            headers=_headers(registration_token),
            timeout=current_app.config["HTTP_TIMEOUT"],
            allow_redirects=False,
            stream=True,
        )
        with response:
            body = _read_limited(response)
    except requests.RequestException as exc:
        raise RegistrationError(
            _(
                "PeerPath could not reach your platform's configuration at %(url)s (%(reason)s). "
                "Check that PeerPath's server can reach the LMS over the network.",
                url=config_url,
                reason=type(exc).__name__,
            )
        ) from None
    if response.status_code != 200:
        raise RegistrationError(
            _(
                "Your platform answered HTTP %(status)s when PeerPath asked for its configuration "
                "at %(url)s%(detail)s. The registration link may have expired: start the "
                "registration again from the LMS.",
                status=response.status_code,
                url=config_url,
                detail=_error_detail(body),
            )
        )
    try:
        data = json.loads(body)
    except ValueError:
        raise RegistrationError(
            _("Your platform's configuration at %(url)s is not JSON.", url=config_url)
        ) from None
    return validate_configuration(config_url, data)


def validate_configuration(config_url: str, data: Any) -> PlatformConfiguration:
    """Check an OpenID configuration against LTI Dynamic Registration 1.0 §3.4/3.5."""
    if not isinstance(data, dict):
        raise RegistrationError(_("Your platform's configuration is not a JSON object."))

    issuer = data.get("issuer")
    if not isinstance(issuer, str) or not issuer.strip():
        raise RegistrationError(_("Your platform's configuration has no issuer."))
    issuer = issuer.strip()
    try:
        issuer = check_url("issuer", issuer)
    except PlatformError as exc:
        raise RegistrationError(
            _("Your platform's issuer is not usable: %(reason)s", reason=str(exc))
        ) from None
    if not issuer_matches_url(issuer, config_url):
        raise RegistrationError(
            _(
                "The platform's configuration names the issuer %(issuer)s, but it was fetched from "
                "%(url)s, which is not under that issuer. The specification requires the two to "
                "match, so PeerPath cannot trust this configuration. Check the LMS's configured "
                "site address (for Moodle: $CFG->wwwroot).",
                issuer=issuer,
                url=config_url,
            )
        )

    urls: dict[str, str] = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise RegistrationError(
                _("Your platform's configuration has no %(field)s.", field=name)
            )
        try:
            urls[name] = check_url(name, value)
        except PlatformError as exc:
            raise RegistrationError(
                _(
                    "Your platform's %(field)s is not usable: %(reason)s",
                    field=name,
                    reason=str(exc),
                )
            ) from None

    _require_member(data, "token_endpoint_auth_methods_supported", "private_key_jwt")
    _require_member(data, "id_token_signing_alg_values_supported", "RS256")

    platform_conf = data.get(PLATFORM_CONFIGURATION)
    if not isinstance(platform_conf, dict):
        raise RegistrationError(
            _(
                "Your platform's configuration lacks the LTI platform section (%(key)s): "
                "it does not look like an LTI 1.3 platform.",
                key=PLATFORM_CONFIGURATION,
            )
        )
    family = platform_conf.get("product_family_code")
    if not isinstance(family, str) or not family.strip():
        raise RegistrationError(
            _("Your platform's configuration does not name its product (product_family_code).")
        )

    auth_server = data.get("authorization_server")
    scopes = data.get("scopes_supported")
    return PlatformConfiguration(
        url=config_url,
        issuer=issuer,
        authorization_endpoint=urls["authorization_endpoint"],
        token_endpoint=urls["token_endpoint"],
        jwks_uri=urls["jwks_uri"],
        registration_endpoint=urls["registration_endpoint"],
        product_family=family.strip()[:100],
        product_version=str(platform_conf.get("version") or ""),
        authorization_server=auth_server if isinstance(auth_server, str) and auth_server else None,
        account_name=str(
            platform_conf.get("https://canvas.instructure.com/lti/account_name") or ""
        )[:150],
        scopes_supported=[s for s in scopes if isinstance(s, str)]
        if isinstance(scopes, list)
        else [],
    )


def _require_member(data: dict, key: str, value: str) -> None:
    listed = data.get(key)
    if not isinstance(listed, list) or value not in listed:
        raise RegistrationError(
            _(
                "Your platform's configuration does not list %(value)s in %(key)s; PeerPath "
                "needs it (LTI 1.3 requires it).",
                value=value,
                key=key,
            )
        )


def _error_detail(body: bytes) -> str:
    """The platform's own words about an error, from the usual JSON shapes or plain text."""
    text = body.decode("utf-8", "replace").strip()
    message = ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if data.get("error_description") or data.get("error"):
            message = str(data.get("error_description") or data.get("error"))
        elif isinstance(data.get("errors"), list):  # Canvas: {"errors": [...]}
            parts = []
            for item in data["errors"]:
                if isinstance(item, dict):
                    parts.append(
                        " ".join(str(item.get(k)) for k in ("field", "message") if item.get(k))
                    )
                else:
                    parts.append(str(item))
            message = "; ".join(p for p in parts if p)
        elif data.get("message"):
            message = str(data["message"])
    elif text and not text.startswith("<"):
        message = text
    message = " ".join(message.split())[:300]
    return f": “{message}”" if message else ""


# --- What the tool asks for -----------------------------------------------------------


def _base() -> str:
    return current_app.config["BASE_URL"]


def logo_uri() -> str | None:
    """Only advertise a logo that exists, or a platform shows a broken image."""
    configured = current_app.config.get("TOOL_LOGO_URL")
    if configured:
        return configured
    static = current_app.static_folder
    if static and (Path(static) / LOGO_STATIC_PATH).is_file():
        return f"{_base()}/static/{LOGO_STATIC_PATH}"
    return None


def client_metadata(config: PlatformConfiguration | None = None) -> dict[str, Any]:
    """The registration request body (OpenID client metadata + LTI tool configuration)."""
    base = _base()
    launch = f"{base}/lti/launch"
    name = current_app.config["TOOL_NAME"]
    canvas = config is not None and config.is_canvas
    # Placement names are platform vocabulary: Canvas validates them against its own
    # list; Moodle ignores them; others follow the spec's ContentArea.
    deep_link_placements = ["link_selection", "assignment_selection"] if canvas else ["ContentArea"]
    deep_link = {
        "type": "LtiDeepLinkingRequest",
        "target_link_uri": launch,
        "label": _("Add a %(tool)s activity", tool=name),
        "placements": deep_link_placements,
    }
    resource_link: dict[str, Any] = {
        "type": "LtiResourceLinkRequest",
        "target_link_uri": launch,
        "label": name,
    }
    if canvas:
        resource_link["placements"] = ["course_navigation"]
        # Off in course menus until a teacher turns it on: most courses reach PeerPath through assignments.
        resource_link["https://canvas.instructure.com/lti/course_navigation/default_enabled"] = (
            False
        )
    tool_conf: dict[str, Any] = {
        "domain": urlsplit(base).netloc,
        "description": current_app.config["TOOL_DESCRIPTION"],
        "target_link_uri": launch,
        "claims": list(TOOL_CLAIMS),
        "messages": [deep_link, resource_link],
    }
    if canvas:
        tool_conf["https://canvas.instructure.com/lti/privacy_level"] = "public"
        tool_conf["https://canvas.instructure.com/lti/tool_id"] = "peerpath"
    metadata: dict[str, Any] = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base}/lti/login",
        "redirect_uris": [launch],
        "client_name": name,
        "jwks_uri": f"{base}/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(TOOL_SCOPES),
        TOOL_CONFIGURATION: tool_conf,
    }
    logo = logo_uri()
    if logo:
        metadata["logo_uri"] = logo
    return metadata


def canvas_developer_key() -> dict[str, Any]:
    """The JSON an admin pastes into Canvas (Developer Keys → LTI Key → Paste JSON)."""
    base = _base()
    launch = f"{base}/lti/launch"
    name = current_app.config["TOOL_NAME"]

    def placement(kind: str, message_type: str, text: str, **extra: Any) -> dict[str, Any]:
        return {
            "placement": kind,
            "message_type": message_type,
            "target_link_uri": launch,
            "text": text,
            **extra,
        }

    settings: dict[str, Any] = {
        "text": name,
        "placements": [
            placement("link_selection", "LtiDeepLinkingRequest", name),
            placement("assignment_selection", "LtiDeepLinkingRequest", name),
            placement("course_navigation", "LtiResourceLinkRequest", name, default="disabled"),
        ],
    }
    logo = logo_uri()
    if logo:
        settings["icon_url"] = logo
    return {
        "title": name,
        "description": current_app.config["TOOL_DESCRIPTION"],
        "oidc_initiation_url": f"{base}/lti/login",
        "target_link_uri": launch,
        "scopes": list(TOOL_SCOPES),
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "domain": urlsplit(base).hostname,
                "tool_id": "peerpath",
                "settings": settings,
            }
        ],
        "public_jwk_url": f"{base}/lti/jwks",
        "custom_fields": {},
    }


# --- The confirm form, protected without cookies ------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="peerpath.lti.registration"
    )


def _digest(config_url: str, registration_token: str | None, invite_token: str | None) -> str:
    # Length-prefixed JSON so no two different triples share a digest.
    payload = json.dumps([config_url, registration_token or "", invite_token or ""])
    return hashlib.sha256(payload.encode()).hexdigest()


def sign_form(config_url: str, registration_token: str | None, invite_token: str | None) -> str:
    """The hidden field of the confirm form; the page may live in a cookie-less iframe."""
    return _serializer().dumps(_digest(config_url, registration_token, invite_token))


def verify_form(
    signature: str, config_url: str, registration_token: str | None, invite_token: str | None
) -> None:
    try:
        signed = _serializer().loads(signature or "", max_age=CONFIRM_MAX_AGE_SECONDS)
    except SignatureExpired:
        raise RegistrationError(
            _(
                "This confirmation page was open too long. Start the registration again from your LMS."
            )
        ) from None
    except BadSignature:
        signed = None
    if not isinstance(signed, str) or not hmac.compare_digest(
        signed, _digest(config_url, registration_token, invite_token)
    ):
        raise RegistrationError(
            _(
                "The confirmation form was not issued by this PeerPath for this registration. "
                "Start the registration again from your LMS."
            )
        )


# --- Registering ----------------------------------------------------------------------------


def post_registration(
    config: PlatformConfiguration, registration_token: str | None, metadata: dict[str, Any]
) -> dict[str, Any]:
    """POST the client metadata to the platform's registration endpoint."""
    try:
        response = requests.post(
            config.registration_endpoint,
            json=metadata,
            headers=_headers(registration_token),
            timeout=current_app.config["HTTP_TIMEOUT"],
            allow_redirects=False,
            stream=True,
        )
        with response:
            body = _read_limited(response)
    except requests.RequestException as exc:
        raise RegistrationError(
            _(
                "PeerPath could not reach your platform's registration endpoint %(url)s (%(reason)s).",
                url=config.registration_endpoint,
                reason=type(exc).__name__,
            )
        ) from None
    if not 200 <= response.status_code < 300:
        raise RegistrationError(
            _(
                "Your platform refused the registration (HTTP %(status)s)%(detail)s. Nothing was "
                "stored in PeerPath; start the registration again from the LMS once this is fixed.",
                status=response.status_code,
                detail=_error_detail(body),
            )
        )
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise RegistrationError(
            _("Your platform accepted the registration but its answer is not a JSON object.")
        )
    return data


def parse_registration_response(data: dict[str, Any], requested_scope: str) -> RegistrationResult:
    client_id = data.get("client_id")
    if isinstance(client_id, int) and not isinstance(client_id, bool):
        client_id = str(client_id)
    if not isinstance(client_id, str) or not client_id.strip():
        raise RegistrationError(_("Your platform's registration answer has no client_id."))
    deployment_id = None
    tool_conf = data.get(TOOL_CONFIGURATION)
    if isinstance(tool_conf, dict) and tool_conf.get("deployment_id") not in (None, ""):
        deployment_id = str(tool_conf["deployment_id"]).strip() or None
    scope = data.get("scope")
    # A platform that does not echo `scope` granted what was asked (Moodle always echoes,
    # Canvas lets the admin narrow scopes later; launches re-check what is granted).
    granted = scope if isinstance(scope, str) else requested_scope
    return RegistrationResult(
        client_id=client_id.strip(), deployment_id=deployment_id, scopes=granted.split()
    )


def store(
    config: PlatformConfiguration, result: RegistrationResult, invite: RegistrationInvite | None
) -> Platform:
    """Store the platform and claim the invite in one transaction, or change nothing."""
    if find(config.issuer, result.client_id) is not None:
        raise RegistrationError(
            _(
                "PeerPath already has a registration for %(issuer)s with client_id %(client_id)s, "
                "so this one was not stored. If the old registration is stale, the PeerPath "
                "operator can remove it (peerpath platform remove) and you can register again.",
                issuer=config.issuer,
                client_id=result.client_id,
            ),
            409,
        )
    try:
        if invite is not None:
            invites.claim(invite, config.issuer)
        return add_platform(
            PlatformInput(
                issuer=config.issuer,
                client_id=result.client_id,
                auth_login_url=config.authorization_endpoint,
                auth_token_url=config.token_endpoint,
                key_set_url=config.jwks_uri,
                deployment_ids=[result.deployment_id] if result.deployment_id else [],
                name=config.display_name,
                auth_audience=config.authorization_server,
                product_family=config.product_family,
                # Canvas tells deployment ids only at first launch.
                accept_new_deployments=result.deployment_id is None,
                scopes=" ".join(result.scopes)[:2000],
            )
        )
    except invites.InviteError as exc:
        db.session.rollback()
        raise RegistrationError(str(exc), 403) from None
    except PlatformError as exc:
        db.session.rollback()
        raise RegistrationError(
            _("PeerPath cannot store this registration: %(reason)s.", reason=str(exc))
        ) from None
    except IntegrityError:
        # Another request stored the same (issuer, client_id) a moment ago.
        db.session.rollback()
        raise RegistrationError(
            _(
                "PeerPath already has a registration for %(issuer)s with this client_id.",
                issuer=config.issuer,
            ),
            409,
        ) from None
    except Exception:
        db.session.rollback()
        raise


def register(
    config_url: str, registration_token: str | None, invite: RegistrationInvite | None
) -> tuple[Platform, PlatformConfiguration]:
    """The whole confirmed registration: re-fetch, POST to the platform, store."""
    config = fetch_configuration(config_url, registration_token)
    if invite is None:
        authorize_issuer(config)
    metadata = client_metadata(config)
    answer = post_registration(config, registration_token, metadata)
    result = parse_registration_response(answer, metadata["scope"])
    return store(config, result, invite), config


def scope_descriptions() -> dict[str, str]:
    """What each requested scope lets PeerPath do, in an admin's words."""
    return {
        SCOPE_LINEITEM: _("Create and update grade columns for PeerPath activities"),
        SCOPE_LINEITEM_READONLY: _("Read grade columns"),
        SCOPE_RESULT_READONLY: _("Read results in PeerPath's grade columns"),
        SCOPE_SCORE: _("Send scores to the gradebook"),
        SCOPE_NRPS: _("Read course rosters (names and roles) to form peer groups"),
    }
