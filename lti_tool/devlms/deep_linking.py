"""Deep Linking 2.0 on the platform side: the opaque `data` we send, and the response we accept.

`accept_response` verifies the tool's JWT as a real platform does, then places the returned links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from . import keys, tokens, urls
from .models import Course, DevTool, LineItem, ResourceLink, db

DATA_SALT = "devlms-deep-linking-data"
# An instructor may take a while choosing content inside the tool.
DATA_MAX_AGE = 3600
RESOURCE_LINK = "ltiResourceLink"


class DeepLinkError(ValueError):
    """The deep-linking response was refused; the message names the failed check."""


@dataclass
class DeepLinkResult:
    course_id: str
    links: list[ResourceLink] = field(default_factory=list)
    msg: str = ""
    errormsg: str = ""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DATA_SALT)


def issue_data(course_id: str, client_id: str, user_id: str) -> str:
    """The opaque `data` value the tool must echo verbatim; signed so it cannot be altered."""
    return _serializer().dumps({"course": course_id, "tool": client_id, "user": user_id})


def _verify(token: str) -> tuple[DevTool, dict[str, Any]]:
    if not token:
        raise DeepLinkError("the form field JWT is missing")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise DeepLinkError(f"JWT is not a well-formed JWT: {exc}") from exc
    if header.get("alg") != "RS256":
        raise DeepLinkError(f"JWT alg must be RS256, got {header.get('alg')!r}")
    client_id = unverified.get("iss")
    tool = db.session.scalars(select(DevTool).where(DevTool.client_id == str(client_id))).first()
    if tool is None:
        raise DeepLinkError(f"iss {client_id!r} is not the client_id of a registered tool")
    try:
        key = keys.tool_public_key(tool.jwks_url, header.get("kid"))
    except keys.ToolKeyError as exc:
        raise DeepLinkError(str(exc)) from exc
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=urls.issuer(),
            issuer=tool.client_id,
            options={"require": ["iss", "aud", "exp", "iat"]},
            leeway=5,
        )
    except jwt.InvalidAudienceError as exc:
        raise DeepLinkError(f"aud must be this platform's issuer {urls.issuer()!r}") from exc
    except jwt.InvalidSignatureError as exc:
        raise DeepLinkError("the JWT signature does not verify with the tool's public key") from exc
    except jwt.PyJWTError as exc:
        raise DeepLinkError(f"JWT rejected: {exc}") from exc
    if not claims.get("nonce"):
        raise DeepLinkError("nonce is missing")
    if claims.get(tokens.LTI + "message_type") != "LtiDeepLinkingResponse":
        raise DeepLinkError("message_type must be LtiDeepLinkingResponse")
    if claims.get(tokens.LTI + "version") != tokens.LTI_VERSION:
        raise DeepLinkError(f"version must be {tokens.LTI_VERSION}")
    if claims.get(tokens.LTI + "deployment_id") != tool.deployment_id:
        raise DeepLinkError("deployment_id does not match the tool's deployment")
    return tool, claims


def _check_data(claims: dict[str, Any], tool: DevTool) -> dict[str, Any]:
    data = claims.get(tokens.DL + "data")
    if not isinstance(data, str) or not data:
        raise DeepLinkError("data is missing: the tool must echo the request's data verbatim")
    try:
        payload = _serializer().loads(data, max_age=DATA_MAX_AGE)
    except BadSignature as exc:
        raise DeepLinkError(
            "data is not the value this platform sent (it must be echoed verbatim)"
        ) from exc
    if payload.get("tool") != tool.client_id:
        raise DeepLinkError("data was issued to another tool")
    return payload


def _text(value: Any, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DeepLinkError(f"{name} must be a string")
    return value[:limit]


def _custom(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DeepLinkError("custom must be a JSON object")
    out = {}
    for k, v in value.items():
        # The spec allows only string values; numbers are forgiven as their text.
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise DeepLinkError(f"custom parameter {k!r} must be a string")
        out[str(k)] = str(v)
    return out


def _url(value: Any) -> str:
    if value in (None, ""):
        return ""
    parts = urlsplit(str(value))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise DeepLinkError(f"url {value!r} must be an absolute http(s) URL")
    return str(value)


def _line_item(spec: Any, link: ResourceLink) -> LineItem:
    if not isinstance(spec, dict):
        raise DeepLinkError("lineItem must be a JSON object")
    maximum = spec.get("scoreMaximum")
    if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
        raise DeepLinkError("lineItem.scoreMaximum must be a number greater than 0")
    return LineItem(
        course_id=link.course_id,
        tool_id=link.tool_id,
        resource_link=link,
        label=_text(spec.get("label"), "lineItem.label", 300) or link.title,
        score_maximum=float(maximum),
        resource_id=_text(spec.get("resourceId"), "lineItem.resourceId", 300),
        tag=_text(spec.get("tag"), "lineItem.tag", 300),
    )


def accept_response(token: str) -> DeepLinkResult:
    """Verify an LtiDeepLinkingResponse and create its resource links (all or nothing)."""
    tool, claims = _verify(token)
    payload = _check_data(claims, tool)
    course = db.session.get(Course, payload.get("course", ""))
    if course is None:
        raise DeepLinkError("the course this request was made for no longer exists")
    items = claims.get(tokens.DL + "content_items", [])
    if not isinstance(items, list):
        raise DeepLinkError("content_items must be an array")
    result = DeepLinkResult(
        course_id=course.id,
        msg=_text(claims.get(tokens.DL + "msg"), "msg", 1000),
        errormsg=_text(claims.get(tokens.DL + "errormsg"), "errormsg", 1000),
    )
    position = max((link.position for link in course.links), default=-1) + 1
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise DeepLinkError(f"content item {index} is not a JSON object")
        if item.get("type") != RESOURCE_LINK:
            raise DeepLinkError(
                f"content item {index} has type {item.get('type')!r}; only ltiResourceLink is accepted"
            )
        link = ResourceLink(
            course_id=course.id,
            tool_id=tool.id,
            title=_text(item.get("title"), "title", 300) or tool.name,
            description=_text(item.get("text"), "text", 5000),
            url=_url(item.get("url")),
            custom=_custom(item.get("custom")),
            position=position + index,
        )
        db.session.add(link)
        if "lineItem" in item:
            db.session.add(_line_item(item["lineItem"], link))
        result.links.append(link)
    db.session.commit()
    return result
