"""Every URL the dev LMS publishes, built in one place from its issuer.

The views, the id_token claims and the services (api.py) all use these, so their shapes agree.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app


def issuer(base: str | None = None) -> str:
    """The dev LMS's public base URL, which is also its issuer (no trailing slash)."""
    return (base or current_app.config["ISSUER"]).rstrip("/")


def auth_url(base: str | None = None) -> str:
    return f"{issuer(base)}/lti/auth"


def token_url(base: str | None = None) -> str:
    return f"{issuer(base)}/lti/token"


def certs_url(base: str | None = None) -> str:
    return f"{issuer(base)}/lti/certs"


def register_url(base: str | None = None) -> str:
    return f"{issuer(base)}/lti/register"


def openid_configuration_url(base: str | None = None) -> str:
    return f"{issuer(base)}/.well-known/openid-configuration"


def deep_link_return_url(base: str | None = None) -> str:
    return f"{issuer(base)}/lti/deep-link-return"


def platform_storage_url(base: str | None = None) -> str:
    return f"{issuer(base)}/platform-storage"


def course_url(course_id: str, base: str | None = None) -> str:
    return f"{issuer(base)}/courses/{course_id}"


def lineitems_url(course_id: str, base: str | None = None) -> str:
    """AGS line items container for a course."""
    return f"{issuer(base)}/api/courses/{course_id}/lineitems"


def lineitem_url(course_id: str, lineitem_id: int, tool_pk: int, base: str | None = None) -> str:
    """One line item, Moodle-style with a query string so tools must insert /scores correctly."""
    query = urlencode({"type_id": tool_pk})
    return f"{issuer(base)}/api/courses/{course_id}/lineitems/{lineitem_id}/lineitem?{query}"


def memberships_url(course_id: str, base: str | None = None) -> str:
    """NRPS context memberships for a course."""
    return f"{issuer(base)}/api/courses/{course_id}/memberships"
