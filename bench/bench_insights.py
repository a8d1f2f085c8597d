"""Insights cost: `GET /api/insights` for a year by week, grouped by lead source, with 1,000 and
with 20,000 leads over that year.

Run: .venv/bin/python bench/bench_insights.py [--small 1000] [--large 20000] [--requests 30]

Two partners on one Azurite: one with `--small` leads, one with `--large`, created evenly over the
last year with a realistic mix of outcomes (accepted, declined, won, lost, expired, still open; three
sources, several countries and currencies). Each lead is stored in the repository's format, and its
insights rows are what the repository would have written for it: the contributor's tallies of every
lead, summed in memory per row and stored in batches (what live changes or the backfill leave
behind, without timing 20,000 transactions). Then, against the same Azurite:

- the storage requests of one read, counted on the SDK clients (in process, the same use case the
  HTTP function calls): the target is the same number at both sizes;
- the latency of the HTTP call through the local host, p50 and p95, interleaved between the sizes.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from azure.core.exceptions import ServiceResponseError
from common import (
    SEED_ATTEMPTS,
    CountingPolicy,
    CountingStorageClients,
    Stack,
    azurite_stack,
    percentile,
    print_table,
    seed_leads,
    timed,
)

from shared.domain.derived_rows import derived_change
from shared.domain.enums import DeclineReason, Role, Stage, Status
from shared.domain.insights import GroupBy, InsightsContributor, InsightsRequest, Interval
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead import Deal, Lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.principal import Principal
from shared.services import insights
from tests.support.leads import marketplace_lead
from tests.support.principals import principal_header

SOURCES = ("AppSource", "AzureMarketplace", "AzurePortal")
COUNTRIES = ("NL", "DE", "BE", "FR", "GB", "US", "ES", "IT")
CURRENCIES = ("EUR", "USD", "GBP")


def make_lead(partner: str, today: datetime, index: int, count: int, rng: random.Random) -> Lead:
    # Evenly over the 364 days before today and today's morning: all inside the range read.
    created = today - timedelta(days=364, hours=11) + timedelta(seconds=index * 364 * 86400 / count)
    body = marketplace_lead(
        partner, created=created, source=rng.choice(SOURCES), country=rng.choice(COUNTRIES)
    )
    lead = map_marketplace_lead(body).to_lead(new_lead_id(created), now=created, expiry_days=14)
    answered = created + timedelta(hours=rng.expovariate(1 / 20))
    roll = rng.random()
    deal = Deal(
        name="Seats",
        value=Decimal(rng.randrange(1000, 90000)),
        currency=rng.choice(CURRENCIES),
        estimated_close_date=date(2027, 6, 30),
        notes="n",
    )
    if roll < 0.2 and created < today - timedelta(days=14):
        return lead.model_copy(
            update={
                "stage": Stage.ARCHIVED,
                "status": Status.EXPIRED,
                "closed_date_time": lead.expiration_date_time,
            }
        )
    if roll < 0.45:
        reason = rng.choice(list(DeclineReason)).value
        return lead.model_copy(
            update={
                "stage": Stage.ARCHIVED,
                "status": Status.DECLINED,
                "status_reason": reason,
                "closed_date_time": answered,
            }
        )
    if roll < 0.9:
        accepted = lead.model_copy(
            update={
                "stage": Stage.ACCEPTED,
                "status": Status.ACCEPTED,
                "accepted_date_time": answered,
                "deal": deal,
            }
        )
        closed = answered + timedelta(days=rng.randrange(5, 60))
        if closed < today and roll < 0.8:
            outcome = Status.WON if roll < 0.6 else Status.LOST
            return accepted.model_copy(
                update={"stage": Stage.ARCHIVED, "status": outcome, "closed_date_time": closed}
            )
        return accepted
    return lead


def seed(stack: Stack, partner: str, count: int, today: datetime) -> None:
    """The leads, and the insights rows their changes would have left."""
    rng = random.Random(count)
    leads = [make_lead(partner, today, index, count, rng) for index in range(count)]
    table = stack.services().clients.table("Leads")
    seed_leads(table, count, lambda index: leads[index], threads=1)
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for lead in leads:
        for tally in derived_change(None, lead, [InsightsContributor()]).tallies:
            for column, amount in tally.amounts.items():
                sums[f"{tally.key}|0"][column] += int(amount)
    rows = [{"PartitionKey": partner, "RowKey": key, **columns} for key, columns in sums.items()]
    for start in range(0, len(rows), 100):
        for attempt in range(SEED_ATTEMPTS):  # upserts: a batch whose answer was lost is sent again
            try:
                table.submit_transaction([("upsert", row) for row in rows[start : start + 100]])
                break
            except ServiceResponseError:
                if attempt == SEED_ATTEMPTS - 1:
                    raise
                time.sleep(1)
    print(f"  {partner}: {count} leads, {len(rows)} insights rows", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    arguments = parser.parse_args()
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    start, end = (today - timedelta(days=364)).date(), today.date()
    sizes = {
        arguments.small: f"ins-s-{uuid.uuid4().hex[:6]}",
        arguments.large: f"ins-l-{uuid.uuid4().hex[:6]}",
    }
    request = InsightsRequest(start, end, Interval.WEEK, GroupBy.LEAD_SOURCE)
    params = {"from": start.isoformat(), "to": end.isoformat(), "interval": "week", "groupBy": "leadSource"}
    with azurite_stack() as stack:
        for count, partner in sizes.items():
            seed(stack, partner, count, today)
        policy = CountingPolicy()
        counted = stack.services(CountingStorageClients(stack.services().settings.storage, policy))
        requests: dict[int, Any] = {}
        answers: dict[int, dict[str, Any]] = {}
        for count, partner in sizes.items():
            who = Principal("bench", partner, frozenset({Role.REFERRALS_ADMIN}), None, None)
            policy.reset()
            answers[count] = insights.insights_report(counted, who, request)
            requests[count] = (policy.total, dict(policy.counts))
        # What one month's query costs Azurite on its own, outside the service.
        table = stack.services().clients.table("Leads")
        month = (end.replace(day=1), end)
        raw: dict[int, list[float]] = {}
        for count, partner in sizes.items():
            low = f"ins|leadSource|{month[0].isoformat()}|"
            high = f"ins|leadSource|{(month[1] + timedelta(days=1)).isoformat()}|"
            query = "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi"
            raw[count] = timed(
                lambda: list(table.query_entities(query, parameters={"pk": partner, "lo": low, "hi": high})),  # noqa: B023
                arguments.requests,
            )
        latencies: dict[int, list[float]] = {count: [] for count in sizes}
        with (
            stack.host() as host,
            httpx.Client(base_url=host.base_url, timeout=60, trust_env=False) as client,
        ):
            for partner in sizes.values():  # warm up
                assert (
                    client.get(
                        "/api/insights", params=params, headers=principal_header(partner_id=partner)
                    ).status_code
                    == 200
                )
            for _ in range(arguments.requests):
                for count, partner in sizes.items():  # interleaved, so drift hits both alike
                    response = client.get(
                        "/api/insights", params=params, headers=principal_header(partner_id=partner)
                    )
                    assert response.status_code == 200, response.text
                    latencies[count].append(response.elapsed.total_seconds() * 1000)
    rows = []
    for count in sizes:
        totals = answers[count]["totals"]
        rows.append(
            [
                f"{count:,}",
                totals["received"],
                len(answers[count]["series"]),
                requests[count][0],
                f"{percentile(latencies[count], 0.5):.0f}",
                f"{percentile(latencies[count], 0.95):.0f}",
                f"{percentile(raw[count], 0.5):.0f}",
            ]
        )
    print_table(
        f"GET /api/insights, {start} to {end}, weekly by lead source ({arguments.requests} calls each)",
        [
            "leads",
            "received (read back)",
            "series entries",
            "storage requests",
            "p50 ms",
            "p95 ms",
            "one month raw p50 ms",
        ],
        rows,
    )
    small, large = sizes
    ratio = percentile(latencies[large], 0.5) / percentile(latencies[small], 0.5)
    print(f"\nstorage requests per read: {requests[small][1]} vs {requests[large][1]}")
    print(f"latency ratio (p50, {large:,} / {small:,} leads): {ratio:.2f}")
    if requests[small][0] != requests[large][0]:
        raise SystemExit("the read made a different number of storage requests at the two sizes")


if __name__ == "__main__":
    main()
