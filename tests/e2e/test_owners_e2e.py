"""Owners, routing rules and related leads over HTTP through the local host (contract §11)."""

from __future__ import annotations

from typing import Any

import httpx

from shared.services.container import Services
from tests.e2e.test_lifecycle_e2e import Partner
from tests.support.leads import distinct_customer
from tests.support.principals import principal_header


def lead_of(partner: Partner, **customer: str) -> dict[str, Any]:
    return partner.marketplace_lead(**(distinct_customer() | customer))


def test_owner_is_assigned_over_http_with_if_match_and_history(api: httpx.Client, services: Services) -> None:
    partner = Partner(api, services)
    lead = lead_of(partner)
    path = f"/api/leads/{lead['id']}/owner"

    stale = api.put(path, json={"userId": "ann"}, headers={**partner.headers, "If-Match": 'W/"stale"'})
    assert stale.status_code == 412

    # Any role may assign: a BusinessProfileAdmin too.
    profile_admin = principal_header(partner_id=partner.id, user_id="pa", roles=("BusinessProfileAdmin",))
    answer = api.put(
        path, json={"userId": "ann", "name": "Ann"}, headers={**profile_admin, "If-Match": lead["eTag"]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["owner"] == {"userId": "ann", "name": "Ann"}
    assert answer.headers["ETag"] == answer.json()["eTag"]

    no_role = principal_header(partner_id=partner.id, user_id="x", roles=())
    assert api.put(path, json={"userId": "bob"}, headers=no_role).status_code == 403

    history = api.get(f"/api/leads/{lead['id']}/history", headers=partner.headers).json()["value"]
    assert history[-1]["action"] == "OwnerAssigned" and history[-1]["actor"] == "pa"
    assert history[-1]["details"]["to"] == {"userId": "ann", "name": "Ann"}

    cleared = api.put(path, json={"userId": None}, headers=partner.headers)
    assert cleared.status_code == 200 and cleared.json()["owner"] is None

    # Another partner cannot see or assign it.
    other = principal_header(partner_id="someone-else")
    assert api.put(path, json={"userId": "eve"}, headers=other).status_code == 404


def test_bad_owner_bodies_answer_400_naming_the_field(api: httpx.Client, services: Services) -> None:
    partner = Partner(api, services)
    lead = lead_of(partner)
    path = f"/api/leads/{lead['id']}/owner"
    for body, field in (({}, "userId"), ({"userId": ""}, "userId"), ({"userId": "a", "name": 5}, "name")):
        answer = api.put(path, json=body, headers=partner.headers)
        assert answer.status_code == 400, body
        assert field in [detail["field"] for detail in answer.json()["error"]["details"]], answer.text
    assert api.get(f"/api/leads/{lead['id']}", headers=partner.headers).json()["owner"] is None


def test_routing_settings_and_routed_intake(api: httpx.Client, services: Services) -> None:
    partner = Partner(api, services)
    rules = {
        "rules": [
            {"when": {"country": ["NL"]}, "assignTo": [{"userId": "ann", "name": "Ann"}, {"userId": "bob"}]}
        ]
    }
    reader = principal_header(partner_id=partner.id, roles=("BusinessProfileAdmin",))
    assert api.put("/api/settings/routing", json=rules, headers=reader).status_code == 403
    bad = api.put(
        "/api/settings/routing",
        json={"rules": [{"when": {"country": ["XX"]}, "assignTo": []}]},
        headers=partner.headers,
    )
    assert bad.status_code == 400
    fields = {detail["field"] for detail in bad.json()["error"]["details"]}
    assert fields == {"rules.0.when.country.0", "rules.0.assignTo"}, fields
    assert api.get("/api/settings/routing", headers=partner.headers).json() == {"rules": []}

    saved = api.put("/api/settings/routing", json=rules, headers=partner.headers)
    assert saved.status_code == 200
    assert api.get("/api/settings/routing", headers=reader).json() == saved.json()

    owners = [lead_of(partner, country="NL")["owner"] for _ in range(3)]
    assert [owner["userId"] for owner in owners] == ["ann", "bob", "ann"]
    assert lead_of(partner, country="DE")["owner"] is None

    mine = api.get("/api/leads", params={"owner": "bob"}, headers=partner.headers).json()["value"]
    assert [lead["owner"]["userId"] for lead in mine] == ["bob"]
    people = api.get("/api/users", headers=partner.headers).json()["value"]
    assert {"userId": "user-1", "name": "Sam Sales"} in people
    assert {"userId": "bob", "name": None} in people


def test_related_leads_over_http(api: httpx.Client, services: Services) -> None:
    partner = Partner(api, services)
    customer = distinct_customer()
    first = partner.marketplace_lead(**customer)
    second = partner.marketplace_lead(**(customer | {"company": "Renamed Ltd"}))
    stranger = lead_of(partner)
    related = api.get(f"/api/leads/{first['id']}/related", headers=partner.headers)
    assert related.status_code == 200
    assert [lead["id"] for lead in related.json()["value"]] == [second["id"]]
    assert api.get(f"/api/leads/{stranger['id']}/related", headers=partner.headers).json() == {"value": []}
    assert api.get("/api/leads/0000000000000aaaaaaaaaa/related", headers=partner.headers).status_code == 404
    listed = {
        lead["id"]: lead["hasRelatedLeads"]
        for lead in api.get("/api/leads", headers=partner.headers).json()["value"]
    }
    assert listed == {first["id"]: True, second["id"]: True, stranger["id"]: False}
