"""The CSV export through the local host: the same leads as the list, in its order (contract §6)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.config import load_settings
from shared.domain import lifecycle
from shared.domain.csv_export import COLUMNS
from shared.domain.enums import (
    CallToAction,
    EmailValidity,
    LeadSource,
    LeadType,
    PhoneValidity,
    Qualification,
    Quality,
    Stage,
    Status,
)
from shared.domain.lead import Customer, Deal, Lead, Offer, is_lifecycle
from shared.domain.lead_ids import new_lead_id
from shared.services import intake
from shared.services.container import Services
from shared.services.sweeps import expire_leads
from tests.support.leads import referral, unique_partner
from tests.support.principals import principal_header

COMPANIES = [
    "Ĳsselmeer Beheer",
    "Müller Straße GmbH",
    "Şişli İnşaat",
    "Rocket Café 🚀",
    '=HYPERLINK("http://x","y")',
    "Fabrikam BV",
]
COUNTRIES = ["NL", "DE", "TR", "US"]
QUALIFICATIONS = [
    Qualification.DIRECT,
    Qualification.DIRECT,
    Qualification.MARKETING_QUALIFIED,
    Qualification.SALES_QUALIFIED,
]
EMAIL_VALIDITIES = [EmailValidity.VALID, EmailValidity.VALID, EmailValidity.INVALID, EmailValidity.SPAM]
LEAD_COUNT = 30
USER_A = "user-a"
USER_B = "user-b"


def seeded_lead(partner_id: str, n: int, now: datetime) -> Lead:
    """Lead number `n` of a varied set: tabs, countries, validity, stages, deals, awkward text."""
    created = now - timedelta(hours=7 * n + 1)
    qualification = QUALIFICATIONS[n % len(QUALIFICATIONS)]
    lead_type = LeadType.OFFER if qualification is Qualification.DIRECT else LeadType.PROFILE
    call_to_action = (
        (CallToAction.FREE_TRIAL if n % 5 == 4 else CallToAction.CONTACT_ME)
        if lead_type is LeadType.OFFER
        else None
    )
    has_lifecycle = is_lifecycle(lead_type, call_to_action)
    email_validity = EMAIL_VALIDITIES[(n // 2) % len(EMAIL_VALIDITIES)]
    phone_valid = n % 3 != 2
    accepted = has_lifecycle and n % 6 == 1
    stage = Stage.ACCEPTED if accepted else Stage.RECEIVED if has_lifecycle else Stage.INFORMATIONAL
    status = Status.ACCEPTED if accepted else Status.RECEIVED if has_lifecycle else None
    return Lead(
        id=new_lead_id(created),
        partner_id=partner_id,
        lead_type=lead_type,
        qualification=qualification,
        lead_source=LeadSource.APPSOURCE if lead_type is LeadType.OFFER else None,
        call_to_action=call_to_action,
        offer=Offer(id="contoso-crm", title="Contoso CRM") if lead_type is LeadType.OFFER else None,
        customer=Customer(
            company=COMPANIES[n % len(COMPANIES)],
            first_name="Ĳsbrand" if n % 2 else "Jürgen",
            last_name="Öztürk",
            email=f"contact{n}@example.nl",
            phone="+31207940000" if phone_valid else "+1+1",
            title="-CIO" if n % 4 == 3 else "CIO",
            country=COUNTRIES[(n // 3) % len(COUNTRIES)],
        ),
        customer_need=f'Lead {n}: "demo", please\r\nsecond line\nthird line' if n % 2 else f"Lead {n}",
        customer_requested_contact=has_lifecycle,
        stage=stage,
        status=status,
        created_date_time=created,
        updated_date_time=created,
        expiration_date_time=created + timedelta(days=14) if has_lifecycle else None,
        validated_date_time=created,
        email_validity=email_validity,
        phone_validity=PhoneValidity.VALID if phone_valid else PhoneValidity.INVALID,
        quality=Quality.HIGH if email_validity is EmailValidity.VALID else Quality.LOW,
        spam_flags=["role_address", "test_pattern"] if email_validity is EmailValidity.SPAM else [],
        deal=Deal(
            name=f"Deal {n}",
            value=Decimal("1234.5") if n % 4 else Decimal("25000"),
            currency="EUR",
            estimated_close_date=date(2027, 3, 31),
            notes="Demo booked.",
        )
        if accepted
        else None,
    )


def headers(partner_id: str, user_id: str = USER_A) -> dict[str, str]:
    return principal_header(partner_id=partner_id, user_id=user_id)


def listed(api: httpx.Client, partner_id: str, params: dict[str, str], user_id: str) -> list[dict[str, Any]]:
    """Every lead `GET /api/leads` shows, across all its pages."""
    leads: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page_params = {**params, "top": "7", **({"continuationToken": token} if token else {})}
        response = api.get("/api/leads", params=page_params, headers=headers(partner_id, user_id))
        assert response.status_code == 200, response.text
        page = response.json()
        leads.extend(page["value"])
        token = page["continuationToken"]
        if token is None:
            return leads


def exported(
    api: httpx.Client, partner_id: str, params: dict[str, str], user_id: str
) -> list[dict[str, str]]:
    response = api.get("/api/leads/export", params=params, headers=headers(partner_id, user_id))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    today = datetime.now(UTC).strftime("%Y%m%d")
    assert response.headers["content-disposition"] == f'attachment; filename="leads-{today}.csv"'
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))
    assert rows[0] == list(COLUMNS)
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def seeded(app_env: dict[str, str], api: httpx.Client) -> Iterator[tuple[str, list[Lead]]]:
    """One partner with a varied set of leads, stored directly (no pipeline changes them later)."""
    services = Services.build(load_settings(app_env))
    partner_id = unique_partner("export")
    now = datetime.now(UTC)
    leads = [seeded_lead(partner_id, n, now) for n in range(LEAD_COUNT)]
    for lead in leads:
        services.leads.create(lifecycle.created(lead), f"export-test|{lead.id}")
    for n, lead in enumerate(leads):
        for user_id, every in ((USER_A, 3), (USER_B, 5)):
            if n % every == 0:
                response = api.put(f"/api/leads/{lead.id}/favorite", headers=headers(partner_id, user_id))
                assert response.status_code == 204, response.text
    yield partner_id, leads


LIST_VIEWS: list[tuple[dict[str, str], str]] = [
    ({}, USER_A),
    ({"tab": "qualified"}, USER_A),
    ({"tab": "favorites"}, USER_A),
    ({"tab": "favorites"}, USER_B),
    ({"tab": "Favorites", "unknownParameter": "ignored", "country": "nl,de"}, USER_A),
    ({"emailValidity": "Valid", "phoneValidity": "valid"}, USER_A),
    ({"tab": "qualified", "emailValidity": "valid", "phoneValidity": "Valid"}, USER_B),
    ({"country": "NL,de", "quality": "high"}, USER_A),
    ({"customerName": "müller"}, USER_A),
    ({"tab": "qualified", "customerName": "şişli"}, USER_A),
    ({"stage": "Accepted"}, USER_A),
    ({"callToAction": "FreeTrial"}, USER_A),
    ({"status": "Received", "leadSource": "appsource", "leadType": "Offer"}, USER_A),
    ({"createdFrom": "2000-01-01", "createdTo": "2000-01-02"}, USER_A),
]


@pytest.mark.parametrize(("params", "user_id"), LIST_VIEWS)
def test_export_holds_exactly_what_the_list_shows(
    api: httpx.Client, seeded: tuple[str, list[Lead]], params: dict[str, str], user_id: str
) -> None:
    partner_id, _leads = seeded
    shown = listed(api, partner_id, params, user_id)
    rows = exported(api, partner_id, params, user_id)
    assert [row["LeadId"] for row in rows] == [lead["id"] for lead in shown]
    for row, lead in zip(rows, shown, strict=True):
        assert row["CustomerName"].removeprefix("'") == lead["customer"]["company"]
        assert row["Favorite"] == ("true" if lead["favorite"] else "false")
        assert row["Qualification"] == lead["qualification"]
        assert row["EmailValidity"] == (lead["emailValidity"] or "")


def test_date_window_matches_the_list(api: httpx.Client, seeded: tuple[str, list[Lead]]) -> None:
    partner_id, leads = seeded
    newest = max(lead.created_date_time for lead in leads)
    params = {
        "tab": "qualified",
        "createdFrom": (newest - timedelta(days=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "createdTo": (newest - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    shown = listed(api, partner_id, params, USER_A)
    rows = exported(api, partner_id, params, USER_A)
    assert shown, "the window should hold some leads"
    assert [row["LeadId"] for row in rows] == [lead["id"] for lead in shown]


def test_favorites_are_the_callers_own(api: httpx.Client, seeded: tuple[str, list[Lead]]) -> None:
    partner_id, leads = seeded
    by_a = {row["LeadId"] for row in exported(api, partner_id, {"tab": "favorites"}, USER_A)}
    by_b = {row["LeadId"] for row in exported(api, partner_id, {"tab": "favorites"}, USER_B)}
    assert by_a == {lead.id for n, lead in enumerate(leads) if n % 3 == 0}
    assert by_b == {lead.id for n, lead in enumerate(leads) if n % 5 == 0}
    nobody = exported(api, partner_id, {"tab": "favorites"}, "user-without-favorites")
    assert nobody == []
    qualified_for_b = exported(api, partner_id, {"tab": "qualified"}, USER_B)
    assert {row["LeadId"] for row in qualified_for_b if row["Favorite"] == "true"} == by_b & {
        row["LeadId"] for row in qualified_for_b
    }


def test_cells_of_the_stored_leads(api: httpx.Client, seeded: tuple[str, list[Lead]]) -> None:
    partner_id, leads = seeded
    rows = {row["LeadId"]: row for row in exported(api, partner_id, {"tab": "qualified"}, USER_A)}
    rows |= {row["LeadId"]: row for row in exported(api, partner_id, {}, USER_A)}
    assert set(rows) == {lead.id for lead in leads}
    by_company = {row["CustomerName"] for row in rows.values()}
    assert {"Ĳsselmeer Beheer", "Müller Straße GmbH", "Şişli İnşaat", "Rocket Café 🚀"} <= by_company
    assert '\'=HYPERLINK("http://x","y")' in by_company
    for n, lead in enumerate(leads):
        row = rows[lead.id]
        assert row["ContactFirstName"] == lead.customer.first_name
        assert row["ContactPhone"] == ("+31207940000" if lead.customer.phone == "+31207940000" else "'+1+1")
        assert row["ContactTitle"] == ("'-CIO" if n % 4 == 3 else "CIO")
        assert row["CustomerNeed"] == lead.customer_need
        assert row["SpamFlags"] == ";".join(lead.spam_flags)
        assert row["LeadCreationDateTime"].endswith("Z")
        if lead.deal is not None:
            assert row["DealValue"] == ("1234.5" if n % 4 else "25000")
            assert row["EstimatedCloseDate"] == "2027-03-31"
            assert row["Stage"] == "Accepted"


def test_no_match_exports_the_header_only(api: httpx.Client, seeded: tuple[str, list[Lead]]) -> None:
    partner_id, _leads = seeded
    response = api.get(
        "/api/leads/export", params={"customerName": "no such company"}, headers=headers(partner_id)
    )
    assert response.status_code == 200
    assert response.content == ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8")


def test_bad_filters_are_refused_as_for_the_list(api: httpx.Client) -> None:
    partner_id = unique_partner("export")
    response = api.get(
        "/api/leads/export", params={"tab": "all", "country": "NLD"}, headers=headers(partner_id)
    )
    assert response.status_code == 400
    fields = {detail["field"] for detail in response.json()["error"]["details"]}
    assert fields == {"tab", "country"}


def test_an_expired_lead_exports_with_empty_contact_cells(api: httpx.Client, services: Services) -> None:
    partner_id = unique_partner("export")
    fifteen_days_ago = datetime.now(UTC) - timedelta(days=15)
    body = referral(partner_id, company="Şişli İnşaat", created=fifteen_days_ago, requested_contact=False)
    lead_id = intake.ingest(services, json.dumps(body), intake.REFERRAL).lead_id
    expire_leads(services)
    rows = exported(api, partner_id, {"tab": "qualified"}, USER_A)
    assert [row["LeadId"] for row in rows] == [lead_id]
    (row,) = rows
    assert row["Status"] == "Expired"
    assert row["Stage"] == "Archived"
    assert row["CustomerName"] == "Şişli İnşaat"
    for column in ("ContactFirstName", "ContactLastName", "ContactEmail", "ContactPhone", "ContactTitle"):
        assert row[column] == "", column
