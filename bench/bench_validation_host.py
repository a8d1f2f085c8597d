"""Contact validation through the local host: leads/s from enqueue until every lead is validated.

Run: .venv/bin/python bench/bench_validation_host.py [--leads 1000]

Each run has its own in-memory Azurite and local host on free ports, with the
deliverability check `off` (as in the tests) and no notification recipients, so the
notification stage that follows validation is a cheap read per lead.

1. Stage alone: the leads are stored with their `LeadCreated` history rows as intake
   leaves them; the clock starts before the first of the `{partnerId, leadId}` messages
   is sent to `contact-validation` (from 16 threads; after a warm-up of 32 leads) and stops when a poll of the
   partner's stored leads counts every `EmailValidity` set.
2. Whole pipeline: the same number of marketplace messages sent to `marketplace-leads`;
   from the first send, the time until all leads are stored (intake) and until all
   are validated (intake + validation).
3. For scale: `validation.validate_lead` in process from 16 threads on the same
   Azurite, without the host.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from common import Stack, azurite_stack, print_table

from shared.adapters.storage_clients import LEADS_TABLE
from shared.domain import lifecycle
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.queues import CONTACT_VALIDATION_QUEUE, MARKETPLACE_LEADS_QUEUE
from shared.services import validation
from shared.services.container import Services

PARALLEL = 16
# Leads run through the host before timing, so imports, table creation and connection
# set-up in the host are not counted.
WARM_UP_LEADS = 32
# Each poll reads the partition's lead rows (two columns); more often would load Azurite.
POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 600.0

# A realistic mix: ordinary, role, disposable and malformed addresses; international,
# national and broken numbers. Every lead is validated the same way whatever its verdict.
EMAILS = ["eva.{n}@fabrikam.nl", "info@northwind{n}.de", "x{n}@mailinator.com", "not an address {n}"]
PHONES = [("+31 20 794 0000", "NL"), ("030 901820", "DE"), ("020 794 0000", "NL"), ("12345", "US")]


def marketplace_message(partner: str, index: int, now: datetime) -> dict[str, object]:
    phone, country = PHONES[index % len(PHONES)]
    return {
        "LeadId": f"bench-{partner}-{index}",
        "PartnerId": partner,
        "CreatedTime": (now - timedelta(seconds=index)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "UserDetails": {
            "FirstName": "Eva",
            "LastName": "de Vries",
            "Email": EMAILS[index % len(EMAILS)].format(n=index),
            "Phone": phone,
            "Country": country,
            "Company": f"Fabrikam {index}",
            "Title": "CIO",
        },
        "LeadSource": f"AppSource-PLT|{partner}.contoso-crm",
        "ActionCode": "PLT",
        "OfferTitle": "Contoso CRM",
        "Description": "We want a demo for 200 seats.",
    }


def seed_unvalidated(services: Services, partner: str, count: int) -> list[str]:
    """Leads with their LeadCreated history rows, as intake stores them; their ids."""
    now = datetime.now(UTC)

    def store(index: int) -> str:
        new = map_marketplace_lead(marketplace_message(partner, index, now))
        lead = new.to_lead(
            new_lead_id(new.created_date_time or now), now=now, expiry_days=services.settings.lead_expiry_days
        )
        services.leads.create(lifecycle.created(lead), new.idempotency_key)
        return lead.id

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(store, range(count)))


def lead_counts(services: Services, partner: str) -> tuple[int, int]:
    """(stored, validated) leads of the partner, from one query on its partition."""
    rows = services.clients.table(LEADS_TABLE).query_entities(
        "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
        parameters={"pk": partner, "lo": "lead|", "hi": "lead}"},
        select=["RowKey", "EmailValidity"],
    )
    stored = validated = 0
    for row in rows:
        stored += 1
        validated += row.get("EmailValidity") is not None
    return stored, validated


def wait_until(condition: Callable[[], bool], started: float) -> float:
    """Seconds from `started` until `condition()` holds (polled)."""
    while not condition():
        if time.perf_counter() - started > TIMEOUT_SECONDS:
            raise TimeoutError("the host did not finish in time; see its log")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def send_all(services: Services, queue: str, texts: list[str]) -> None:
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        list(pool.map(lambda text: services.queues.send_text(queue, text), texts))


@dataclass
class StageRun:
    enqueue_seconds: float
    validated_seconds: float


def stage_through_host(stack: Stack, services: Services, count: int) -> StageRun:
    partner = f"bench-v-{uuid.uuid4().hex[:8]}"
    lead_ids = seed_unvalidated(services, partner, count)
    messages = [json.dumps({"partnerId": partner, "leadId": lead_id}) for lead_id in lead_ids]
    started = time.perf_counter()
    send_all(services, CONTACT_VALIDATION_QUEUE, messages)
    enqueued = time.perf_counter() - started
    validated = wait_until(lambda: lead_counts(services, partner)[1] >= count, started)
    return StageRun(enqueued, validated)


@dataclass
class PipelineRun:
    enqueue_seconds: float
    stored_seconds: float
    validated_seconds: float


def pipeline_through_host(services: Services, count: int) -> PipelineRun:
    partner = f"bench-p-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    messages = [json.dumps(marketplace_message(partner, index, now)) for index in range(count)]
    started = time.perf_counter()
    send_all(services, MARKETPLACE_LEADS_QUEUE, messages)
    enqueued = time.perf_counter() - started
    stored_at: float | None = None
    while True:
        stored, validated = lead_counts(services, partner)
        elapsed = time.perf_counter() - started
        if stored_at is None and stored >= count:
            stored_at = elapsed
        if validated >= count:
            assert stored_at is not None
            return PipelineRun(enqueued, stored_at, elapsed)
        if elapsed > TIMEOUT_SECONDS:
            raise TimeoutError("the host did not finish in time; see its log")
        time.sleep(POLL_SECONDS)


def in_process(services: Services, count: int) -> float:
    """Seconds for `validate_lead` on `count` stored leads from 16 threads, no host."""
    partner = f"bench-i-{uuid.uuid4().hex[:8]}"
    lead_ids = seed_unvalidated(services, partner, count)
    messages = [json.dumps({"partnerId": partner, "leadId": lead_id}).encode() for lead_id in lead_ids]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(lambda body: validation.validate_lead(services, body), messages))
    elapsed = time.perf_counter() - started
    assert all(result.validated for result in results)
    return elapsed


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} leads/s ({seconds:.1f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1000)
    arguments = parser.parse_args()
    count = arguments.leads
    # Other processes on the machine take cores from Azurite and the host: show how busy it was.
    load_before = os.getloadavg()[0]
    with azurite_stack() as stack:
        services = stack.services()
        with stack.host():
            stage_through_host(stack, services, WARM_UP_LEADS)
            stage = stage_through_host(stack, services, count)
            pipeline = pipeline_through_host(services, count)
        direct = in_process(services, count)
    load_after = os.getloadavg()[0]
    print(
        f"{count} leads, {os.cpu_count()} cores ({platform.machine()}), Python {platform.python_version()}, "
        f"1-min load average {load_before:.1f} before / {load_after:.1f} after"
    )
    print_table(
        "Contact validation through the local host (deliverability check off)",
        ["measure", "value"],
        [
            (
                "stage alone: enqueue on contact-validation",
                f"{stage.enqueue_seconds:.1f} s ({PARALLEL} threads)",
            ),
            ("stage alone: enqueue -> all validated", rate(count, stage.validated_seconds)),
            ("pipeline: enqueue on marketplace-leads", f"{pipeline.enqueue_seconds:.1f} s"),
            ("pipeline: enqueue -> all stored (intake)", rate(count, pipeline.stored_seconds)),
            ("pipeline: enqueue -> all validated", rate(count, pipeline.validated_seconds)),
            (
                "pipeline: validation after intake",
                f"{pipeline.validated_seconds - pipeline.stored_seconds:.1f} s behind the last stored lead",
            ),
            (f"validate_lead in process, {PARALLEL} threads", rate(count, direct)),
        ],
    )


if __name__ == "__main__":
    main()
