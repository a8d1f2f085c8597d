"""`GET /api/insights` through the local host: figures, errors naming the field, access (contract §12)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from shared.services import intake
from shared.services.container import Services
from tests.support.leads import marketplace_lead, unique_partner
from tests.support.principals import principal_header


def test_insights_answer_the_figures_of_the_callers_partner(api: httpx.Client, services: Services) -> None:
    partner = unique_partner("ins")
    created = datetime.now(UTC) - timedelta(minutes=5)
    for source in ("AppSource", "AppSource", "AzurePortal"):
        intake.ingest(
            services,
            json.dumps(marketplace_lead(partner, created=created, source=source)),
            intake.MARKETPLACE,
        )
    day = created.date().isoformat()
    params: dict[str, Any] = {"from": day, "to": day, "interval": "day", "groupBy": "leadSource"}

    answer = api.get("/api/insights", params=params, headers=principal_header(partner_id=partner))
    other = api.get("/api/insights", params=params, headers=principal_header(partner_id=unique_partner()))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"], body["to"], body["interval"], body["groupBy"]) == (day, day, "day", "leadSource")
    assert body["totals"]["received"] == 3
    assert {row["group"]: row["received"] for row in body["series"]} == {"AppSource": 2, "AzurePortal": 1}
    assert other.json()["totals"]["received"] == 0


def test_bad_parameters_answer_400_naming_the_field(api: httpx.Client) -> None:
    headers = principal_header(partner_id=unique_partner())
    cases = {
        "from": {"from": "yesterday", "to": "2026-11-30"},
        "to": {"from": "2026-11-30", "to": "2026-11-01"},
        "interval": {"from": "2026-11-01", "to": "2026-11-30", "interval": "hour"},
        "groupBy": {"from": "2026-11-01", "to": "2026-11-30", "groupBy": "city"},
    }
    for field, params in cases.items():
        response = api.get("/api/insights", params=params, headers=headers)
        assert response.status_code == 400, response.text
        assert [d["field"] for d in response.json()["error"]["details"]] == [field]
    too_long = api.get("/api/insights", params={"from": "2020-01-01", "to": "2026-11-30"}, headers=headers)
    assert too_long.status_code == 400 and too_long.json()["error"]["details"][0]["field"] == "to"


def test_insights_need_a_signed_in_user_with_a_role(api: httpx.Client) -> None:
    params = {"from": "2026-11-01", "to": "2026-11-30"}
    partner = unique_partner()

    assert api.get("/api/insights", params=params).status_code == 401
    no_role = api.get("/api/insights", params=params, headers=principal_header(partner_id=partner, roles=()))
    assert no_role.status_code == 403
    viewer = principal_header(partner_id=partner, roles=("BusinessProfileAdmin",))
    assert api.get("/api/insights", params=params, headers=viewer).status_code == 200
