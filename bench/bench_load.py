"""Load through the local host: concurrent API clients, then a queue of leads.

Run: .venv/bin/python bench/bench_load.py [--clients 16] [--requests 2000] [--leads 1000]

1. Requests: one partner with `--seeded` leads. `--clients` threads, each with its own HTTP
   connection, share `--requests` requests: every other one a list page
   (`GET /api/leads?top=50`, alternately with a filter), the rest single leads
   (`GET /api/leads/{id}`, ids spread over the partition). Two identical rounds; the host's
   resident memory (VmRSS) is read before the first and after each round. Before them, the
   first `--alone` of the same requests from one client, for the ratio of latency under load.
2. Queue: `--leads` marketplace messages for one partner with one notification recipient
   (individual emails for every lead, no digest), sent from 16 threads; from the first send,
   the time until every lead is stored, validated, and has its NewLead email in the outbox.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from bench_listing import seed
from common import Stack, azurite_stack, percentile, print_table

from shared.adapters.lead_repository import LEAD_PREFIX
from shared.adapters.storage_clients import LEADS_TABLE
from shared.domain.queues import MARKETPLACE_LEADS_QUEUE
from tests.support.leads import marketplace_lead
from tests.support.principals import principal_header

POLL_SECONDS = 2.0
TIMEOUT_SECONDS = 900.0
SENDERS = 16


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def requests_for(total: int, lead_ids: list[str]) -> list[tuple[str, str]]:
    """The same `total` requests every round: (kind, path)."""
    plan = []
    for n in range(total):
        if n % 2 == 0:
            query = "top=50" if n % 4 == 0 else "top=50&stage=Received"
            plan.append(("list", f"/api/leads?{query}"))
        else:
            plan.append(("lead", f"/api/leads/{lead_ids[(n * 7919) % len(lead_ids)]}"))
    return plan


def run_round(base_url: str, headers: dict[str, str], plan: list[tuple[str, str]], clients: int) -> dict:
    samples: dict[str, list[float]] = {"list": [], "lead": []}
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    local = threading.local()

    def call(item: tuple[str, str]) -> None:
        kind, path = item
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=base_url, headers=headers, timeout=60, trust_env=False)
        started = time.perf_counter()
        try:
            status = local.http.get(path).status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            samples[kind].append(elapsed)
            if status != 200:
                errors[f"{kind} {status}"] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(call, plan))
    return {"samples": samples, "errors": errors, "seconds": time.perf_counter() - started}


def lead_ids_of(stack: Stack, partner: str) -> list[str]:
    rows = (
        stack.services()
        .clients.table(LEADS_TABLE)
        .query_entities("PartitionKey eq @pk", parameters={"pk": partner}, select=["RowKey"])
    )
    return [row["RowKey"].removeprefix(LEAD_PREFIX) for row in rows if row["RowKey"].startswith(LEAD_PREFIX)]


def until(condition: Callable[[], bool], started: float) -> float:
    while not condition():
        if time.perf_counter() - started > TIMEOUT_SECONDS:
            raise TimeoutError("the queued leads did not all get through")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def load_requests(stack: Stack, arguments: argparse.Namespace) -> None:
    partner = f"load-{uuid.uuid4().hex[:8]}"
    seed(stack, partner, arguments.seeded)
    lead_ids = lead_ids_of(stack, partner)
    headers = principal_header(partner_id=partner)
    plan = requests_for(arguments.requests, lead_ids)
    with stack.host() as host:
        assert host.process is not None
        # Warm up: imports, clients and connections, so round 1 measures the same work as round 2.
        run_round(host.base_url, headers, plan[: 2 * arguments.clients], arguments.clients)
        # The same kinds of request one at a time, for the ratio of latency under load to latency alone.
        alone = run_round(host.base_url, headers, plan[: arguments.alone], 1)
        memory = [resident_mb(host.process.pid)]
        rounds = []
        for _ in range(2):
            rounds.append(run_round(host.base_url, headers, plan, arguments.clients))
            memory.append(resident_mb(host.process.pid))
    rows = []
    for number, result in [("1 client", alone), *enumerate(rounds, start=1)]:
        for kind in ("list", "lead"):
            samples = result["samples"][kind]
            errors = sum(count for key, count in result["errors"].items() if key.startswith(kind))
            rows.append(
                [
                    number if isinstance(number, str) else f"round {number}",
                    kind,
                    len(samples),
                    f"{percentile(samples, 0.5):.1f}",
                    f"{percentile(samples, 0.95):.1f}",
                    f"{max(samples):.1f}",
                    errors,
                ]
            )
    print_table(
        f"{arguments.clients} clients, {arguments.requests} requests a round, {arguments.seeded} leads",
        ["round", "request", "count", "p50 ms", "p95 ms", "max ms", "errors"],
        rows,
    )
    ratios = [
        [
            kind,
            *(
                f"{percentile(r['samples'][kind], 0.5) / percentile(alone['samples'][kind], 0.5):.1f}"
                for r in rounds
            ),
        ]
        for kind in ("list", "lead")
    ]
    print_table("p50 with all clients / p50 alone", ["request", "round 1", "round 2"], ratios)
    print_table(
        "Rounds",
        ["round", "seconds", "requests/s", "errors"],
        [
            [n, f"{r['seconds']:.1f}", f"{arguments.requests / r['seconds']:.0f}", dict(r["errors"]) or 0]
            for n, r in enumerate(rounds, start=1)
        ],
    )
    print_table(
        "Host memory (VmRSS)",
        ["after warm-up MB", "after round 1 MB", "after round 2 MB"],
        [[f"{value:.1f}" for value in memory]],
    )


def load_queue(stack: Stack, arguments: argparse.Namespace) -> None:
    partner = f"queue-{uuid.uuid4().hex[:8]}"
    services = stack.services()
    outbox = Path(stack.env["OUTBOX_DIR"])
    stack.env["INDIVIDUAL_EMAILS_PER_DAY"] = str(10 * arguments.leads)
    with stack.host() as host, httpx.Client(base_url=host.base_url, timeout=60, trust_env=False) as api:
        recipients = {"recipients": [{"email": "sales@partner.example"}]}
        answer = api.put(
            "/api/settings/notifications", json=recipients, headers=principal_header(partner_id=partner)
        )
        assert answer.status_code == 200, answer.text
        queue = services.clients.queue(MARKETPLACE_LEADS_QUEUE)
        bodies = [
            json.dumps(marketplace_lead(partner, company=f"Queued {n}")) for n in range(arguments.leads)
        ]
        table = services.clients.table(LEADS_TABLE)

        def columns() -> list[dict]:
            # Lead rows only (a RowKey range), two columns: the poll must not load the emulator much.
            rows = table.query_entities(
                "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
                parameters={"pk": partner, "lo": LEAD_PREFIX, "hi": "lead}"},
                select=["RowKey", "EmailValidity"],
            )
            return list(rows)

        started = time.perf_counter()
        with ThreadPoolExecutor(SENDERS) as pool:
            list(pool.map(queue.send_message, bodies))
        sent = time.perf_counter() - started
        stored = until(lambda: len(columns()) >= arguments.leads, started)
        validated = until(
            lambda: sum(bool(row.get("EmailValidity")) for row in columns()) >= arguments.leads, started
        )
        notified = until(lambda: len(list(outbox.glob("newlead-*.eml"))) >= arguments.leads, started)
        memory = resident_mb(host.process.pid) if host.process else 0.0
    print_table(
        f"{arguments.leads} leads queued on {MARKETPLACE_LEADS_QUEUE}",
        ["stage", "seconds from first send", "leads/s"],
        [
            ["all sent", f"{sent:.1f}", f"{arguments.leads / sent:.0f}"],
            ["all stored (intake)", f"{stored:.1f}", f"{arguments.leads / stored:.1f}"],
            ["all validated", f"{validated:.1f}", f"{arguments.leads / validated:.1f}"],
            ["all notified (email in outbox)", f"{notified:.1f}", f"{arguments.leads / notified:.1f}"],
        ],
    )
    print(f"host VmRSS at the end: {memory:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seeded", type=int, default=2000)
    parser.add_argument("--alone", type=int, default=200, help="requests from one client, for the ratio")
    parser.add_argument("--leads", type=int, default=1000)
    arguments = parser.parse_args()
    with azurite_stack() as stack:
        load_requests(stack, arguments)
    with azurite_stack() as stack:
        load_queue(stack, arguments)


if __name__ == "__main__":
    main()
