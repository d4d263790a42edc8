"""A pylti1p3 ToolConf backed by the platform registry in the database, with a short cache.

"One issuer, many clients" is said per instance: the base class's dict is shared by all.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from pylti1p3.deployment import Deployment as PyltiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Deployment, Platform

# Every login and launch looks its registration up; registrations change rarely. A change
# made in this process is seen at once (platforms.py clears the cache); other processes
# (gunicorn workers) see it within this many seconds.
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class PlatformRef:
    """A read-only snapshot of a registration: what the login and launch paths read."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None
    status: str
    accept_new_deployments: bool

    @classmethod
    def of(cls, row: Platform) -> PlatformRef:
        return cls(
            row.id,
            row.issuer,
            row.client_id,
            row.auth_login_url,
            row.auth_token_url,
            row.key_set_url,
            row.auth_audience,
            row.status,
            row.accept_new_deployments,
        )


@dataclass(frozen=True)
class DeploymentRef:
    id: int
    deployment_id: str


_BY_ISSUER_AND_CLIENT = select(Platform).where(
    Platform.issuer == bindparam("iss"), Platform.client_id == bindparam("client_id")
)
_BY_ISSUER = select(Platform).where(Platform.issuer == bindparam("iss")).limit(2)
_DEPLOYMENT = select(Deployment.id).where(
    Deployment.platform_id == bindparam("platform_id"), Deployment.deployment_id == bindparam("deployment_id")
)


class _RegistryCache:
    """Positive lookups only: an unknown issuer or deployment is always asked of the DB."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple, tuple[float, object]] = {}

    def get(self, key: tuple):
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def put(self, key: tuple, value) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + CACHE_SECONDS, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


registry_cache = _RegistryCache()


class DbToolConf(ToolConfAbstract):
    def __init__(self) -> None:
        # Shadow the class-level mutable dict so nothing leaks between instances.
        self.issuers_relation_types = {}

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    # -- our own lookups (snapshots) -------------------------------------------------

    def platform(self, iss: str, client_id: str | None) -> PlatformRef | None:
        """The registration for (iss, client_id); without client_id, the only one for iss."""
        key = ("platform", iss, client_id)
        cached = registry_cache.get(key)
        if cached is not None:
            return cached
        if client_id:
            row = db.session.scalars(_BY_ISSUER_AND_CLIENT, {"iss": iss, "client_id": client_id}).first()
        else:
            rows = db.session.scalars(_BY_ISSUER, {"iss": iss}).all()
            row = rows[0] if len(rows) == 1 else None
        if row is None:
            return None
        ref = PlatformRef.of(row)
        registry_cache.put(key, ref)
        return ref

    def deployment(self, platform: PlatformRef, deployment_id: str) -> DeploymentRef | None:
        key = ("deployment", platform.id, deployment_id)
        cached = registry_cache.get(key)
        if cached is not None:
            return cached
        pk = db.session.scalar(_DEPLOYMENT, {"platform_id": platform.id, "deployment_id": deployment_id})
        if pk is None:
            return None
        ref = DeploymentRef(pk, deployment_id)
        registry_cache.put(key, ref)
        return ref

    # -- pylti1p3's interface ----------------------------------------------------------

    @staticmethod
    def to_registration(platform: PlatformRef | Platform) -> Registration:
        reg = Registration()
        reg.set_issuer(platform.issuer).set_client_id(platform.client_id)
        reg.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
        reg.set_key_set_url(platform.key_set_url)
        if platform.auth_audience:
            reg.set_auth_audience(platform.auth_audience)
        return reg

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration | None:
        platform = self.platform(iss, None)
        return self.to_registration(platform) if platform else None

    def find_registration_by_params(self, iss: str, client_id: str, *args, **kwargs) -> Registration | None:
        platform = self.platform(iss, client_id)
        return self.to_registration(platform) if platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> PyltiDeployment | None:
        return self._to_deployment(self.platform(iss, None), deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args, **kwargs
    ) -> PyltiDeployment | None:
        return self._to_deployment(self.platform(iss, client_id), deployment_id)

    def _to_deployment(self, platform: PlatformRef | None, deployment_id: str) -> PyltiDeployment | None:
        if platform is None or self.deployment(platform, deployment_id) is None:
            return None
        return PyltiDeployment().set_deployment_id(deployment_id)
