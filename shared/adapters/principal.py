"""The caller, from App Service Authentication's `X-MS-CLIENT-PRINCIPAL` header (contract §2).

App Service Authentication removes the header from incoming requests and sets it itself, so it can be
believed only where that sign-in is on (`WEBSITE_AUTH_ENABLED=true`, which the platform sets, or the
local host, which stands in for it). Anywhere else the caller wrote it: every route that needs a
principal answers 401, whatever the header says.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
from collections.abc import Mapping

from shared.adapters.http import log_with
from shared.config import APP_SERVICE_AUTH_ENABLED, settings
from shared.domain.enums import Role
from shared.domain.errors import unauthenticated
from shared.domain.intake_mapping import is_valid_partner_id
from shared.domain.principal import Principal

PRINCIPAL_HEADER = "x-ms-client-principal"
_OID_CLAIMS = ("oid", "http://schemas.microsoft.com/identity/claims/objectidentifier")
_ROLE_CLAIMS = ("roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")
_MAX_HEADER = 16_384

log = logging.getLogger(__name__)


def _claims(header: str) -> list[tuple[str, str]]:
    if len(header) > _MAX_HEADER:
        raise unauthenticated("The client principal header is too large.")
    try:
        body = json.loads(base64.b64decode(header + "=" * (-len(header) % 4), validate=False))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        # RecursionError: JSON nested deeper than the parser's stack, which no sign-in produces.
        raise unauthenticated("The client principal header cannot be decoded.") from None
    claims = body.get("claims") if isinstance(body, dict) else None
    if not isinstance(claims, list):
        raise unauthenticated("The client principal header has no claims.")
    pairs = []
    for claim in claims:
        if (
            isinstance(claim, dict)
            and isinstance(claim.get("typ"), str)
            and isinstance(claim.get("val"), str)
        ):
            pairs.append((claim["typ"], claim["val"]))
    return pairs


@functools.cache
def _warn_sign_in_off() -> None:
    # Once per process: an app deployed without sign-in refuses every user, and the log says why.
    log.warning(
        "App Service Authentication is off (%s is not 'true'): X-MS-CLIENT-PRINCIPAL headers are not "
        "believed, and every route that needs a signed-in user answers 401",
        APP_SERVICE_AUTH_ENABLED,
    )


def principal_from_headers(headers: Mapping[str, str], *, header_trusted: bool | None = None) -> Principal:
    """The signed-in caller; 401 without a usable identity, 403 without a role.

    `header_trusted` defaults to the app's setting: whether App Service Authentication is on.
    """
    trusted = settings().app_service_auth_enabled if header_trusted is None else header_trusted
    if not trusted:
        _warn_sign_in_off()
        raise unauthenticated("Sign-in is not enabled on this app, so no caller can be identified.")
    header = headers.get(PRINCIPAL_HEADER) or headers.get("X-MS-CLIENT-PRINCIPAL")
    if not header:
        raise unauthenticated()
    claims = _claims(header.strip())

    def first(*types: str) -> str | None:
        return next((value.strip() for typ, value in claims if typ in types and value.strip()), None)

    user_id = first(*_OID_CLAIMS)
    partner_id = first("partner_id")
    if not user_id or not partner_id:
        raise unauthenticated("The signed-in identity has no user id or no partner.")
    if not is_valid_partner_id(partner_id):
        raise unauthenticated("The signed-in identity's partner id is not valid.")
    roles = frozenset(Role(value) for typ, value in claims if typ in _ROLE_CLAIMS and value in set(Role))
    principal = Principal(
        user_id=user_id,
        partner_id=partner_id,
        roles=roles,
        email=first(
            "preferred_username",
            "email",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        ),
        name=first("name"),
    )
    log_with(partner_id=partner_id, user_id=user_id)
    principal.require_lead_access()
    return principal
