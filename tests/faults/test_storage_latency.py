"""A slow, resetting and then silent link between the host and Azurite: slower, nothing lost.

(The outage, and why the poison rule cannot eat messages during one, is in test_storage_outage.py.)
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

from shared.domain.queues import MARKETPLACE_LEADS_QUEUE
from shared.services import sweeps
from shared.services.container import Services
from tests.conftest import wait_for
from tests.faults.conftest import Link, client, start_host
from tests.faults.ledger import EventQueue, assert_each_lead_once, finish_abandoned_claims, settled
from tests.faults.pipeline import RECIPIENTS, poisoned, set_recipients, timed
from tests.faults.proxy import Mode
from tests.support.leads import distinct_customer, marketplace_lead, unique_partner

# A silent link costs each attempt its read timeout: 3 x 10 s and the back-off, with some slack.
SILENT_ANSWER_WITHIN_SECONDS = 40
LEADS = 20


def test_latency_resets_and_a_silent_link_slow_the_pipeline_but_lose_nothing(
    link: Link,
    fault_env: dict[str, str],
    test_host_json: Path,
    tmp_path: Path,
    direct: Services,
    fault_outbox: Path,
) -> None:
    events = EventQueue(direct)
    host = start_host(fault_env, test_host_json, tmp_path / "host.log", storage=link.connection_string)
    partner = unique_partner("flaky")
    try:
        with client(host) as api:
            set_recipients(api, partner)
            link.set_latency(0.05)
            for n in range(LEADS):
                body = marketplace_lead(partner, **(distinct_customer() | {"company": f"Flaky {n}"}))
                direct.queues.send_text(MARKETPLACE_LEADS_QUEUE, json.dumps(body))
            # Every connection reset three times a second apart, for half a second each time.
            for _ in range(3):
                time.sleep(1.0)
                link.set_mode(Mode.RESET)
                time.sleep(0.5)
                link.set_mode(Mode.UP)
            link.set_latency(0)
            wait_for(lambda: settled(direct, partner, LEADS, RECIPIENTS), timeout=60)

            # Storage accepts connections and never answers: the health probe gives up at once,
            # an intake call after its three attempts time out.
            link.set_mode(Mode.SILENT)
            health, took = timed(lambda: api.get("/api/health"))
            assert health.status_code == 503 and took < 5, (health.status_code, took)
            refused = marketplace_lead(partner, company="Refused while silent")
            answer, took = timed(lambda: api.post("/api/marketplace/leads", json=refused, timeout=60))
            assert answer.status_code == 503 and took < SILENT_ANSWER_WITHIN_SECONDS, (
                answer.status_code,
                took,
            )
            link.set_mode(Mode.UP)
            wait_for(lambda: api.get("/api/health").status_code == 200, timeout=10)
            assert api.post("/api/marketplace/leads", json=refused).status_code == 202
            wait_for(lambda: settled(direct, partner, LEADS + 1, RECIPIENTS), timeout=60)
    finally:
        host.stop()
    finish_abandoned_claims(direct, partner)
    sweeps.dispatch_pending_events(direct, grace=timedelta(0))

    assert poisoned(direct) == dict.fromkeys(poisoned(direct), 0)
    assert_each_lead_once(
        direct,
        partner,
        count=LEADS + 1,
        recipients=RECIPIENTS,
        outbox=fault_outbox,
        events=events,
        host_logs=[host.log_text()],
    )
