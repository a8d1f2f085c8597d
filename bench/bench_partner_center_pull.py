"""Partner Center pull: 10,000 referrals from the local stub into Table Storage.

Run: .venv/bin/python bench/bench_partner_center_pull.py [--referrals 10000]

The stub (tests/support/partner_center_stub.py, every exchange checked against the API
definition) holds the referrals; `partner_center_sync.pull` runs in process, as the timer does,
on a private Azurite with its storage clients wrapped in a counting policy; each page's referrals
are stored by PULL_WORKERS threads. Three runs:
1. first sync: every referral is new (a lead, its key, history, outbox, derived rows; partner
   registration, due row, validation message, event);
2. again with nothing changed: only the referral at the watermark comes back, unchanged;
3. after 1% of the referrals changed in Partner Center: those are merged.
Reported: referrals per second, storage requests per referral by kind, and API pages.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from common import CountingPolicy, CountingStorageClients, azurite_stack, print_table

from shared.config import load_settings
from shared.services import partner_center_sync
from shared.services.container import Services
from tests.support.partner_center_stub import PartnerCenterStub, stub_referrals

PARTNER = "bench-partner"


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
