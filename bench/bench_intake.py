"""Intake throughput: marketplace leads through the local host, next to raw Table Storage upserts.

Run: .venv/bin/python bench/bench_intake.py [--leads 2000]

1. Raw rate: single-entity `upsert_entity` calls of the `azure-data-tables` SDK on the
   same Azurite, from 16 threads (the host runs 16 queue messages at once) and from one.
2. Round trips: `intake.ingest` in process on 200 leads, its storage clients wrapped in a
   counting pipeline policy; the host adds one message delete per lead and one receive
   per batch of up to 32.
3. Through the host: all leads are enqueued on `marketplace-leads` before the host starts;
   the clock runs from the moment the host answers until every lead is stored. Measured
   twice: with the later stages (validation, notification) switched off, which is intake
   alone, and with the whole pipeline running in the same host on the same Azurite.
Target: intake leads/s >= 1/3 of the raw 16-thread upsert rate.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from common import CountingPolicy, CountingStorageClients, Stack, azurite_stack, print_table

from shared.services import intake

PARALLEL = 16


def lead_message(partner: str, index: int, now: datetime) -> str:
    return json.dumps(
        {
            "LeadId": f"bench-{partner}-{index}",
            "PartnerId": partner,
            "CreatedTime": (now - timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "UserDetails": {
                "FirstName": "Eva",
                "LastName": "de Vries",
                "Email": f"eva{index}@fabrikam.nl",
                "Phone": "+31 20 794 0000",
                "Country": "NL",
                "Company": f"Fabrikam {index}",
                "Title": "CIO",
            },
            "LeadSource": f"AppSource-PLT|{partner}.contoso-crm",
            "ActionCode": "PLT",
            "OfferTitle": "Contoso CRM",
            "Description": "We want a demo for 200 seats.",
        }
    )


def raw_upsert_rate(stack: Stack, count: int, threads: int) -> float:
    table = stack.services().clients.table("RawUpserts")
    partition = uuid.uuid4().hex
    payload = "x" * 1500  # about the size of a stored lead

    def upsert(index: int) -> None:
        table.upsert_entity({"PartitionKey": partition, "RowKey": f"{index:08d}", "Data0": payload})

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(upsert, range(count)))
    return count / (time.perf_counter() - started)


def round_trips_per_lead(stack: Stack, count: int) -> tuple[float, dict[str, float]]:
    policy = CountingPolicy()
    base = stack.services()
    services = stack.services(CountingStorageClients(base.settings.storage, policy))
    partner = f"rt-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    intake.ingest(services, lead_message(partner, 999_999, now), intake.MARKETPLACE)  # clients warm
    policy.reset()
    for index in range(count):
        intake.ingest(services, lead_message(partner, index, now), intake.MARKETPLACE)
    return policy.total / count, {name: n / count for name, n in sorted(policy.counts.items())}


def stored_count(stack: Stack, partner: str) -> int:
    table = stack.services().clients.table("Leads")
    rows = table.query_entities(
        "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
        parameters={"pk": partner, "lo": "lead|", "hi": "lead}"},
        select=["RowKey"],
    )
    return sum(1 for _ in rows)


LATER_STAGES = ("validate_contact", "notify_lead")


def through_host(stack: Stack, count: int, disabled: tuple[str, ...] = ()) -> tuple[float, float]:
    services = stack.services()
    partner = f"bench-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    messages = [lead_message(partner, index, now) for index in range(count)]
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        list(pool.map(lambda text: services.queues.send_text("marketplace-leads", text), messages))
    with stack.host(disabled):
        started = time.perf_counter()
        # Counting scans the partition, which loads the same emulator: look once a second.
        while stored_count(stack, partner) < count:
            time.sleep(1.0)
        elapsed = time.perf_counter() - started
    return count / elapsed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=2000)
    arguments = parser.parse_args()
    with azurite_stack() as stack:
        raw_parallel = raw_upsert_rate(stack, arguments.leads, PARALLEL)
        raw_single = raw_upsert_rate(stack, arguments.leads, 1)
        trips, by_kind = round_trips_per_lead(stack, 200)
        rate, elapsed = through_host(stack, arguments.leads, LATER_STAGES)
        pipeline_rate, pipeline_elapsed = through_host(stack, arguments.leads)
    print_table(
        "Storage requests per lead (intake.ingest in process)",
        ["request", "per lead"],
        [*[(name, f"{n:.2f}") for name, n in by_kind.items()], ("total", f"{trips:.2f}")],
    )
    print_table(
        f"Intake of {arguments.leads} marketplace leads",
        ["measure", "value"],
        [
            (f"raw upsert_entity, {PARALLEL} threads", f"{raw_parallel:.0f} /s"),
            ("raw upsert_entity, 1 thread", f"{raw_single:.0f} /s"),
            ("intake through the local host", f"{rate:.0f} leads/s ({elapsed:.1f} s)"),
            ("intake / raw (16 threads)", f"{rate / raw_parallel:.2f} (target >= 0.33)"),
            (
                "intake with validation and notification running too",
                f"{pipeline_rate:.0f} leads/s ({pipeline_elapsed:.1f} s)",
            ),
            ("storage requests per lead (ingest)", f"{trips:.2f} (+1 delete, +1/32 receive in the host)"),
        ],
    )


if __name__ == "__main__":
    main()
