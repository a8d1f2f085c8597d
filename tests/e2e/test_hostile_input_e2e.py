"""Hostile and impossible input through the local host: poisoned or refused, never a 500 (§3c, §5)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from shared.services.container import Services
from tests.e2e.test_intake_e2e import listed
from tests.support.leads import accept_body, marketplace_lead, unique_partner
from tests.support.principals import principal_header


def _posted(partner: str, case: str) -> str:
    def lead(**extra: Any) -> str:
        return json.dumps(marketplace_lead(partner, **extra))

    return {
        "far future": lead(CreatedTime="2300-01-01T00:00:00Z"),
        "before 2000": lead(CreatedTime="1960-06-01T00:00:00Z"),
        "year 9999": lead(CreatedTime="9999-12-31"),
        "past datetime's range in UTC": lead(CreatedTime="9999-12-31T23:00:00-05:00"),
        "NaN": lead(Score=float("nan")),
        "duplicate key": lead().replace('"Company": ', '"Company": "A", "Company": ', 1),
        "lone surrogate": lead(Description="\ud800"),
        "no customer": lead(UserDetails=None),
    }[case]


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("far future", "CreatedTime", "in the future"),
        ("before 2000", "CreatedTime", "before 2000-01-01"),
        ("year 9999", "CreatedTime", "in the future"),
        ("past datetime's range in UTC", "CreatedTime", "out of range"),
        ("NaN", "Score", "NaN is not a JSON number"),
        ("duplicate key", "UserDetails", "'Company' more than once"),
        ("lone surrogate", "Description", "unpaired UTF-16 surrogate"),
        ("no customer", "UserDetails", "missing customer"),
    ],
)
def test_the_marketplace_endpoint_refuses_what_intake_could_only_poison(
    api: httpx.Client, case: str, field: str, message: str
) -> None:
    partner = unique_partner()
    text = _posted(partner, case)
    response = api.post("/api/marketplace/leads", content=text, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert [detail["field"] for detail in error["details"]] == [field]
    assert message in error["details"][0]["message"]
    assert listed(api, partner) == []


# -- hostile paths and ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/portal/index.html%00.js",
        "/api/portal/%00",
        "/api/portal/%2e%2e/function_app.py",
        "/api/portal/..%2F..%2Ffunction_app.py",
        "/api/portal/js%2F..%2F..%2F..%2Ffunction_app.py",
        "/api/portal/..%5C..%5Cfunction_app.py",
        "/api/portal/" + "a" * 5000,
        "/api/portal/" + "a/" * 300 + "index.html",
        "/api/portal/%ff%fe.js",
    ],
)
def test_hostile_portal_paths_are_not_found(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
    assert "import" not in response.text


def _token(after: str) -> str:
    raw = json.dumps({"v": 1, "after": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_any_lead_id_or_forged_token_is_404_or_400_never_500(services: Services, api: httpx.Client) -> None:
    from shared.services import intake

    partner = unique_partner()
    lead_id = intake.ingest(services, json.dumps(marketplace_lead(partner)), intake.MARKETPLACE).lead_id
    headers = principal_header(partner_id=partner)
    for bad_id in (
        f"{lead_id}%0A",
        "%00",
        "-4137900000000abcdefghjk",
        "10000000000000abcdefghjk",
        "9" * 5000,
    ):
        response = api.get(f"/api/leads/{bad_id}", headers=headers)
        assert response.status_code == 404, (bad_id, response.status_code)
        assert api.get(f"/api/leads/{bad_id}/history", headers=headers).status_code == 404
    for token in (
        _token(lead_id + "\n"),
        _token("-4137900000000abcdefghjk"),
        _token("x" * 60),
        "%%%",
        "e" * 500,
    ):
        response = api.get("/api/leads", params={"continuationToken": token}, headers=headers)
        assert response.status_code == 400, (token, response.status_code)
        assert response.json()["error"]["details"][0]["field"] == "continuationToken"
    assert api.get(f"/api/leads/{lead_id}", headers=headers).status_code == 200


# -- no caching of personal data ----------------------------------------------------------


def _assert_not_stored(response: httpx.Response) -> None:
    assert response.headers.get("cache-control") == "no-store", response.request.url
    assert response.headers.get("x-content-type-options") == "nosniff", response.request.url


def test_every_api_answer_forbids_caching_and_sniffing(services: Services, api: httpx.Client) -> None:
    from shared.services import intake

    partner = unique_partner()
    lead_id = intake.ingest(services, json.dumps(marketplace_lead(partner)), intake.MARKETPLACE).lead_id
    headers = principal_header(partner_id=partner)
    answers = [
        api.get("/api/leads", headers=headers),
        api.get(f"/api/leads/{lead_id}", headers=headers),
        api.get(f"/api/leads/{lead_id}/history", headers=headers),
        api.get("/api/leads/export", headers=headers),
        api.get("/api/leads/count", headers=headers),
        api.get("/api/actions", headers=headers),
        api.get("/api/leads", params={"tab": "favorites"}, headers=headers),
        api.put(f"/api/leads/{lead_id}/favorite", headers=headers),
        api.get("/api/settings/notifications", headers=headers),
        api.post(f"/api/leads/{lead_id}/accept", json=accept_body(), headers=headers),
        api.get(f"/api/leads/{lead_id}x", headers=headers),
        api.get("/api/leads"),
        api.post("/api/marketplace/leads", content=b"{", headers={"Content-Type": "application/json"}),
    ]
    assert [answer.status_code for answer in answers] == [200] * 7 + [204, 200, 200, 404, 401, 400]
    for answer in answers:
        _assert_not_stored(answer)
    assert "fabrikam" in answers[1].text.lower()  # the lead itself, with its contact


def test_portal_assets_keep_their_own_cache_policy(api: httpx.Client) -> None:
    response = api.get("/api/portal/styles.css")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_list_dates_at_the_ends_of_the_calendar_are_answered_not_500(api: httpx.Client) -> None:
    headers = principal_header(partner_id=unique_partner())
    for name in ("createdFrom", "createdTo"):
        for extreme in ("9999-12-31", "0001-01-01", "9999-12-31T23:59:59Z"):
            response = api.get("/api/leads", params={name: extreme}, headers=headers)
            assert response.status_code == 200, (name, extreme, response.text)
        for overflowing in ("9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+01:00"):
            response = api.get("/api/leads", params={name: overflowing}, headers=headers)
            assert response.status_code == 400, (name, overflowing, response.text)
            assert response.json()["error"]["details"][0]["field"] == name


def test_every_json_body_is_strict_not_only_intake(services: Services, api: httpx.Client) -> None:
    from shared.services import intake

    partner = unique_partner()
    lead_id = intake.ingest(services, json.dumps(marketplace_lead(partner)), intake.MARKETPLACE).lead_id
    headers = {**principal_header(partner_id=partner), "Content-Type": "application/json"}
    body = json.dumps(accept_body())
    for text, field in (
        (body.replace('"estimatedValue": 25000', '"estimatedValue": NaN'), "estimatedValue"),
        (body.replace('"notes": ', '"notes": "one", "notes": ', 1), "body"),
        (body.replace('"dealName": "', '"dealName": "\\udc00', 1), "dealName"),
    ):
        response = api.post(f"/api/leads/{lead_id}/accept", content=text, headers=headers)
        assert response.status_code == 400, response.text
        assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]
    assert api.get(f"/api/leads/{lead_id}", headers=headers).json()["stage"] == "Received"
