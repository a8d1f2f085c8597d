"""The signed-in caller: who they are, which partner they work for, what they may do.

Reading it from a request (App Service Authentication's header) is the HTTP adapter's job
(`shared/adapters/principal.py`); the use cases only need the value.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.enums import Role
from shared.domain.errors import forbidden


@dataclass(frozen=True)
class Principal:
    user_id: str
    partner_id: str
    roles: frozenset[Role]
    email: str | None
    name: str | None

    def require_lead_access(self) -> None:
        if not self.roles:
            raise forbidden()

    def require_admin(self) -> None:
        if Role.REFERRALS_ADMIN not in self.roles:
            raise forbidden("Only a ReferralsAdmin may change these settings.")
