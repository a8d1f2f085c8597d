"""Partner Center pull: 10,000 referrals from the local stub into Table Storage.

Run: .venv/bin/python bench/bench_partner_center_pull.py [--referrals 10000]

The stub (tests/support/partner_center_stub.py, every exchange checked against the API
definition) holds the referrals; `partner_center_sync.pull` runs in process, as the timer does,
on a private Azurite with its storage clients wrapped in a counting policy; each page's referrals
are stored by PULL_WORKERS threads. The storage clients are the product's (its connection pool,
timeouts and retries), with the counting hook added. Every referral is its own customer (its
own email, phone and company). Three runs:
1. first sync: every referral is new (a lead, its key, history, outbox, derived rows; partner
   registration, due row, validation message, event);
2. again with nothing changed: only the referral at the watermark comes back, unchanged;
3. after 1% of the referrals changed in Partner Center: those are merged.
Reported: referrals per second, storage requests per referral by kind, and API pages; progress
every 30 s while a run goes; at the end, that each referral is exactly one lead (its key row, one
lead per key, every lead stored).
"""

from __future__ import annotations

import argparse
import dataclasses
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from common import CountingPolicy, CountingStorageClients, azurite_stack, print_table

from shared.adapters.storage_clients import LEADS_TABLE
from shared.config import load_settings
from shared.domain.partner_center import referral_key
from shared.services import partner_center_sync
from shared.services.container import Services
from tests.support.partner_center_stub import PartnerCenterStub, stub_referrals

PARTNER = "bench-partner"
PROGRESS_SECONDS = 30


def report_progress(
    label: str, report: partner_center_sync.PullReport, policy: CountingPolicy, done: threading.Event
) -> None:
    started = time.perf_counter()
    while not done.wait(PROGRESS_SECONDS):
        seconds = time.perf_counter() - started
        stored = max(1, report.created + report.updated)
        print(
            f"  {label}: {seconds:.0f} s, {report.listed} listed ({report.listed / seconds:.1f}/s), "
            f"{report.created} created, {policy.total / stored:.2f} storage requests per stored referral",
            flush=True,
        )


def check_one_lead_each(services: Services, referrals: int) -> tuple[int, int, int]:
    """Key rows, distinct leads they name, and those leads stored: each `referrals` when every
    referral is exactly one lead."""
    table = services.clients.table(LEADS_TABLE)
    low, high = referral_key(""), referral_key("")[:-1] + chr(ord(":") + 1)
    keys = table.query_entities(
        "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
        parameters={"pk": PARTNER, "lo": f"key|{low}", "hi": f"key|{high}"},
        select=["RowKey", "LeadId"],
    )
    lead_ids = [row["LeadId"] for row in keys]
    leads = table.query_entities(
        "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
        parameters={"pk": PARTNER, "lo": "lead|", "hi": "lead}"},
        select=["RowKey"],
    )
    stored = {row["RowKey"].removeprefix("lead|") for row in leads} & set(lead_ids)
    counts = (len(lead_ids), len(set(lead_ids)), len(stored))
    print(
        f"\nkey rows {counts[0]}, distinct leads {counts[1]}, leads stored {counts[2]} (expected {referrals})"
    )
    assert counts == (referrals, referrals, referrals), counts
    return counts


def run(
    label: str,
    services: Services,
    policy: CountingPolicy,
    stub: PartnerCenterStub,
    rows: list[tuple[object, ...]],
) -> tuple[Counter[str], int]:
    policy.reset()
    pages_before = len(stub.api_calls("GET"))
    started = time.perf_counter()
    report = partner_center_sync.PullReport()
    interrupted = 0
    done = threading.Event()
    threading.Thread(target=report_progress, args=(label, report, policy, done), daemon=True).start()
    while True:
        # A storage error ends a run as it would end the timer's; the next run resumes at the
        # watermark, as the next timer run would. The counts add up over the runs.
        try:
            partner_center_sync.pull(services, report=report)
        except Exception as error:
            interrupted += 1
            print(f"run interrupted ({type(error).__name__}); resuming from the watermark")
            continue
        break
    seconds = time.perf_counter() - started
    done.set()
    handled = max(1, report.created + report.updated)
    rows.append(
        (
            label,
            report.listed,
            report.created,
            report.updated,
            report.unchanged,
            f"{seconds:.1f}",
            f"{report.listed / seconds:.0f}",
            len(stub.api_calls("GET")) - pages_before,
            f"{policy.total / handled:.2f}" if report.created + report.updated else f"{policy.total}",
            interrupted,
        )
    )
    return policy.counts.copy(), handled


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=10_000)
    arguments = parser.parse_args()
    with azurite_stack() as stack, PartnerCenterStub() as stub:
        start = datetime.now(UTC) - timedelta(hours=1)
        print(f"seeding {arguments.referrals} referrals in the stub ...")
        list(stub_referrals(stub, arguments.referrals, start))
        policy = CountingPolicy()
        base = stack.services()
        settings = load_settings({**stack.env, **stub.settings(PARTNER)})
        services = stack.services(CountingStorageClients(base.settings.storage, policy))
        services = dataclasses.replace(services, settings=settings)
        rows: list[tuple[object, ...]] = []
        first_counts, first_handled = run("first sync", services, policy, stub, rows)
        run("nothing changed", services, policy, stub, rows)
        changed = max(1, arguments.referrals // 100)
        for index in range(0, arguments.referrals, arguments.referrals // changed):
            stub.update(f"ref-{index:06d}", lambda r: r["details"].update(notes="Scope grew to 80 servers."))
        run(f"{changed} changed", services, policy, stub, rows)
        stub.assert_conforms()
        check_one_lead_each(base, arguments.referrals)
        print_table(
            "Partner Center pull (in process, local stub, Azurite)",
            [
                "run",
                "listed",
                "created",
                "updated",
                "unchanged",
                "s",
                "referrals/s",
                "API pages",
                "storage req / stored referral",
                "interrupted runs",
            ],
            rows,
        )
        print_table(
            "Storage requests per referral, first sync, by kind",
            ["request", "per referral"],
            [(name, f"{count / first_handled:.2f}") for name, count in sorted(first_counts.items())],
        )


if __name__ == "__main__":
    main()
