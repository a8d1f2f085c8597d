"""The read API through the local host: access, tabs, filters, paging, favorites, errors (contract §2, §5)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from shared.domain import lifecycle
from shared.domain.enums import EmailValidity, PhoneValidity, Quality
from shared.domain.intake_mapping import map_marketplace_lead, map_referral
from shared.domain.lead import Lead
from shared.domain.lead_ids import inverted_time_prefix, new_lead_id
from shared.services.container import Services
from tests.support.leads import marketplace_lead, referral, unique_partner
from tests.support.principals import principal_header

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def store(services: Services, lead: Lead) -> Lead:
    change = lifecycle.created(lead)
    services.leads.create(change, f"test:{lead.id}")
    return change.lead


def offer_lead(partner: str, created: datetime, **spec: Any) -> Lead:
    update = spec.pop("update", {})
    mapped = map_marketplace_lead(marketplace_lead(partner, created=created, **spec))
    lead = mapped.to_lead(new_lead_id(created), now=created, expiry_days=14)
    return lead.model_copy(update=update)


def get(api: httpx.Client, path: str, partner: str, user: str = "user-1", **params: Any) -> httpx.Response:
    return api.get(path, params=params, headers=principal_header(partner_id=partner, user_id=user))


def listed_ids(api: httpx.Client, partner: str, user: str = "user-1", **params: Any) -> list[str]:
    response = get(api, "/api/leads", partner, user, **params)
    assert response.status_code == 200, response.text
    return [lead["id"] for lead in response.json()["value"]]


@pytest.fixture(scope="module")
def catalogue(app_env: dict[str, str], host: Any) -> tuple[str, dict[str, Lead]]:
    """One partner's leads covering several values of every filter, one hour apart."""
    from shared.config import load_settings

    services = Services.build(load_settings(app_env))
    partner = unique_partner()
    high = {
        "quality": Quality.HIGH,
        "email_validity": EmailValidity.VALID,
        "phone_validity": PhoneValidity.VALID,
    }
    low = {
        "quality": Quality.LOW,
        "email_validity": EmailValidity.SPAM,
        "phone_validity": PhoneValidity.INVALID,
    }
    specs: dict[str, dict[str, Any]] = {
        "contact_nl": {"update": high, "company": "Fabrikam BV"},
        "trial_de": {
            "action_code": "FreeTrial",
            "country": "DE",
            "source": "AzureMarketplace",
            "company": "Contoso",
        },
        "download_gb": {
            "action_code": "DNC",
            "country": "United Kingdom",
            "source": "AzurePortal",
            "company": "Tailspin Toys",
        },
        "spam_nl": {"update": low, "company": "Cheap Pills Inc"},
        "unknown_country": {"country": "Atlantis", "company": "FABRIKAM Atlantis"},
    }
    leads = {
        name: store(services, offer_lead(partner, BASE + timedelta(hours=hour), **spec))
        for hour, (name, spec) in enumerate(specs.items())
    }
    for hour, qualification in ((10, "MarketingQualified"), (11, "SalesQualified")):
        created = BASE + timedelta(hours=hour)
        mapped = map_referral(referral(partner, created=created, qualification=qualification, country="FR"))
        leads[qualification] = store(
            services, mapped.to_lead(new_lead_id(created), now=created, expiry_days=14)
        )
    return partner, leads


TAB_AND_FILTER_CASES = [
    ({}, ["unknown_country", "spam_nl", "download_gb", "trial_de", "contact_nl"]),
    ({"tab": "marketplace"}, ["unknown_country", "spam_nl", "download_gb", "trial_de", "contact_nl"]),
    ({"tab": "Qualified"}, ["SalesQualified", "MarketingQualified"]),
    ({"tab": "qualified", "leadType": "profile"}, ["SalesQualified", "MarketingQualified"]),
    ({"tab": "qualified", "country": "fr", "createdFrom": "2026-11-01T23:00:00Z"}, ["SalesQualified"]),
    ({"tab": "qualified", "createdTo": "2026-11-01T23:00:00Z"}, ["MarketingQualified"]),
    ({"callToAction": "freetrial,DOWNLOADNOW"}, ["download_gb", "trial_de"]),
    ({"callToAction": "ContactMe"}, ["unknown_country", "spam_nl", "contact_nl"]),
    ({"leadSource": "AzureMarketplace"}, ["trial_de"]),
    ({"leadSource": "appsource"}, ["unknown_country", "spam_nl", "contact_nl"]),
    ({"leadType": "Offer"}, ["unknown_country", "spam_nl", "download_gb", "trial_de", "contact_nl"]),
    ({"leadType": "Profile"}, []),
    ({"country": "NL"}, ["spam_nl", "contact_nl"]),
    ({"country": "gb,de"}, ["download_gb", "trial_de"]),
    ({"customerName": "fabrikam"}, ["unknown_country", "contact_nl"]),
    ({"customerName": "PILLS"}, ["spam_nl"]),
    ({"quality": "low"}, ["spam_nl"]),
    ({"quality": "High,Low"}, ["spam_nl", "contact_nl"]),
    ({"stage": "informational"}, ["download_gb", "trial_de"]),
    ({"stage": "Received"}, ["unknown_country", "spam_nl", "contact_nl"]),
    ({"status": "received"}, ["unknown_country", "spam_nl", "contact_nl"]),
    ({"status": "Won"}, []),
    ({"emailValidity": "Spam"}, ["spam_nl"]),
    ({"emailValidity": "valid,spam"}, ["spam_nl", "contact_nl"]),
    ({"phoneValidity": "Valid"}, ["contact_nl"]),
    (
        {"createdFrom": "2026-11-01T13:00:00Z", "createdTo": "2026-11-01T15:00:00Z"},
        ["download_gb", "trial_de"],
    ),
    ({"createdFrom": "2026-11-01"}, ["unknown_country", "spam_nl", "download_gb", "trial_de", "contact_nl"]),
    ({"createdTo": "2026-11-01"}, []),
    ({"createdFrom": "2026-11-01T16:00:00Z"}, ["unknown_country"]),
    ({"country": "NL", "quality": "High", "stage": "Received"}, ["contact_nl"]),
]


@pytest.mark.parametrize(("params", "expected"), TAB_AND_FILTER_CASES)
def test_each_tab_and_filter(
    api: httpx.Client, catalogue: tuple[str, dict[str, Lead]], params: dict[str, str], expected: list[str]
) -> None:
    partner, leads = catalogue
    assert listed_ids(api, partner, **params) == [leads[name].id for name in expected]


def test_a_lead_reads_as_the_contract_resource(
    api: httpx.Client, catalogue: tuple[str, dict[str, Lead]]
) -> None:
    partner, leads = catalogue
    response = get(api, f"/api/leads/{leads['contact_nl'].id}", partner)
    assert response.status_code == 200
    body = response.json()
    assert response.headers["ETag"] == body["eTag"]
    assert body["id"] == leads["contact_nl"].id and body["partnerId"] == partner
    assert body["favorite"] is False
    assert "overdueRecorded" not in body and "historyCount" not in body
    # Created a long time before now, still Received: overdue on every read.
    assert body["urgency"] == "ContactRequestedOverdue"


def test_another_partners_lead_is_not_found_exactly_like_an_unknown_id(
    api: httpx.Client, catalogue: tuple[str, dict[str, Lead]]
) -> None:
    _, leads = catalogue
    stranger = unique_partner()
    lead_id = leads["contact_nl"].id
    unknown = new_lead_id(BASE)
    for path in ("/api/leads/{}", "/api/leads/{}/history"):
        theirs = get(api, path.format(lead_id), stranger)
        missing = get(api, path.format(unknown), stranger)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()
        assert theirs.json()["error"]["code"] == "NotFound"
    headers = principal_header(partner_id=stranger)
    assert api.put(f"/api/leads/{lead_id}/favorite", headers=headers).status_code == 404
    assert get(api, f"/api/leads/{'not-an-id'}", stranger).json() == missing.json()
    assert listed_ids(api, stranger) == []


def test_paging_through_several_pages(services: Services, api: httpx.Client) -> None:
    partner = unique_partner()
    created = [store(services, offer_lead(partner, BASE + timedelta(minutes=i))).id for i in range(23)]
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"top": 5}
        if token:
            params["continuationToken"] = token
        response = get(api, "/api/leads", partner, **params)
        assert response.status_code == 200
        body = response.json()
        assert len(body["value"]) <= 5
        seen += [lead["id"] for lead in body["value"]]
        pages += 1
        token = body["continuationToken"]
        if token is None:
            break
    assert pages == 5
    assert seen == list(reversed(created))  # newest first, nothing twice, nothing missing
    exact = get(api, "/api/leads", partner, top=23).json()
    assert len(exact["value"]) == 23 and exact["continuationToken"] is None


@pytest.mark.parametrize(("top", "status"), [("1", 200), ("500", 200), ("0", 400), ("501", 400), ("x", 400)])
def test_top_bounds(api: httpx.Client, top: str, status: int) -> None:
    response = get(api, "/api/leads", unique_partner(), top=top)
    assert response.status_code == status
    if status == 400:
        assert response.json()["error"]["details"][0]["field"] == "top"


@pytest.mark.parametrize(
    "token",
    [
        "forged",
        base64.urlsafe_b64encode(json.dumps({"v": 1, "after": "x' or RowKey gt '"}).encode()).decode(),
        base64.urlsafe_b64encode(b'{"v": 9, "after": "0"}').decode(),
    ],
)
def test_forged_continuation_token(api: httpx.Client, token: str) -> None:
    response = get(api, "/api/leads", unique_partner(), continuationToken=token)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["details"][0]["field"] == "continuationToken"


def test_bad_filters_answer_one_detail_per_field(api: httpx.Client) -> None:
    response = get(
        api, "/api/leads", unique_partner(), tab="inbox", country="NLD", quality="Medium", createdFrom="soon"
    )
    assert response.status_code == 400
    fields = sorted(detail["field"] for detail in response.json()["error"]["details"])
    assert fields == ["country", "createdFrom", "quality", "tab"]


def _raw_principal(body: object) -> dict[str, str]:
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(json.dumps(body).encode()).decode()}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "Unauthenticated"),
        ({"X-MS-CLIENT-PRINCIPAL": "!!!"}, 401, "Unauthenticated"),
        (
            _raw_principal(
                {"claims": [{"typ": "partner_id", "val": "p"}, {"typ": "roles", "val": "ReferralsAdmin"}]}
            ),
            401,
            "Unauthenticated",
        ),
        (
            _raw_principal(
                {"claims": [{"typ": "oid", "val": "u"}, {"typ": "roles", "val": "ReferralsAdmin"}]}
            ),
            401,
            "Unauthenticated",
        ),
        (principal_header(partner_id="p-roles", roles=()), 403, "Forbidden"),
        (principal_header(partner_id="p-roles", roles=("Viewer",)), 403, "Forbidden"),
    ],
)
@pytest.mark.parametrize(
    "path",
    ["/api/leads", "/api/leads/export", f"/api/leads/{inverted_time_prefix(BASE)}0123456789", "/api/actions"],
)
def test_unauthenticated_and_forbidden(
    api: httpx.Client, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    response = api.get(path, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_business_profile_admin_may_read(api: httpx.Client, catalogue: tuple[str, dict[str, Lead]]) -> None:
    partner, _ = catalogue
    headers = principal_header(partner_id=partner, roles=("BusinessProfileAdmin",))
    assert api.get("/api/leads", headers=headers).status_code == 200


def test_favorites_are_per_user(services: Services, api: httpx.Client) -> None:
    partner = unique_partner()
    older = store(services, offer_lead(partner, BASE)).id
    newer = store(services, offer_lead(partner, BASE + timedelta(hours=1))).id
    qualified = store(
        services,
        map_referral(referral(partner, created=BASE + timedelta(hours=2))).to_lead(
            new_lead_id(BASE + timedelta(hours=2)), now=BASE, expiry_days=14
        ),
    ).id
    alice = principal_header(partner_id=partner, user_id="alice")
    bob = principal_header(partner_id=partner, user_id="bob")
    for lead_id in (older, qualified):
        response = api.put(f"/api/leads/{lead_id}/favorite", headers=alice)
        assert response.status_code == 204 and response.content == b""
    assert api.put(f"/api/leads/{older}/favorite", headers=alice).status_code == 204  # idempotent
    assert api.put(f"/api/leads/{newer}/favorite", headers=bob).status_code == 204
    assert listed_ids(api, partner, "alice", tab="favorites") == [qualified, older]
    assert listed_ids(api, partner, "bob", tab="favorites") == [newer]
    assert listed_ids(api, partner, "carol", tab="favorites") == []
    assert listed_ids(api, partner, "alice", tab="favorites", leadType="Profile") == [qualified]
    flags = {
        lead["id"]: lead["favorite"] for lead in get(api, "/api/leads", partner, "alice").json()["value"]
    }
    assert flags == {newer: False, older: True}
    assert get(api, f"/api/leads/{older}", partner, "alice").json()["favorite"] is True
    assert get(api, f"/api/leads/{older}", partner, "bob").json()["favorite"] is False
    page = get(api, "/api/leads", partner, "alice", tab="favorites", top=1).json()
    assert [lead["id"] for lead in page["value"]] == [qualified] and page["continuationToken"]
    second = get(
        api, "/api/leads", partner, "alice", tab="favorites", continuationToken=page["continuationToken"]
    )
    assert [lead["id"] for lead in second.json()["value"]] == [older]
    assert api.delete(f"/api/leads/{older}/favorite", headers=alice).status_code == 204
    assert api.delete(f"/api/leads/{older}/favorite", headers=alice).status_code == 204
    assert listed_ids(api, partner, "alice", tab="favorites") == [qualified]
    assert api.put(f"/api/leads/{new_lead_id(BASE)}/favorite", headers=alice).status_code == 404


def test_health(api: httpx.Client) -> None:
    response = api.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_document_is_served(api: httpx.Client) -> None:
    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    validate(document)
    assert "/api/leads" in document["paths"]


UGLY_PATHS = [
    "/api/leads/%00",
    "/api/leads/..%2F..%2Fetc%2Fpasswd",
    "/api/leads/" + "9" * 5000,
    "/api/leads/x'%20or%20'1'%20eq%20'1",
    "/api/leads/%F0%9F%9A%80/history",
    "/api/leads/%ff%fe",
    "/api/leads?top=%00",
    "/api/leads?createdFrom=2026-13-99T99:99",
    "/api/leads?createdFrom=9999999999-01-01",
    "/api/leads?customerName=" + "%27" * 100,
    "/api/leads?continuationToken=" + "%ff" * 50,
    "/api/leads?country=%F0%9F%9A%80",
    "/api/leads?tab=favorites&tab=qualified",
    "/api/leads/export?status=%00",
]


@pytest.mark.parametrize("path", UGLY_PATHS)
def test_ugly_requests_never_get_a_500(api: httpx.Client, path: str) -> None:
    response = api.get(path, headers=principal_header(partner_id=unique_partner()))
    assert response.status_code < 500, response.text
    assert response.status_code in (200, 400, 404)


UGLY_BODIES = [
    (b"\xff\xfe\x00", "application/json"),
    (b'{"a": ' * 5000, "application/json"),
    (b"[" * 10000 + b"]" * 10000, "application/json"),
    (b'{"dealName": NaN}', "application/json"),
    (b'{"dealName": 1e999999}', "application/json"),
    (b"{}", "application/json; charset=latin-1"),
    (b"{}", "multipart/form-data; boundary=x"),
    (b'"just a string"', "application/json"),
]


@pytest.mark.parametrize(("content", "content_type"), UGLY_BODIES)
@pytest.mark.parametrize(
    "route", ["/api/marketplace/leads", "/api/leads/{id}/accept", "/api/settings/notifications"]
)
def test_ugly_bodies_never_get_a_500(
    api: httpx.Client, catalogue: tuple[str, dict[str, Lead]], route: str, content: bytes, content_type: str
) -> None:
    partner, leads = catalogue
    path = route.format(id=leads["contact_nl"].id)
    method = "PUT" if "settings" in route else "POST"
    headers = {"Content-Type": content_type, **principal_header(partner_id=partner, user_id="fuzz")}
    response = api.request(method, path, content=content, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code != 202:
        assert "error" in response.json()


@pytest.mark.parametrize(
    "headers",
    [
        {"X-MS-CLIENT-PRINCIPAL": "x" * 20000},
        {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b"\x00\x01\x02").decode()},
        {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b'{"claims": [1, "a", null, {"typ": 1}]}').decode()},
        {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(b'{"claims": null}').decode()},
        {"If-Match": '"bogus"', "Accept": "text/html"},
    ],
)
def test_ugly_headers_never_get_a_500(api: httpx.Client, headers: dict[str, str]) -> None:
    response = api.get("/api/leads", headers=headers)
    assert response.status_code in (401, 403)
