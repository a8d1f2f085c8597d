"""Write-back latency: from a user's change to the referral's update in (the local) Partner Center.

Run: .venv/bin/python bench/bench_partner_center_writeback.py [--leads 40]

A private Azurite, the local Partner Center stub (in this process) and the local functions host
connected to it. `--leads` referrals are pulled in as leads; then, one after another, each lead
is accepted through the HTTP API (`POST /api/leads/{id}/accept`), and the clock runs until the
stub holds the referral as Active/Accepted (polled every 2 ms in this process). Reported: p50 and
p95 of that latency, of the accept request itself (the user's wait, which never includes Partner
Center), and of the write-back function's own run (the stub's GET to its PATCH).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.common import azurite_stack, percentile, print_table
from shared.config import load_settings
from shared.services import partner_center_sync
from shared.services.container import Services
from tests.support.partner_center_stub import PartnerCenterStub, make_referral
from tests.support.principals import principal_header

ACCEPT = {
    "dealName": "Azure migration",
    "estimatedValue": 25000,
    "currency": "EUR",
    "estimatedCloseDate": "2027-01-31",
    "notes": "Kick-off in January.",
}


class Timestamps:
    """When the stub received each GET and PATCH of a referral (wraps its request handler)."""

    def __init__(self, stub: PartnerCenterStub) -> None:
        self._inner = stub.handle_api
        self.gets: dict[str, float] = {}
        self.patches: dict[str, float] = {}
        self._lock = threading.Lock()
        stub.handle_api = self  # type: ignore[method-assign]

    def __call__(self, method: str, path: str, query, headers, body):  # type: ignore[no-untyped-def]
        received = time.perf_counter()
        referral_id = path.rsplit("/", 1)[-1]
        with self._lock:
            if method == "GET" and referral_id not in self.gets:
                self.gets[referral_id] = received
            if method == "PATCH":
                self.patches.setdefault(referral_id, received)
        return self._inner(method, path, query, headers, body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=40)
    args = parser.parse_args()
    partner_id = "bench-pc"
    with azurite_stack() as stack, PartnerCenterStub() as stub:
        stack.env.update(stub.settings(partner_id))
        services = Services.build(load_settings(stack.env))
        created = datetime.now(UTC) - timedelta(hours=1)
        leads: list[tuple[str, str]] = []
        for _ in range(args.leads):
            referral = stub.add(make_referral(created=created))
            result = partner_center_sync.sync_referral(services, referral)
            assert result.lead_id is not None
            leads.append((referral["id"], result.lead_id))
        stamps = Timestamps(stub)
        headers = {**principal_header(partner_id=partner_id), "Content-Type": "application/json"}
        latencies, requests, runs = [], [], []
        with (
            stack.host() as host,
            httpx.Client(base_url=host.base_url, timeout=60, trust_env=False) as client,
        ):
            for referral_id, lead_id in leads:
                started = time.perf_counter()
                response = client.post(f"/api/leads/{lead_id}/accept", json=ACCEPT, headers=headers)
                answered = time.perf_counter()
                response.raise_for_status()
                assert response.json()["partnerCenter"]["syncState"] in ("Pending", "Synced")
                deadline = started + 60
                while stub.referrals[referral_id].get("substatus") != "Accepted":
                    if time.perf_counter() > deadline:
                        raise SystemExit(f"referral {referral_id} was not updated within 60 s")
                    time.sleep(0.002)
                done = time.perf_counter()
                latencies.append((done - started) * 1000)
                requests.append((answered - started) * 1000)
                runs.append((stamps.patches[referral_id] - stamps.gets[referral_id]) * 1000)
        stub.assert_conforms()
    rows = [
        ["user's change → referral updated at the stub", *_p(latencies)],
        ["the accept request (what the user waits for)", *_p(requests)],
        ["write-back function: its GET → its PATCH", *_p(runs)],
    ]
    print_table(
        f"Partner Center write-back, {args.leads} accepts one after another", ["", "p50", "p95"], rows
    )
    print(f"1-minute load average at the end: {os.getloadavg()[0]:.1f}")


def _p(samples: list[float]) -> list[str]:
    return [f"{percentile(samples, 0.5):.0f} ms", f"{percentile(samples, 0.95):.0f} ms"]


if __name__ == "__main__":
    main()
