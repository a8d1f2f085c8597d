"""`make seed` against the local host: every tab and kind of lead is there, and a rerun adds nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from devhost.process import HostProcess
from devhost.seed import Seeder, principal_header, sample_leads
from tests.conftest import wait_for
from tests.support.leads import unique_partner


def _tab(api: httpx.Client, partner: str, tab: str) -> list[dict[str, Any]]:
    answer = api.get(
        "/api/leads",
        params={"tab": tab, "top": "500"},
        headers={"X-MS-CLIENT-PRINCIPAL": principal_header(partner_id=partner)},
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["value"])


def _history(api: httpx.Client, partner: str, lead_id: str) -> list[str]:
    answer = api.get(
        f"/api/leads/{lead_id}/history",
        headers={"X-MS-CLIENT-PRINCIPAL": principal_header(partner_id=partner)},
    )
    return [entry["action"] for entry in answer.json()["value"]]


def test_seed_fills_every_tab_with_every_kind_once(host: HostProcess, api: httpx.Client) -> None:
    partner = unique_partner()
    seeder = Seeder(api, partner_id=partner, out=io.StringIO())

    seeder.run()

    marketplace = _tab(api, partner, "marketplace")
    qualified = _tab(api, partner, "qualified")
    favorites = _tab(api, partner, "favorites")
    by_company = {lead["customer"]["company"]: lead for lead in marketplace + qualified}
    samples = sample_leads(datetime.now(UTC), partner)
    assert len(marketplace) + len(qualified) == len(samples)
    assert set(by_company) == {sample.company for sample in samples}
    assert {lead["qualification"] for lead in marketplace} == {"Direct"}
    assert {lead["qualification"] for lead in qualified} == {"MarketingQualified", "SalesQualified"}
    assert len(favorites) == 2

    def tagged(name: str) -> list[dict[str, Any]]:
        return [by_company[sample.company] for sample in samples if name in sample.tags]

    assert all("disposable_domain" in lead["spamFlags"] for lead in tagged("disposable_domain"))
    assert all("test_lead" in lead["spamFlags"] for lead in tagged("test_lead"))
    assert all("role_address" in lead["spamFlags"] for lead in tagged("role_address"))
    assert {lead["urgency"] for lead in tagged("flame")} == {"ContactRequested"}
    assert {lead["urgency"] for lead in tagged("overdue")} == {"ContactRequestedOverdue"}
    assert {lead["stage"] for lead in tagged("informational")} == {"Informational"}
    for status in ("Accepted", "Declined", "Won", "Lost"):
        assert {lead["status"] for lead in tagged(status.lower())} == {status}, status
    (expiring,) = tagged("expiring")
    expires = datetime.fromisoformat(expiring["expirationDateTime"])
    assert timedelta(0) < expires - datetime.now(UTC) < timedelta(days=1)
    (overdue,) = tagged("overdue")
    # The hourly sweep, run by the seed through the admin endpoint, records the overdue request.
    wait_for(lambda: "UrgencyOverdue" in _history(api, partner, overdue["id"]), timeout=30)
    histories = {lead["id"]: _history(api, partner, lead["id"]) for lead in by_company.values()}

    seeder.run()

    again = _tab(api, partner, "marketplace") + _tab(api, partner, "qualified")
    assert sorted(lead["id"] for lead in again) == sorted(histories)
    assert {lead["id"]: _history(api, partner, lead["id"]) for lead in again} == histories
    assert len(_tab(api, partner, "favorites")) == 2
