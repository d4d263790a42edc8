"""Pure builders for the id_tokens the dev LMS issues, and a signer tests can misuse.

No Flask here: tests forge bad tokens (wrong kid, alg none/HS256, missing claims) with these.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LTI_VERSION = "1.3.0"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
ROLE_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLE_FACULTY = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def roles_for(role: str) -> list[str]:
    """Full LIS role URIs for a course role ("Instructor" or "Learner")."""
    if role == "Instructor":
        return [ROLE_INSTRUCTOR, ROLE_FACULTY]
    return [ROLE_LEARNER]


def _common(
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
    nonce: str,
    user: Mapping[str, Any],
    roles: list[str],
    context: Mapping[str, Any],
    target_link_uri: str,
    platform: Mapping[str, Any],
    return_url: str,
    lineitems_url: str | None,
    lineitem_url: str | None,
    memberships_url: str | None,
    now: int | None,
    lifetime: int,
) -> dict[str, Any]:
    iat = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client_id,
        "azp": client_id,
        "sub": user["sub"],
        "iat": iat,
        "exp": iat + lifetime,
        "nonce": nonce,
    }
    for key in ("name", "given_name", "family_name", "email", "locale"):
        if user.get(key):
            claims[key] = user[key]
    claims[LTI + "version"] = LTI_VERSION
    claims[LTI + "deployment_id"] = deployment_id
    claims[LTI + "target_link_uri"] = target_link_uri
    claims[LTI + "roles"] = list(roles)
    claims[LTI + "context"] = {
        "id": context["id"],
        "label": context["label"],
        "title": context["title"],
        "type": [COURSE_OFFERING],
    }
    claims[LTI + "tool_platform"] = {
        "guid": platform["guid"],
        "name": platform["name"],
        "product_family_code": platform.get("product_family_code", "peerpath-devlms"),
        "version": platform.get("version", "1.0"),
    }
    claims[LTI + "launch_presentation"] = {
        "document_target": "iframe",
        "return_url": return_url,
        "locale": user.get("locale") or "en-GB",
    }
    if lineitems_url:
        ags: dict[str, Any] = {"scope": list(AGS_SCOPES), "lineitems": lineitems_url}
        if lineitem_url:
            ags["lineitem"] = lineitem_url
        claims[AGS_CLAIM] = ags
    if memberships_url:
        claims[NRPS_CLAIM] = {
            "context_memberships_url": memberships_url,
            "service_versions": ["2.0"],
        }
    return claims


def build_launch_claims(
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
    nonce: str,
    user: Mapping[str, Any],
    roles: list[str],
    context: Mapping[str, Any],
    resource_link: Mapping[str, Any],
    target_link_uri: str,
    custom: Mapping[str, str] | None,
    platform: Mapping[str, Any],
    return_url: str,
    lineitems_url: str | None = None,
    lineitem_url: str | None = None,
    memberships_url: str | None = None,
    now: int | None = None,
    lifetime: int = 60,
) -> dict[str, Any]:
    """Claims of an LtiResourceLinkRequest id_token.

    user: sub, name, given_name, family_name, email, locale; context: id, label, title;
    resource_link: id, title, description; platform: guid, name, product_family_code, version.
    """
    claims = _common(
        issuer=issuer,
        client_id=client_id,
        deployment_id=deployment_id,
        nonce=nonce,
        user=user,
        roles=roles,
        context=context,
        target_link_uri=target_link_uri,
        platform=platform,
        return_url=return_url,
        lineitems_url=lineitems_url,
        lineitem_url=lineitem_url,
        memberships_url=memberships_url,
        now=now,
        lifetime=lifetime,
    )
    claims[LTI + "message_type"] = "LtiResourceLinkRequest"
    claims[LTI + "resource_link"] = {
        "id": resource_link["id"],
        "title": resource_link.get("title", ""),
        "description": resource_link.get("description", ""),
    }
    claims[LTI + "custom"] = dict(custom or {})
    return claims


def build_deep_linking_claims(
    *,
    issuer: str,
    client_id: str,
    deployment_id: str,
    nonce: str,
    user: Mapping[str, Any],
    roles: list[str],
    context: Mapping[str, Any],
    target_link_uri: str,
    platform: Mapping[str, Any],
    return_url: str,
    deep_link_return_url: str,
    data: str,
    title: str = "Add an activity",
    lineitems_url: str | None = None,
    memberships_url: str | None = None,
    now: int | None = None,
    lifetime: int = 60,
) -> dict[str, Any]:
    """Claims of an LtiDeepLinkingRequest id_token (data is echoed back by the tool verbatim)."""
    claims = _common(
        issuer=issuer,
        client_id=client_id,
        deployment_id=deployment_id,
        nonce=nonce,
        user=user,
        roles=roles,
        context=context,
        target_link_uri=target_link_uri,
        platform=platform,
        return_url=return_url,
        lineitems_url=lineitems_url,
        lineitem_url=None,
        memberships_url=memberships_url,
        now=now,
        lifetime=lifetime,
    )
    claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
    claims[DL + "deep_linking_settings"] = {
        "deep_link_return_url": deep_link_return_url,
        "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": True,
        "auto_create": True,
        "title": title,
        "data": data,
    }
    return claims


def sign(
    claims: Mapping[str, Any],
    private_key: Any,
    kid: str | None,
    alg: str = "RS256",
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign claims as a JWT. kid=None leaves kid out; alg/headers let tests forge bad tokens."""
    header: dict[str, Any] = {"typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    header.update(headers or {})
    key = None if alg == "none" else private_key
    return jwt.encode(dict(claims), key, algorithm=alg, headers=header)
