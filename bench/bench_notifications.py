"""Lead to inbox: from a marketplace message on the queue to its `.eml` in the outbox.

Run: .venv/bin/python bench/bench_notifications.py [--leads 200] [--rate 10]

Starts its own Azurite (in memory, free ports) and the local functions host with
INDIVIDUAL_EMAILS_PER_DAY high enough that every lead is emailed one by one, to one
recipient. Each lead's time is split into stages from what the service records:
- intake:       enqueue -> the `LeadCreated` history entry (queue wait + intake);
- validation:   `LeadCreated` -> `ContactValidated` (queue hop + contact validation);
- notification: `ContactValidated` -> the `.eml` file's modification time (queue hop + slot
                reservation + claim + write + mark Sent).
`--rate 0` enqueues every message at once (a burst); otherwise messages are paced.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from devhost.azurite import Azurite
from devhost.process import HostProcess
from shared.config import DEFAULT_SCHEDULES, load_settings
from shared.domain.enums import HistoryAction
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.queues import MARKETPLACE_LEADS_QUEUE
from shared.services.container import Services
from tests.support.leads import marketplace_lead, unique_partner
from tests.support.principals import principal_header

REPO_ROOT = Path(__file__).resolve().parent.parent
RECIPIENT = "bench@partner.example"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, values_ms: list[float]) -> str:
    return (
        f"{name:<13} p50 {percentile(values_ms, 0.50):8.1f} ms   p95 {percentile(values_ms, 0.95):8.1f} ms   "
        f"mean {statistics.fmean(values_ms):8.1f} ms   max {max(values_ms):8.1f} ms"
    )


def outbox_times(outbox: Path) -> dict[str, float]:
    """Lead id -> epoch seconds the lead's NewLead file was written."""
    times: dict[str, float] = {}
    for path in outbox.glob("*.eml"):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if str(parsed["X-Notification-Kind"]) == "NewLead":
            times[str(parsed["X-Lead-Ids"])] = path.stat().st_mtime
    return times


def invocation_durations(log_text: str) -> dict[str, list[float]]:
    """Per-function execution times from the host's `Executed '<name>' (..., Duration=<ms>ms)` lines."""
    found: dict[str, list[float]] = {}
    for name, duration in re.findall(r"Executed '([^']+)' \(Succeeded[^)]*Duration=(\d+)ms\)", log_text):
        found.setdefault(name, []).append(float(duration))
    return found


def run(lead_count: int, rate: float) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as workdir, Azurite() as azurite:
        outbox = Path(workdir) / "outbox"
        env = {
            "AzureWebJobsStorage": azurite.connection_string,
            "OUTBOX_DIR": str(outbox),
            "EMAIL_DELIVERABILITY_CHECK": "off",
            "INDIVIDUAL_EMAILS_PER_DAY": "1000",
            **DEFAULT_SCHEDULES,
        }
        services = Services.build(load_settings(env))
        with HostProcess(cwd=REPO_ROOT, env=env, log_path=Path(workdir) / "host.log") as host:
            partner = unique_partner("bench")
            with httpx.Client(base_url=host.base_url, timeout=30, trust_env=False) as api:
                body = {"recipients": [{"email": RECIPIENT, "name": "Bench"}]}
                response = api.put(
                    "/api/settings/notifications", json=body, headers=principal_header(partner_id=partner)
                )
                response.raise_for_status()

            created = datetime.now(UTC) - timedelta(minutes=5)
            messages = [
                marketplace_lead(partner, lead_id=f"bench-{n:05d}", created=created)
                for n in range(lead_count)
            ]
            enqueued: dict[str, float] = {}
            started = time.time()
            for n, message in enumerate(messages):
                if rate > 0:
                    time.sleep(max(0.0, started + n / rate - time.time()))
                enqueued[map_marketplace_lead(message).idempotency_key] = time.time()
                services.queues.send_text(MARKETPLACE_LEADS_QUEUE, json.dumps(message))

            deadline = time.monotonic() + 120 + lead_count
            while len(outbox_times(outbox)) < lead_count:
                if time.monotonic() > deadline:
                    raise SystemExit(f"only {len(outbox_times(outbox))} of {lead_count} emails arrived")
                time.sleep(0.2)
            finished = time.time()
            delivered = outbox_times(outbox)
            durations = invocation_durations(host.log_text())

        totals, intake, validation, notification = [], [], [], []
        for key, enqueued_at in enqueued.items():
            lead_id = services.leads.lead_id_for_key(partner, key)
            assert lead_id is not None
            history = {
                entry.action: entry.at.timestamp() for entry in services.leads.history(partner, lead_id)
            }
            created_at = history[HistoryAction.LEAD_CREATED]
            validated_at = history[HistoryAction.CONTACT_VALIDATED]
            mailed_at = delivered[lead_id]
            totals.append((mailed_at - enqueued_at) * 1000)
            intake.append((created_at - enqueued_at) * 1000)
            validation.append((validated_at - created_at) * 1000)
            notification.append((mailed_at - validated_at) * 1000)

    mode = "burst" if rate <= 0 else f"{rate:g} leads/s"
    print(
        f"{lead_count} leads, {mode}, one recipient; all emailed individually in {finished - started:.1f} s"
    )
    print(summary("lead to inbox", totals))
    print(summary("intake", intake))
    print(summary("validation", validation))
    print(summary("notification", notification))
    print("function execution (host log, excludes queue waits):")
    for name in ("ingest_marketplace_lead", "validate_contact", "notify_lead"):
        if durations.get(name):
            print("  " + summary(name, durations[name]).replace(name, f"{name:<24}", 1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second; 0 = all at once")
    arguments = parser.parse_args()
    run(arguments.leads, arguments.rate)


if __name__ == "__main__":
    main()
