"""NRPS 2.0 rules of the dev LMS: role names, role filters and page tokens.

Pure functions (no Flask, no database); `api.py` stores the page tokens.
"""

from __future__ import annotations

import secrets

MEMBERSHIP_CONTAINER_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

LIS_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LIS_INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
LIS_SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
# Sub-roles live under a context role: .../membership/Instructor#TeachingAssistant
LIS_MEMBERSHIP_SUB = "http://purl.imsglobal.org/vocab/lis/v2/membership/"

CONTEXT_ROLES = (
    "Administrator",
    "ContentDeveloper",
    "Instructor",
    "Learner",
    "Mentor",
    "Manager",
    "Member",
    "Officer",
)


def full_role(role: str) -> str:
    """A context role as its full LIS URI: 'Learner' → '...membership#Learner'."""
    if "://" in role:
        return role
    if role.startswith("TeachingAssistant"):
        return LIS_MEMBERSHIP_SUB + "Instructor#TeachingAssistant"
    return LIS_MEMBERSHIP + role


def short_role(role: str) -> str:
    """The last segment of a role URI: '...membership#Learner' → 'Learner'."""
    return role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def role_matches(wanted: str, roles: list[str]) -> bool:
    """The NRPS `role` filter: a full URI or a short context role name."""
    wanted = wanted.strip()
    if "://" in wanted:
        return wanted in [full_role(r) for r in roles]
    return any(short_role(full_role(r)) == wanted for r in roles)


def is_learner(roles: list[str]) -> bool:
    return any(full_role(r) == LIS_MEMBERSHIP + "Learner" for r in roles)


def new_page_token() -> str:
    """A random page token that always has an upper-case letter.

    Page tokens are case-sensitive on purpose: a client that lower-cases the next URL
    (pylti1p3 does) must fail loudly with a 404, every time, not one time in 10^5.
    """
    while True:
        token = secrets.token_urlsafe(16)
        if token != token.lower():
            return token


def parse_limit(value: str | None, default: int, maximum: int = 1000) -> int:
    """The `limit` query parameter, clamped to 1..maximum; a bad value is a ValueError."""
    if value is None or value == "":
        return default
    limit = int(value)
    if limit < 1:
        raise ValueError("limit must be a positive integer")
    return min(limit, maximum)
