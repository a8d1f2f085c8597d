"""Easy Auth principal headers for tests, as App Service Authentication would send them."""

from __future__ import annotations

import base64
import json


def principal_header(
    *,
    partner_id: str,
    user_id: str = "user-1",
    roles: tuple[str, ...] = ("ReferralsAdmin",),
    email: str | None = "sales@partner.example",
    name: str | None = "Sam Sales",
) -> dict[str, str]:
    claims = [{"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": user_id}]
    claims.append({"typ": "partner_id", "val": partner_id})
    claims += [{"typ": "roles", "val": role} for role in roles]
    if email:
        claims.append({"typ": "preferred_username", "val": email})
    if name:
        claims.append({"typ": "name", "val": name})
    body = {"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": claims}
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(body).encode()).decode()}
