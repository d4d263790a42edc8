"""Adding, listing and removing LMS platform registrations, with validation.

Used by `peerpath platform ...`, dynamic registration and the demo; messages name the problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Deployment, Platform
from .tool_conf import registry_cache


class PlatformError(ValueError):
    """A registration was refused; the message says which field is wrong and why."""


@dataclass
class PlatformInput:
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: Iterable[str] = ()
    name: str = ""
    auth_audience: str | None = None
    product_family: str | None = None
    accept_new_deployments: bool = False
    status: str = "active"
    scopes: str = ""


def check_url(field: str, value: str) -> str:
    """Absolute https URL (http only on loopback in development), else PlatformError."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if not value or parts.scheme not in {"http", "https"} or not parts.netloc:
        raise PlatformError(f"{field} must be an absolute URL such as https://lms.example.com/..., got {value!r}")
    if parts.scheme == "http":
        dev = current_app.config["ENV"] == "development"
        if not (dev and parts.hostname in {"localhost", "127.0.0.1", "::1"}):
            raise PlatformError(
                f"{field} must use https, got {value!r} (plain http is allowed only for "
                "loopback addresses in development)"
            )
    if parts.username or parts.password:
        raise PlatformError(f"{field} must not contain a user name or password")
    return value


def find(issuer: str, client_id: str) -> Platform | None:
    return db.session.scalars(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    ).first()


def add_platform(data: PlatformInput) -> Platform:
    """Validate and store a registration with its deployments (committed)."""
    issuer = check_url("issuer", data.issuer)
    client_id = (data.client_id or "").strip()
    if not client_id:
        raise PlatformError("client_id must not be empty")
    if len(client_id) > 255:
        raise PlatformError("client_id is longer than 255 characters")
    if find(issuer, client_id) is not None:
        raise PlatformError(f"a platform with issuer {issuer!r} and client_id {client_id!r} is already registered")
    deployment_ids = [d.strip() for d in data.deployment_ids if d and d.strip()]
    if len(set(deployment_ids)) != len(deployment_ids):
        raise PlatformError("the same deployment id is listed twice")
    platform = Platform(
        issuer=issuer,
        client_id=client_id,
        name=(data.name or urlsplit(issuer).hostname or issuer)[:200],
        auth_login_url=check_url("auth_login_url", data.auth_login_url),
        auth_token_url=check_url("auth_token_url", data.auth_token_url),
        key_set_url=check_url("key_set_url", data.key_set_url),
        auth_audience=data.auth_audience or None,
        product_family=data.product_family,
        accept_new_deployments=data.accept_new_deployments,
        status=data.status,
        scopes=data.scopes,
    )
    platform.deployments = [Deployment(deployment_id=d) for d in deployment_ids]
    db.session.add(platform)
    db.session.commit()
    registry_cache.clear()
    return platform


def add_deployment(platform: Platform, deployment_id: str) -> Deployment:
    deployment_id = (deployment_id or "").strip()
    if not deployment_id:
        raise PlatformError("deployment id must not be empty")
    if any(d.deployment_id == deployment_id for d in platform.deployments):
        raise PlatformError(f"deployment {deployment_id!r} is already registered for {platform.issuer}")
    dep = Deployment(deployment_id=deployment_id)
    platform.deployments.append(dep)
    db.session.commit()
    registry_cache.clear()
    return dep


def list_platforms() -> list[Platform]:
    return list(db.session.scalars(select(Platform).order_by(Platform.id)))


def remove_platform(issuer: str, client_id: str) -> None:
    platform = find(issuer, client_id)
    if platform is None:
        raise PlatformError(f"no platform with issuer {issuer!r} and client_id {client_id!r}")
    db.session.delete(platform)
    db.session.commit()
    registry_cache.clear()
