"""id_token validation: pylti1p3's MessageLaunch with every gap from LTI-NOTES.md closed.

We run our own order of checks; each failure is a LaunchError naming the check.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from pylti1p3.exception import LtiException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.request import Request

from . import claims as c
from .errors import LaunchError
from .platform_keys import platform_keys
from .tool_conf import DbToolConf, DeploymentRef, PlatformRef


@dataclass(frozen=True)
class LaunchSettings:
    base_url: str
    leeway: int
    max_age: int
    jwks_cache_seconds: int
    jwks_min_refetch: int
    http_timeout: int

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> LaunchSettings:
        return cls(
            base_url=cfg["BASE_URL"],
            leeway=cfg["JWT_LEEWAY"],
            max_age=cfg["ID_TOKEN_MAX_AGE"],
            jwks_cache_seconds=cfg["PLATFORM_JWKS_CACHE_SECONDS"],
            jwks_min_refetch=cfg["PLATFORM_JWKS_MIN_REFETCH_SECONDS"],
            http_timeout=cfg["HTTP_TIMEOUT"],
        )


@dataclass
class ValidatedLaunch:
    platform: PlatformRef
    deployment: DeploymentRef | None  # None: a new deployment the platform may teach us
    deployment_id: str
    body: dict[str, Any]

    @property
    def message_type(self) -> str:
        return self.body[c.MESSAGE_TYPE]


class _ParamRequest(Request):
    def __init__(self, params: Mapping[str, str]):
        self._params = params

    @property
    def session(self):  # pragma: no cover - never used: state lives in the database
        raise RuntimeError("PeerPath keeps no launch state in the cookie session")

    def is_secure(self) -> bool:
        return True

    def get_param(self, key: str) -> str:
        return self._params.get(key, "")


class _NoService:
    """pylti1p3 insists on session/cookie services; our validate() never calls them."""

    def __getattr__(self, name):
        raise RuntimeError(f"pylti1p3 {name} called: PeerPath keeps launch state server-side")


class PeerPathMessageLaunch(MessageLaunch):
    def __init__(self, params: Mapping[str, str], tool_conf: DbToolConf, settings: LaunchSettings):
        super().__init__(_ParamRequest(params), tool_conf, session_service=_NoService(), cookie_service=_NoService())
        self._settings = settings
        self._auto_validation = False
        self._platform: PlatformRef | None = None

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    # -- the whole check sequence --------------------------------------------------

    def validate_for(self, expected_nonce: str, expected_platform_id: int) -> ValidatedLaunch:
        token = self._get_request_param("id_token")
        if not token:
            raise LaunchError("id_token", "the LMS did not send an id_token")
        try:
            self.validate_jwt_format()
        except LtiException:
            raise LaunchError("format", "the id_token is not a JWT (three base64url parts of JSON)") from None
        header = self._jwt.get("header", {})
        body = self._jwt.get("body", {})
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchError("format", "the id_token header and body must be JSON objects")
        alg = header.get("alg")
        if alg != "RS256":
            raise LaunchError(
                "algorithm", f"the id_token is signed with '{alg}', but LTI 1.3 requires RS256", status=401
            )
        if not header.get("kid"):
            raise LaunchError("kid", "the id_token header has no kid, so its signing key cannot be found", status=401)

        iss = body.get("iss")
        if not iss or not isinstance(iss, str):
            raise LaunchError("iss", "the id_token has no issuer (iss)")
        client_id = self._client_id(body)
        platform = self._tool_config.platform(iss, client_id)
        if platform is None:
            raise LaunchError(
                "registration",
                f"no platform is registered with issuer '{iss}' and client_id '{client_id}'",
                status=403,
                issuer=iss,
            )
        if platform.status != "active":
            raise LaunchError(
                "registration", f"the registration for '{iss}' is waiting for an operator to activate it", status=403, issuer=iss
            )
        if platform.id != expected_platform_id:
            raise LaunchError(
                "state", "this launch does not belong to the login that started it (different platform)", issuer=iss
            )
        self._platform = platform
        self._registration = self._tool_config.to_registration(platform)

        verified = self._verify_signature_and_times(token, header["kid"], platform, client_id)

        nonce = verified.get("nonce")
        if not nonce:
            raise LaunchError("nonce", "the id_token has no nonce", issuer=iss)
        if nonce != expected_nonce:
            raise LaunchError(
                "nonce", "the id_token's nonce does not match the one issued at login (replayed or mixed-up launch)", issuer=iss
            )

        deployment_id = verified.get(c.DEPLOYMENT_ID)
        if not deployment_id or not isinstance(deployment_id, str):
            raise LaunchError("deployment_id", "the id_token has no deployment_id claim", issuer=iss)
        deployment = self._tool_config.deployment(platform, deployment_id)
        if deployment is None and not platform.accept_new_deployments:
            raise LaunchError(
                "deployment",
                f"deployment_id '{deployment_id}' is not registered for issuer '{iss}' (client_id '{client_id}')",
                status=403,
                issuer=iss,
            )

        self._check_message(verified, iss)
        return ValidatedLaunch(platform=platform, deployment=deployment, deployment_id=deployment_id, body=verified)

    # -- individual checks -----------------------------------------------------------

    @staticmethod
    def _client_id(body: Mapping[str, Any]) -> str:
        aud = body.get("aud")
        azp = body.get("azp")
        if isinstance(aud, str) and aud:
            if azp is not None and azp != aud:
                raise LaunchError("azp", f"azp '{azp}' does not match the audience '{aud}'", issuer=body.get("iss"))
            return aud
        if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
            if len(aud) == 1:
                if azp is not None and azp != aud[0]:
                    raise LaunchError("azp", f"azp '{azp}' does not match the audience '{aud[0]}'", issuer=body.get("iss"))
                return aud[0]
            # Several audiences: azp names the one meant; without it we cannot tell which
            # client the token is for, and we trust no extra audience.
            if not azp:
                raise LaunchError(
                    "azp", "the id_token has several audiences but no azp claim naming this tool", issuer=body.get("iss")
                )
            if azp not in aud:
                raise LaunchError("azp", f"azp '{azp}' is not one of the token's audiences", issuer=body.get("iss"))
            return azp
        raise LaunchError("aud", "the id_token has no audience (aud)", issuer=body.get("iss"))

    def _verify_signature_and_times(self, token: str, kid: str, platform: PlatformRef, client_id: str) -> dict:
        s = self._settings
        try:
            key = platform_keys.get_key(
                platform.key_set_url,
                kid,
                max_age=s.jwks_cache_seconds,
                min_refetch=s.jwks_min_refetch,
                timeout=s.http_timeout,
            )
        except LaunchError as err:
            err.issuer = platform.issuer
            raise
        try:
            body = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=client_id,
                issuer=platform.issuer,
                leeway=s.leeway,
                options={"require": ["exp", "iat", "iss", "aud"], "verify_iat": True},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchError(exc.claim, f"the id_token has no '{exc.claim}' claim", status=401, issuer=platform.issuer) from None
        except jwt.ExpiredSignatureError:
            raise LaunchError("exp", "the id_token has expired (check the LMS server's clock)", status=401, issuer=platform.issuer) from None
        except jwt.ImmatureSignatureError:
            raise LaunchError(
                "iat", "the id_token is dated in the future (check the LMS server's clock)", status=401, issuer=platform.issuer
            ) from None
        except jwt.InvalidAudienceError:
            raise LaunchError("aud", f"the id_token is not addressed to client_id '{client_id}'", status=401, issuer=platform.issuer) from None
        except jwt.InvalidIssuerError:
            raise LaunchError("iss", "the id_token's issuer does not match the registration", status=401, issuer=platform.issuer) from None
        except jwt.InvalidSignatureError:
            raise LaunchError(
                "signature", "the id_token's signature does not verify with the platform's published key", status=401, issuer=platform.issuer
            ) from None
        except jwt.InvalidTokenError as exc:
            raise LaunchError("format", f"the id_token could not be verified: {exc}", status=401, issuer=platform.issuer) from None
        if not isinstance(body.get("iat"), int | float) or not isinstance(body.get("exp"), int | float):
            raise LaunchError("iat", "iat and exp must be numbers (seconds since 1970)", status=401, issuer=platform.issuer)
        if time.time() - body["iat"] > s.max_age + s.leeway:
            raise LaunchError(
                "iat", f"the id_token was issued more than {s.max_age} seconds ago", status=401, issuer=platform.issuer
            )
        return body

    def _check_message(self, body: dict, iss: str) -> None:
        message_type = body.get(c.MESSAGE_TYPE)
        if not message_type:
            raise LaunchError("message_type", "the id_token has no message_type claim", issuer=iss)
        if message_type not in c.SUPPORTED_MESSAGES:
            raise LaunchError(
                "message_type", f"message type '{message_type}' is not supported by PeerPath", issuer=iss
            )
        version = body.get(c.VERSION)
        if version != "1.3.0":
            raise LaunchError("version", f"LTI version must be 1.3.0, got {version!r}", issuer=iss)
        sub = body.get("sub")
        if not sub or not isinstance(sub, str):
            raise LaunchError("sub", "the id_token does not say who the user is (sub)", issuer=iss)
        roles = body.get(c.ROLES)
        if not isinstance(roles, list):
            raise LaunchError("roles", "the id_token has no roles claim (an empty list is fine)", issuer=iss)
        target = body.get(c.TARGET_LINK_URI)
        if not target or not isinstance(target, str):
            raise LaunchError("target_link_uri", "the id_token has no target_link_uri claim", issuer=iss)
        check_target_link_uri(target, self._settings.base_url)
        context = body.get(c.CONTEXT)
        if context is not None and (not isinstance(context, dict) or not context.get("id")):
            raise LaunchError("context", "the context claim has no id", issuer=iss)
        if message_type == c.RESOURCE_LINK_REQUEST:
            link = body.get(c.RESOURCE_LINK)
            if not isinstance(link, dict) or not link.get("id"):
                raise LaunchError("resource_link", "a resource link launch must carry resource_link.id", issuer=iss)
        else:
            settings = body.get(c.DL_SETTINGS)
            if not isinstance(settings, dict):
                raise LaunchError("deep_linking_settings", "a deep-linking launch must carry deep_linking_settings", issuer=iss)
            if not settings.get("deep_link_return_url"):
                raise LaunchError(
                    "deep_link_return_url", "deep_linking_settings has no deep_link_return_url to send the choice back to", issuer=iss
                )
        # Second opinion from pylti1p3's own message validators.
        try:
            self.validate_message()
        except LtiException as exc:
            raise LaunchError("claims", f"the launch message is incomplete: {exc}", issuer=iss) from None


def check_target_link_uri(target: str, base_url: str) -> None:
    """The target must be on our own origin: anything else would make us an open redirect."""
    ours = urlsplit(base_url)
    theirs = urlsplit(target)
    if (theirs.scheme, theirs.netloc.lower()) != (ours.scheme, ours.netloc.lower()):
        raise LaunchError(
            "target_link_uri",
            f"target_link_uri '{target}' is not on this tool ({ours.scheme}://{ours.netloc})",
        )
