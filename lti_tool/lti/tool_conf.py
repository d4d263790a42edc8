"""A pylti1p3 ToolConf backed by the platform registry in the database.

"One issuer, many clients" is said per instance: the base class's dict is shared by all.
"""

from __future__ import annotations

from pylti1p3.deployment import Deployment as PyltiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select

from ..extensions import db
from ..models import Deployment, Platform


class DbToolConf(ToolConfAbstract):
    def __init__(self) -> None:
        # Shadow the class-level mutable dict so nothing leaks between instances.
        self.issuers_relation_types = {}

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    # -- our own lookups (rows) ------------------------------------------------------

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        """The registration for (iss, client_id); without client_id, the only one for iss."""
        query = select(Platform).where(Platform.issuer == iss)
        if client_id:
            return db.session.scalars(query.where(Platform.client_id == client_id)).first()
        rows = db.session.scalars(query.limit(2)).all()
        return rows[0] if len(rows) == 1 else None

    def deployment(self, platform: Platform, deployment_id: str) -> Deployment | None:
        return db.session.scalars(
            select(Deployment).where(
                Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
            )
        ).first()

    # -- pylti1p3's interface ----------------------------------------------------------

    @staticmethod
    def to_registration(platform: Platform) -> Registration:
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
        platform = self.platform(iss, None)
        return self._to_deployment(platform, deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args, **kwargs
    ) -> PyltiDeployment | None:
        return self._to_deployment(self.platform(iss, client_id), deployment_id)

    def _to_deployment(self, platform: Platform | None, deployment_id: str) -> PyltiDeployment | None:
        if platform is None or self.deployment(platform, deployment_id) is None:
            return None
        return PyltiDeployment().set_deployment_id(deployment_id)
