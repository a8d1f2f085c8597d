"""Storage outages between the host and Azurite: intake, the pipeline and a sweep ride them out.

Why the poison rule (a message is parked after its fifth failed delivery) cannot eat messages
during an outage: a delivery needs a successful receive, which needs storage. While the link is
down no receive succeeds, so a message fails at most once per outage (the one received just
before it), however long the outage lasts; its next delivery comes after storage is back.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.adapters.storage_clients import LEADS_TABLE
from shared.domain.queues import MARKETPLACE_LEADS_QUEUE
from shared.services import sweeps
from shared.services.container import Services
from tests.conftest import wait_for
from tests.faults.conftest import Link, client, start_host
from tests.faults.ledger import (
    EventQueue,
    assert_each_lead_once,
    finish_abandoned_claims,
    partition,
    pipeline_done,
    settled,
)
from tests.faults.pipeline import RECIPIENTS, poisoned, set_recipients, timed
from tests.faults.proxy import Mode
from tests.support.leads import distinct_customer, marketplace_lead, unique_partner

OUTAGE_SECONDS = 30
STALE_LEADS = 10
# A caller must hear back within seconds, not after the SDK's default minute of retries.
ANSWER_WITHIN_SECONDS = 10


def test_a_30s_outage_during_an_intake_burst_and_a_sweep_loses_nothing_and_does_nothing_twice(
    link: Link,
    fault_env: dict[str, str],
    test_host_json: Path,
    tmp_path: Path,
    direct: Services,
    fault_outbox: Path,
) -> None:
    events = EventQueue(direct)
    host = start_host(fault_env, test_host_json, tmp_path / "host.log", storage=link.connection_string)
    try:
        with client(host) as api:
            # Leads past their 14 days, through the pipeline before the outage, for the sweep.
            stale, fresh = unique_partner("stale"), unique_partner("burst")
            for partner in (stale, fresh):
                set_recipients(api, partner)
            created = datetime.now(UTC) - timedelta(days=15)
            for n in range(STALE_LEADS):
                body = marketplace_lead(
                    stale, created=created, **(distinct_customer() | {"company": f"Stale {n}"})
                )
                direct.queues.send_text(MARKETPLACE_LEADS_QUEUE, json.dumps(body))
            wait_for(lambda: pipeline_done(direct, stale, STALE_LEADS, RECIPIENTS), timeout=60)

            # The burst: most of it straight onto the queue, some through the HTTP endpoint.
            bodies = [
                marketplace_lead(fresh, **(distinct_customer() | {"company": f"Burst {n}"}))
                for n in range(60)
            ]
            for body in bodies[:40]:
                direct.queues.send_text(MARKETPLACE_LEADS_QUEUE, json.dumps(body))
            for body in bodies[40:50]:
                assert api.post("/api/marketplace/leads", json=body).status_code == 202
            assert api.post("/admin/functions/expire_leads", json={}).status_code == 202
            time.sleep(0.5)

            link.set_mode(Mode.RESET)
            outage_ends = time.monotonic() + OUTAGE_SECONDS

            health, took = timed(lambda: api.get("/api/health"))
            assert health.status_code == 503 and took < 5, (health.status_code, took)
            refused = bodies[50:55]
            for body in refused:
                answer, took = timed(lambda body=body: api.post("/api/marketplace/leads", json=body))
                assert answer.status_code == 503, answer.text
                assert answer.json()["error"]["code"] == "ServiceUnavailable"
                assert took < ANSWER_WITHIN_SECONDS, took
            # The marketplace still reaches storage; only the host is cut off from it.
            for body in bodies[55:]:
                direct.queues.send_text(MARKETPLACE_LEADS_QUEUE, json.dumps(body))
            time.sleep(max(0.0, outage_ends - time.monotonic()))
            assert api.get("/api/health").status_code == 503

            link.set_mode(Mode.UP)
            wait_for(lambda: api.get("/api/health").status_code == 200, timeout=10)
            for body in refused:  # the caller sends again what was refused
                assert api.post("/api/marketplace/leads", json=body).status_code == 202
            # The next sweep, as the timer would run it, by the same host: no restart anywhere.
            assert api.post("/admin/functions/expire_leads", json={}).status_code == 202
            wait_for(lambda: settled(direct, fresh, 60, RECIPIENTS), timeout=90)

            def all_expired() -> bool:
                leads = partition(direct, LEADS_TABLE, stale)
                return all(
                    row.get("Status") == "Expired" for row in leads if row["RowKey"].startswith("lead|")
                )

            wait_for(all_expired, timeout=30)
        assert host.process is not None and host.process.poll() is None, "the host had to be restarted"
    finally:
        host.stop()

    for partner in (stale, fresh):
        finish_abandoned_claims(direct, partner)
    sweeps.dispatch_pending_events(direct, grace=timedelta(0))
    log = host.log_text()
    assert '"outcome": "retry"' in log, "the outage hit no message in flight: the test proved nothing"
    assert poisoned(direct) == dict.fromkeys(poisoned(direct), 0)
    logs = [log]
    assert_each_lead_once(
        direct, fresh, count=60, recipients=RECIPIENTS, outbox=fault_outbox, events=events, host_logs=logs
    )
    transitions = assert_each_lead_once(
        direct,
        stale,
        count=STALE_LEADS,
        recipients=RECIPIENTS,
        outbox=fault_outbox,
        events=events,
        host_logs=logs,
    )
    expired = {lead_id for (lead_id, kind) in transitions if kind == "LeadExpired"}
    assert len(expired) == STALE_LEADS
