"""The host killed with SIGKILL during intake, validation and notification loses nothing and sends
no email twice.

A message in flight when the host dies stays invisible for the receive's visibility (60 s in the
local host), then is delivered again; every stage is idempotent, so the repeat finishes the work.
"""

from __future__ import annotations

import json
import re
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from devhost.process import HostProcess
from shared.domain.queues import MARKETPLACE_LEADS_QUEUE
from shared.services import sweeps
from shared.services.container import Services
from tests.conftest import wait_for
from tests.faults.conftest import client, start_host
from tests.faults.ledger import (
    EventQueue,
    assert_each_lead_once,
    finish_abandoned_claims,
    lead_rows,
    new_lead_claims,
    settled,
)
from tests.faults.test_storage_outage import RECIPIENTS, set_recipients
from tests.support.leads import distinct_customer, marketplace_lead, unique_partner

LEADS = 80
# The host is killed three times, each time once a stage has made this much headway since the
# restart before: mid-intake, mid-validation and mid-notification.
HEADWAY = 8


def kill(host: HostProcess) -> None:
    assert host.process is not None
    host.process.send_signal(signal.SIGKILL)
    host.process.wait(timeout=10)
    host.stop()  # closes the log file


def progress(services: Services, partner_id: str) -> dict[str, int]:
    """How far each stage has got: leads stored, leads validated, emails claimed."""
    leads = lead_rows(services, partner_id).values()
    return {
        "intake": len(leads),
        "validation": sum(row.get("EmailValidity") is not None for row in leads),
        "notification": len(new_lead_claims(services, partner_id)),
    }


def redelivered(logs: list[str]) -> Counter[str]:
    """Messages run again after a kill (DequeueCount above 1), per function."""
    pattern = re.compile(r"Executed '(\w+)' \(\w+, Id=[^,]+, DequeueCount=([2-9])")
    return Counter(name for log in logs for name, _count in pattern.findall(log))


def test_sigkill_during_the_pipeline_loses_nothing_and_sends_nothing_twice(
    fault_env: dict[str, str], test_host_json: Path, tmp_path: Path, direct: Services, fault_outbox: Path
) -> None:
    events = EventQueue(direct)
    partner = unique_partner("crash")
    hosts: list[HostProcess] = []

    def start() -> HostProcess:
        hosts.append(start_host(fault_env, test_host_json, tmp_path / f"host-{len(hosts)}.log"))
        return hosts[-1]

    host = start()
    with client(host) as api:
        set_recipients(api, partner)
    bodies = [
        json.dumps(marketplace_lead(partner, **(distinct_customer() | {"company": f"C{n}"})))
        for n in range(LEADS)
    ]
    sending = ThreadPoolExecutor(8)  # the leads keep arriving while the host is killed
    sent = sending.map(lambda body: direct.queues.send_text(MARKETPLACE_LEADS_QUEUE, body), bodies)
    at_kill: dict[str, dict[str, int]] = {}
    for stage in ("intake", "validation", "notification"):
        before = progress(direct, partner)[stage]
        at_kill[stage] = wait_for(
            lambda stage=stage, before=before: (
                (now := progress(direct, partner))[stage] >= before + HEADWAY and now
            ),
            timeout=60,
            interval=0.05,
        )
        kill(host)
        host = start()
    list(sent)
    sending.shutdown()
    try:
        wait_for(lambda: settled(direct, partner, LEADS, RECIPIENTS), timeout=100, interval=0.5)
    finally:
        host.stop()  # graceful: what runs finishes, so a Pending claim now is one a kill left
    logs = [host.log_text() for host in hosts]
    # Each kill landed while its stage was under way, and cut messages short that ran again.
    assert at_kill["intake"]["intake"] < LEADS
    assert 0 < at_kill["validation"]["validation"] < LEADS
    assert 0 < at_kill["notification"]["notification"] < LEADS * len(RECIPIENTS)
    assert sum(redelivered(logs).values()) > 0, "no kill interrupted a message: the test proved nothing"

    # The host would take abandoned claims over once their 5-minute lease runs out, and send
    # the outbox rows a kill left behind after 2 minutes; run both now instead of waiting.
    finish_abandoned_claims(direct, partner)
    sweeps.dispatch_pending_events(direct, grace=timedelta(0))
    assert_each_lead_once(
        direct,
        partner,
        count=LEADS,
        recipients=RECIPIENTS,
        outbox=fault_outbox,
        events=events,
        host_logs=logs,
    )
