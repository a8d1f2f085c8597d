"""The caller from the `X-MS-CLIENT-PRINCIPAL` header (contract §2)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from shared.adapters.principal import principal_from_headers
from shared.config import load_settings, settings
from shared.domain.enums import Role
from shared.domain.errors import ServiceError
from shared.domain.principal import Principal
from tests.support.principals import principal_header


def encoded(claims: list[dict[str, Any]], **extra: Any) -> dict[str, str]:
    body = {"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": claims, **extra}
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(body).encode()).decode()}


def signed_in(headers: dict[str, str]) -> Principal:
    """The caller, where App Service Authentication is on (the only place the header is believed)."""
    return principal_from_headers(headers, header_trusted=True)


def status_of(headers: dict[str, str], *, header_trusted: bool | None = True) -> int:
    with pytest.raises(ServiceError) as raised:
        principal_from_headers(headers, header_trusted=header_trusted)
    return raised.value.status


def test_full_principal() -> None:
    principal = signed_in(
        principal_header(
            partner_id="contoso", user_id="u-1", roles=("ReferralsAdmin", "BusinessProfileAdmin")
        )
    )
    assert principal.user_id == "u-1"
    assert principal.partner_id == "contoso"
    assert principal.roles == {Role.REFERRALS_ADMIN, Role.BUSINESS_PROFILE_ADMIN}
    assert principal.email == "sales@partner.example"
    assert principal.name == "Sam Sales"


@pytest.mark.parametrize("typ", ["oid", "http://schemas.microsoft.com/identity/claims/objectidentifier"])
def test_both_claim_types_give_the_user_id(typ: str) -> None:
    headers = encoded(
        [
            {"typ": typ, "val": "user-7"},
            {"typ": "partner_id", "val": "contoso"},
            {"typ": "roles", "val": "ReferralsAdmin"},
        ]
    )
    assert signed_in(headers).user_id == "user-7"


def test_email_claim_is_used_without_preferred_username() -> None:
    headers = encoded(
        [
            {"typ": "oid", "val": "u"},
            {"typ": "partner_id", "val": "contoso"},
            {"typ": "roles", "val": "BusinessProfileAdmin"},
            {"typ": "email", "val": "eva@contoso.example"},
        ]
    )
    principal = signed_in(headers)
    assert principal.email == "eva@contoso.example"
    assert principal.roles == {Role.BUSINESS_PROFILE_ADMIN}


def test_header_name_is_case_insensitive_in_a_plain_mapping() -> None:
    header = principal_header(partner_id="contoso")["X-MS-CLIENT-PRINCIPAL"]
    assert signed_in({"x-ms-client-principal": header}).partner_id == "contoso"


UNAUTHENTICATED = [
    ("no header", {}),
    ("empty header", {"X-MS-CLIENT-PRINCIPAL": ""}),
    ("not base64", {"X-MS-CLIENT-PRINCIPAL": "%%%not base64%%%"}),
    ("base64 of not JSON", {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"hello").decode()}),
    ("base64 of a list", {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"[1,2]").decode()}),
    ("base64 of bad utf-8", {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"\xff\xfe").decode()}),
    (
        "claims not a list",
        {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps({"claims": "x"}).encode()).decode()},
    ),
    ("no claims", encoded([])),
    (
        "no user id",
        encoded([{"typ": "partner_id", "val": "contoso"}, {"typ": "roles", "val": "ReferralsAdmin"}]),
    ),
    ("no partner", encoded([{"typ": "oid", "val": "u"}, {"typ": "roles", "val": "ReferralsAdmin"}])),
    (
        "blank user id",
        encoded(
            [
                {"typ": "oid", "val": "  "},
                {"typ": "partner_id", "val": "c"},
                {"typ": "roles", "val": "ReferralsAdmin"},
            ]
        ),
    ),
    (
        "claim values that are not strings",
        encoded(
            [
                {"typ": "oid", "val": 5},
                {"typ": "partner_id", "val": None},
                {"typ": "roles", "val": "ReferralsAdmin"},
            ]
        ),
    ),
    (
        "partner id storage cannot hold",
        encoded(
            [
                {"typ": "oid", "val": "u"},
                {"typ": "partner_id", "val": "a/b"},
                {"typ": "roles", "val": "ReferralsAdmin"},
            ]
        ),
    ),
    ("huge header", {"X-MS-CLIENT-PRINCIPAL": "A" * 100_000}),
    # Deeper than the JSON parser's stack, yet under the header size limit.
    ("deeply nested JSON", {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"[" * 10_000).decode()}),
    (
        "deeply nested claims",
        {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b'{"claims": ' + b"[" * 5_000).decode()},
    ),
    ("not ASCII", {"X-MS-CLIENT-PRINCIPAL": "é" * 100}),
]


@pytest.mark.parametrize(("case", "headers"), UNAUTHENTICATED, ids=[case for case, _ in UNAUTHENTICATED])
def test_unauthenticated(case: str, headers: dict[str, str]) -> None:
    assert status_of(headers) == 401


@pytest.mark.parametrize("roles", [(), ("Reader",), ("referralsadmin",)])
def test_no_known_role_is_forbidden(roles: tuple[str, ...]) -> None:
    assert status_of(principal_header(partner_id="contoso", roles=roles)) == 403


@pytest.mark.parametrize("role", ["ReferralsAdmin", "BusinessProfileAdmin"])
def test_either_role_may_read_leads(role: str) -> None:
    principal = signed_in(principal_header(partner_id="contoso", roles=(role,)))
    assert principal.roles == {Role(role)}


def test_only_referrals_admin_may_change_settings() -> None:
    signed_in(principal_header(partner_id="c", roles=("ReferralsAdmin",))).require_admin()
    business = signed_in(principal_header(partner_id="c", roles=("BusinessProfileAdmin",)))
    with pytest.raises(ServiceError) as raised:
        business.require_admin()
    assert raised.value.status == 403


@pytest.mark.parametrize("roles", [("ReferralsAdmin",), ("ReferralsAdmin", "BusinessProfileAdmin")])
def test_a_perfect_header_is_refused_where_sign_in_is_off(roles: tuple[str, ...]) -> None:
    headers = principal_header(partner_id="contoso", roles=roles)
    assert status_of(headers, header_trusted=False) == 401
    assert status_of({}, header_trusted=False) == 401


@pytest.mark.parametrize(
    ("value", "trusted"),
    [
        ("true", True),
        ("True", True),
        (" TRUE ", True),
        ("false", False),
        ("1", False),
        ("", False),
        (None, False),
    ],
)
def test_the_header_is_believed_only_where_app_service_authentication_is_on(
    monkeypatch: pytest.MonkeyPatch, value: str | None, trusted: bool
) -> None:
    if value is None:
        monkeypatch.delenv("WEBSITE_AUTH_ENABLED", raising=False)
    else:
        monkeypatch.setenv("WEBSITE_AUTH_ENABLED", value)
    settings.cache_clear()
    try:
        assert settings().app_service_auth_enabled is trusted
        headers = principal_header(partner_id="contoso")
        if trusted:
            assert principal_from_headers(headers).partner_id == "contoso"
        else:
            assert status_of(headers, header_trusted=None) == 401
    finally:
        settings.cache_clear()


def test_sign_in_is_off_unless_the_platform_says_so() -> None:
    loaded = load_settings({"AzureWebJobsStorage": "UseDevelopmentStorage=true"})
    assert loaded.app_service_auth_enabled is False
