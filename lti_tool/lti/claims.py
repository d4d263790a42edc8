"""LTI 1.3 claim names and the mapping of LIS roles to PeerPath roles.

Roles arrive as full URIs from launches and as short names from NRPS and some platforms.
"""

from __future__ import annotations

from collections.abc import Iterable

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
TOOL_PLATFORM = LTI + "tool_platform"
ROLE_SCOPE_MENTOR = LTI + "role_scope_mentor"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
SUPPORTED_MESSAGES = {RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST}

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_SCOPES = [SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE, SCOPE_NRPS]

# The last path segment or fragment of a LIS role decides; context roles first.
_ADMIN = {"Administrator", "SysAdmin", "SysSupport"}
_INSTRUCTOR = {"Instructor", "TeachingAssistant", "ContentDeveloper", "Faculty", "Manager", "Staff"}
_MENTOR = {"Mentor"}

# Institution/system roles only grant admin; "Instructor" at institution level is a job title,
# not a role in this course, so it does not make someone an instructor here.
_CONTEXT_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/membership"
_INSTITUTION_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
_SYSTEM_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"


def _role_name(role: str) -> tuple[str, str]:
    """(scope, name) for a full URI or a short name; scope is context/institution/system."""
    if role.startswith(_INSTITUTION_PREFIX):
        return "institution", role[len(_INSTITUTION_PREFIX) :]
    if role.startswith(_SYSTEM_PREFIX):
        return "system", role[len(_SYSTEM_PREFIX) :]
    if role.startswith(_CONTEXT_PREFIX):
        # membership#Instructor or membership/Instructor#TeachingAssistant (sub-roles)
        tail = role[len(_CONTEXT_PREFIX) :].lstrip("#/")
        principal, _, sub = tail.partition("#")
        return "context", sub or principal
    return "context", role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def map_roles(lis_roles: Iterable[str]) -> list[str]:
    """PeerPath roles for a list of LIS roles; unknown or empty -> learner (least privilege)."""
    mapped: set[str] = set()
    for role in lis_roles or []:
        if not isinstance(role, str):
            continue
        scope, name = _role_name(role.strip())
        if name in _ADMIN:
            mapped.add("admin")
        elif scope == "context" and name in _INSTRUCTOR:
            mapped.add("instructor")
        elif scope == "context" and name in _MENTOR:
            mapped.add("mentor")
    if "admin" in mapped:
        mapped.add("instructor")
    if not mapped & {"instructor", "admin"}:
        mapped.add("learner")
    order = ["learner", "mentor", "instructor", "admin"]
    return [r for r in order if r in mapped]
