"""Insights cost: `GET /api/insights` for a year by week, grouped by lead source, with 1,000 and
with 20,000 leads over that year.

Run: .venv/bin/python bench/bench_insights.py [--small 1000] [--large 20000] [--requests 30]
                                              [--read-rows-only]

Two partners on one Azurite: one with `--small` leads, one with `--large`, created evenly over the
last year with a realistic mix of outcomes (accepted, declined, won, lost, expired, still open; three
sources, several countries and currencies). Each lead is stored in the repository's format, and its
insights rows are what the repository would have written for it: the contributor's tallies of every
lead, summed in memory per row and stored in batches (what live changes or the backfill leave
behind, without timing 20,000 transactions; `--read-rows-only` stores only the grouping the read
asks for). Then, against the same Azurite, `--requests` rounds, each interleaving the sizes:

- the storage requests of one read, counted on the SDK clients (in process, the same use case the
  HTTP function calls): the target is the same number at both sizes, in every round;
- the latency of the HTTP call through the local host, p50 and p95, and of one month's raw query;
- every answer's totals checked against counts taken from the seeded leads themselves.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from azure.core.exceptions import ServiceResponseError
from azure.data.tables import EdmType, EntityProperty, TableClient
from common import (
    SEED_ATTEMPTS,
    CountingPolicy,
    CountingStorageClients,
    Stack,
    azurite_stack,
    percentile,
    print_table,
    timed,
)

from shared.adapters.lead_repository import lead_entity
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


BATCH_OPERATIONS = 100  # Azurite refuses a transaction of more than 100 operations
SEED_READ_TIMEOUT = 600  # seconds


def submit(table: Any, rows: list[dict[str, Any]], label: str) -> None:
    """Upserts in transactions of 100; a batch whose answer was lost (the emulator drops one now
    and then under load) is simply sent again."""
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH_OPERATIONS):
        operations = [("upsert", row) for row in rows[start : start + BATCH_OPERATIONS]]
        for attempt in range(SEED_ATTEMPTS):
            try:
                table.submit_transaction(operations)
                break
            except ServiceResponseError:
                if attempt == SEED_ATTEMPTS - 1:
                    raise
                time.sleep(1)
        done = start + len(operations)
        if done % 5_000 < BATCH_OPERATIONS or done == len(rows):
            print(
                f"  {label}: {done:,} of {len(rows):,} rows, {time.perf_counter() - started:.0f} s",
                flush=True,
            )


def insights_rows(partner: str, leads: list[Lead], prefix: str) -> list[dict[str, Any]]:
    """The insights rows (those whose key starts with `prefix`) the repository's transactions
    leave for these leads: each lead's tallies (as `derived_change` computes them on its
    creation), summed per row in memory."""
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for lead in leads:
        for tally in derived_change(None, lead, [InsightsContributor()]).tallies:
            for column, amount in tally.amounts.items():
                sums[f"{tally.key}|0"][column] += int(amount)
    return [
        {
            "PartitionKey": partner,
            "RowKey": key,
            **{column: EntityProperty(amount, EdmType.INT64) for column, amount in columns.items()},
        }
        for key, columns in sums.items()
        if key.startswith(prefix)
    ]


def seed(stack: Stack, partner: str, count: int, today: datetime, prefix: str) -> list[Lead]:
    """The leads (each in the repository's format), and the insights rows their changes would
    have left, in batched upserts: a lead and its rows are what the service stores, without
    timing 20,000 transactions. The other features' index rows are left out (the insights read
    never touches them; on the emulator every write costs time in proportion to the rows
    already in the partition, see docs/PERFORMANCE.md)."""
    rng = random.Random(count)
    leads = [make_lead(partner, today, index, count, rng) for index in range(count)]
    # The emulator takes longer per write the more rows the partition holds (over 10 s for a batch
    # past 15,000 on a busy machine): a batch resent after the service's 10 s timeout only queues
    # behind the first, so the seeding waits as long as it takes.
    stack.services().clients.table("Leads")  # creates the table
    table = TableClient.from_connection_string(
        stack.azurite.connection_string, "Leads", read_timeout=SEED_READ_TIMEOUT
    )
    rows = insights_rows(partner, leads, prefix)
    submit(table, [lead_entity(lead) for lead in leads], f"{partner} leads")
    submit(table, rows, f"{partner} insights rows")
    print(f"  {partner}: {count:,} leads, {len(rows):,} insights rows", flush=True)
    return leads


def expected_totals(leads: list[Lead], start: date, end: date) -> dict[str, int]:
    """The range's counts, from the seeded leads themselves (not from the tallies)."""

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment.date() <= end

    closed = {Status.DECLINED: "declined", Status.WON: "won", Status.LOST: "lost"}
    counts = dict.fromkeys(("received", "accepted", "declined", "expired", "won", "lost"), 0)
    for lead in leads:
        counts["received"] += within(lead.created_date_time)
        counts["accepted"] += within(lead.accepted_date_time)
        if lead.status in closed:
            counts[closed[lead.status]] += within(lead.closed_date_time)
        if lead.status is Status.EXPIRED:
            counts["expired"] += within(lead.expiration_date_time)
    return counts


def check_totals(answer: dict[str, Any], expected: dict[str, int], label: str) -> None:
    got = {name: answer["totals"][name] for name in expected}
    if got != expected:
        raise SystemExit(f"{label}: the answer's totals {got} are not the seeded leads' {expected}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument(
        "--read-rows-only",
        action="store_true",
        help="seed only the grouping the read asks for (leadSource), not all seven: faster on the emulator",
    )
    arguments = parser.parse_args()
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    start, end = (today - timedelta(days=364)).date(), today.date()
    sizes = {
        arguments.small: f"ins-s-{uuid.uuid4().hex[:6]}",
        arguments.large: f"ins-l-{uuid.uuid4().hex[:6]}",
    }
    request = InsightsRequest(start, end, Interval.WEEK, GroupBy.LEAD_SOURCE)
    params = {"from": start.isoformat(), "to": end.isoformat(), "interval": "week", "groupBy": "leadSource"}
    who = {
        count: Principal("bench", partner, frozenset({Role.REFERRALS_ADMIN}), None, None)
        for count, partner in sizes.items()
    }
    query = "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi"
    month = {  # the last month's day rows: what one month's query costs Azurite, outside the service
        "lo": f"ins|leadSource|{end.replace(day=1).isoformat()}|",
        "hi": f"ins|leadSource|{(end + timedelta(days=1)).isoformat()}|",
    }
    print(f"load average at the start: {os.getloadavg()[0]:.1f}", flush=True)
    with azurite_stack() as stack:
        expected = {
            count: expected_totals(
                seed(stack, partner, count, today, "ins|leadSource|" if arguments.read_rows_only else "ins|"),
                start,
                end,
            )
            for count, partner in sizes.items()
        }
        policy = CountingPolicy()
        counted = stack.services(CountingStorageClients(stack.services().settings.storage, policy))
        table = stack.services().clients.table("Leads")
        requests: dict[int, list[int]] = {count: [] for count in sizes}
        kinds: dict[int, dict[str, int]] = {}
        answers: dict[int, dict[str, Any]] = {}
        raw: dict[int, list[float]] = {count: [] for count in sizes}
        latencies: dict[int, list[float]] = {count: [] for count in sizes}
        with (
            stack.host() as host,
            httpx.Client(base_url=host.base_url, timeout=120, trust_env=False) as client,
        ):
            for partner in sizes.values():  # warm up
                response = client.get(
                    "/api/insights", params=params, headers=principal_header(partner_id=partner)
                )
                assert response.status_code == 200, response.text
            for _ in range(arguments.requests):
                for count, partner in sizes.items():  # interleaved, so drift hits both sizes alike
                    # The storage requests of one read, counted on the SDK clients (in process,
                    # the use case the HTTP function calls), at every round.
                    policy.reset()
                    answers[count] = insights.insights_report(counted, who[count], request)
                    requests[count].append(policy.total)
                    kinds[count] = dict(policy.counts)
                    check_totals(answers[count], expected[count], f"{count:,} leads, in process")
                    response = client.get(
                        "/api/insights", params=params, headers=principal_header(partner_id=partner)
                    )
                    assert response.status_code == 200, response.text
                    check_totals(response.json(), expected[count], f"{count:,} leads, over HTTP")
                    latencies[count].append(response.elapsed.total_seconds() * 1000)
                    raw[count].extend(
                        timed(
                            lambda partner=partner: list(
                                table.query_entities(query, parameters={"pk": partner, **month})
                            ),
                            1,
                        )
                    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    rows = []
    for count in sizes:
        rows.append(
            [
                f"{count:,}",
                ", ".join(f"{name} {expected[count][name]}" for name in expected[count]),
                len(answers[count]["series"]),
                "/".join(str(n) for n in sorted(set(requests[count]))),
                f"{percentile(latencies[count], 0.5):.0f}",
                f"{percentile(latencies[count], 0.95):.0f}",
                f"{percentile(raw[count], 0.5):.0f}",
            ]
        )
    print_table(
        f"GET /api/insights, {start} to {end}, weekly by lead source ({arguments.requests} rounds)",
        [
            "leads",
            "totals read back (= the seeded leads')",
            "series entries",
            "storage requests per read",
            "p50 ms",
            "p95 ms",
            "one month raw p50 ms",
        ],
        rows,
    )
    small, large = sizes
    ratio = percentile(latencies[large], 0.5) / percentile(latencies[small], 0.5)
    print(f"\nstorage requests per read: {kinds[small]} vs {kinds[large]}")
    print(f"latency ratio (p50, {large:,} / {small:,} leads): {ratio:.2f}")
    if set(requests[small]) | set(requests[large]) != {requests[small][0]}:
        raise SystemExit("the read made a different number of storage requests at the two sizes")


if __name__ == "__main__":
    main()
