"""Insights on Azurite: figures kept live by the real services equal those the backfill rebuilds."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from azure.data.tables import UpdateMode

from shared.adapters.lead_repository import DERIVED_ROWS_COLUMN
from shared.domain import lifecycle
from shared.domain.commands import AcceptBody, CloseBody, DeclineBody
from shared.domain.enums import Role
from shared.domain.insights import GroupBy, InsightsRequest, Interval
from shared.domain.principal import Principal
from shared.services import derived_backfill, insights, intake, leads, sweeps
from shared.services.container import Services
from tests.conftest import Clock
from tests.support.leads import accept_body, marketplace_lead, referral, unique_partner
from tests.support.queues import HeldQueues

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _intake(services: Services, body: dict[str, Any], mapper: intake.Mapper) -> str:
    return intake.ingest(services, json.dumps(body), mapper).lead_id


def _act(services: Services, who: Principal, lead_id: str, decide: Any) -> None:
    leads.change_lead(services, who, lead_id, decide, if_match=None)


def _work_a_fortnight(services: Services, clock: Clock, partner: str) -> None:
    """Leads arrive over two days; some are answered, closed, or left to expire."""
    who = Principal("u1", partner, frozenset({Role.REFERRALS_ADMIN}), None, None)
    clock.now = MONDAY
    created = MONDAY - timedelta(minutes=5)
    contact_me = [
        _intake(services, marketplace_lead(partner, created=created, country=c, source=s), intake.MARKETPLACE)
        for c, s in (
            ("NL", "AppSource"),
            ("DE", "AzureMarketplace"),
            ("NL", "AzurePortal"),
            ("BE", "AppSource"),
        )
    ]
    _intake(services, marketplace_lead(partner, action_code="FreeTrial", created=created), intake.MARKETPLACE)
    referral_id = _intake(services, referral(partner, created=created), intake.REFERRAL)

    def accept(currency: str, value: float) -> Any:
        body = AcceptBody.model_validate(accept_body(currency=currency, estimatedValue=value))
        return lambda lead, now: lifecycle.accept(lead, body, actor="u1", now=now)

    def close(outcome: str) -> Any:
        body = CloseBody.model_validate({"outcome": outcome})
        return lambda lead, now: lifecycle.close(lead, body, actor="u1", now=now)

    decline = DeclineBody.model_validate({"reason": "NotACustomer"})
    clock.advance(hours=3)
    _act(services, who, contact_me[0], accept("EUR", 1000.25))
    _act(services, who, referral_id, accept("USD", 500))
    clock.advance(hours=27)  # Tuesday: a late answer
    _act(
        services, who, contact_me[1], lambda lead, now: lifecycle.decline(lead, decline, actor="u1", now=now)
    )
    _act(services, who, contact_me[2], accept("EUR", 200))
    clock.advance(days=3)
    _act(services, who, contact_me[0], close("Won"))
    _act(services, who, contact_me[2], close("Lost"))
    clock.advance(days=12)  # past the fourth lead's expiry
    assert sweeps.expire_if_due(services, partner, contact_me[3], clock.now)


def _answers(services: Services, partner: str) -> list[dict[str, Any]]:
    who = Principal("u1", partner, frozenset({Role.BUSINESS_PROFILE_ADMIN}), None, None)
    return [
        insights.insights_report(services, who, InsightsRequest(date(2026, 11, 1), date(2026, 11, 30), i, g))
        for i in Interval
        for g in GroupBy
    ]


def _strip_derived_rows(services: Services, partner: str) -> None:
    """Make the partner's leads look as they were stored before insights existed."""
    table = services.leads._table
    for row in table.query_entities("PartitionKey eq @pk", parameters={"pk": partner}):
        if row["RowKey"].startswith("ins|"):
            table.delete_entity(partner, row["RowKey"])
        elif row["RowKey"].startswith("lead|"):
            del row[DERIVED_ROWS_COLUMN]
            table.upsert_entity(row, mode=UpdateMode.REPLACE)


@pytest.fixture
def services(services: Services) -> Services:
    services.queues = HeldQueues()
    return services


@pytest.fixture
def partner() -> str:
    return unique_partner("ins")


def test_live_figures_count_each_event_on_its_day(services: Services, clock: Clock, partner: str) -> None:
    _work_a_fortnight(services, clock, partner)
    who = Principal("u1", partner, frozenset({Role.REFERRALS_ADMIN}), None, None)

    days = insights.insights_report(
        services, who, InsightsRequest(date(2026, 11, 1), date(2026, 11, 30), Interval.DAY, GroupBy.NONE)
    )

    totals = days["totals"]
    assert (totals["received"], totals["accepted"], totals["declined"]) == (6, 3, 1)
    assert (totals["won"], totals["lost"], totals["expired"]) == (1, 1, 1)
    assert totals["acceptanceRate"] == 0.75 and totals["winRate"] == 0.5
    assert totals["wonValue"] == {"EUR": 1000.25} and totals["pipelineValue"] == {"USD": 500}
    assert totals["declineReasons"] == {"NotACustomer": 1}
    assert totals["answeredWithin24h"] == 0.4  # 2 of 4 answers, and the expired lead
    by_day = {s["period"]: s for s in days["series"]}
    assert by_day["2026-11-02"]["received"] == 6 and by_day["2026-11-02"]["accepted"] == 2
    assert by_day["2026-11-03"]["declined"] == 1 and by_day["2026-11-06"]["won"] == 1
    assert by_day["2026-11-16"]["expired"] == 1
    assert 2.6 <= totals["medianResponseHours"] <= 3.4  # 3 h, within the histogram's bound
    countries = insights.insights_report(
        services, who, InsightsRequest(date(2026, 11, 1), date(2026, 11, 30), Interval.MONTH, GroupBy.COUNTRY)
    )
    assert {s["group"]: s["received"] for s in countries["series"]} == {"NL": 3, "DE": 2, "BE": 1}


def test_the_backfill_rebuilds_the_same_figures(services: Services, clock: Clock, partner: str) -> None:
    _work_a_fortnight(services, clock, partner)
    live = _answers(services, partner)
    _strip_derived_rows(services, partner)
    assert _answers(services, partner)[0]["totals"]["received"] == 0

    result = derived_backfill.backfill_chunk(services, partner, None)

    assert result.written == 6
    assert _answers(services, partner) == live


def test_a_partner_sees_only_its_own_figures(services: Services, clock: Clock, partner: str) -> None:
    _work_a_fortnight(services, clock, partner)
    other = Principal("u2", unique_partner("other"), frozenset({Role.REFERRALS_ADMIN}), None, None)

    answer = insights.insights_report(
        services, other, InsightsRequest(date(2026, 11, 1), date(2026, 11, 30), Interval.WEEK, GroupBy.NONE)
    )

    assert answer["totals"]["received"] == 0
