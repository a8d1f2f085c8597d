"""What storage, the email outbox and `lead-events` hold about one partner's leads, and the
checks every fault test ends with: nothing lost, nothing done twice."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.adapters.lead_repository import LEAD_PREFIX
from shared.adapters.notification_log import new_lead_claim_key
from shared.adapters.storage_clients import LEADS_TABLE, NOTIFICATIONS_TABLE
from shared.domain.notification_content import idempotency_key
from shared.domain.queues import LEAD_EVENTS_QUEUE
from shared.services import notifications
from shared.services.container import Services
from tests.integration.test_notifications import read_outbox


def partition(services: Services, table: str, partner_id: str) -> list[dict[str, Any]]:
    rows = services.clients.table(table).query_entities("PartitionKey eq @pk", parameters={"pk": partner_id})
    return list(rows)


def lead_rows(services: Services, partner_id: str) -> dict[str, dict[str, Any]]:
    return {
        row["RowKey"].removeprefix(LEAD_PREFIX): row
        for row in partition(services, LEADS_TABLE, partner_id)
        if row["RowKey"].startswith(LEAD_PREFIX)
    }


def new_lead_claims(services: Services, partner_id: str) -> dict[str, dict[str, Any]]:
    """The notification log's NewLead claims (one per lead and recipient), by row key."""
    rows = partition(services, NOTIFICATIONS_TABLE, partner_id)
    return {row["RowKey"]: row for row in rows if row.get("Kind") == "NewLead"}


class EventQueue:
    """Everything sent to `lead-events` (the fault tests' Azurite has no other reader)."""

    def __init__(self, services: Services) -> None:
        self._queue = services.clients.queue(LEAD_EVENTS_QUEUE)
        self.events: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        while batch := list(self._queue.receive_messages(messages_per_page=32, max_messages=32)):
            for message in batch:
                self.events.append(json.loads(message.content))
                self._queue.delete_message(message)
        return self.events


def settled(services: Services, partner_id: str, count: int, recipients: tuple[str, ...]) -> bool:
    """`count` leads stored, each validated, and each one's NewLead emails claimed: sent, or left
    Pending by a crash or an outage between the claim and its record (see finish_abandoned_claims)."""
    leads = lead_rows(services, partner_id)
    if len(leads) < count or any(row.get("EmailValidity") is None for row in leads.values()):
        return False
    return len(new_lead_claims(services, partner_id)) == count * len(recipients)


def pipeline_done(services: Services, partner_id: str, count: int, recipients: tuple[str, ...]) -> bool:
    """Settled, with every email recorded as sent."""
    return settled(services, partner_id, count, recipients) and all(
        row["State"] == "Sent" for row in new_lead_claims(services, partner_id).values()
    )


def finish_abandoned_claims(services: Services, partner_id: str) -> int:
    """Run the notification stage once the claim lease has run out, as the host's deferred retry would
    five minutes later: claims left Pending (by a killed host, or by an outage that hid the claim's
    own write or its record) are taken over and sent. Returns how many."""
    pending = {
        json.loads(row["LeadIds"])[0]
        for row in new_lead_claims(services, partner_id).values()
        if row["State"] == "Pending"
    }
    later = datetime.now(UTC) + notifications.CLAIM_LEASE + timedelta(seconds=1)
    moved_on = Services(**{**services.__dict__, "clock": lambda: later})
    for lead_id in pending:
        notifications.notify_lead(moved_on, json.dumps({"partnerId": partner_id, "leadId": lead_id}).encode())
    return len(pending)


def assert_each_lead_once(
    services: Services,
    partner_id: str,
    *,
    count: int,
    recipients: tuple[str, ...],
    outbox: Path,
    events: EventQueue,
    host_logs: list[str],
) -> dict[tuple[str, str], set[str]]:
    """Exactly `count` leads, one per idempotency key, each validated, each emailed once to each
    recipient, and one `LeadCreated` (one eventId, sent or still in the outbox) per lead.

    Returns the eventIds seen per (leadId, eventType): a repeat of one eventId is the contract's
    at-least-once delivery, which consumers drop; two eventIds for one transition would be a bug."""
    rows = partition(services, LEADS_TABLE, partner_id)
    leads = lead_rows(services, partner_id)
    keys = [row for row in rows if row["RowKey"].startswith("key|")]
    assert len(leads) == count, f"{len(leads)} leads stored for {count} sent"
    assert len(keys) == count
    assert sorted(row["LeadId"] for row in keys) == sorted(leads)
    assert all(row.get("EmailValidity") is not None for row in leads.values()), "a lead was never validated"

    mails = [mail for mail in read_outbox(outbox, set(leads)) if mail.kind == "NewLead"]
    per_lead_recipient = Counter((mail.lead_ids[0], mail.to) for mail in mails)
    expected = {(lead_id, recipient) for lead_id in leads for recipient in recipients}
    missing = expected - set(per_lead_recipient)
    assert not missing, f"{len(missing)} NewLead emails missing, e.g. {sorted(missing)[:3]}"
    assert set(per_lead_recipient.values()) == {1}

    # The outbox file is named by the email's idempotency key, so a repeat would replace it: the
    # host's log says how often each was written. A repeat is allowed only for a claim taken over
    # after its holder died (Attempts > 1), with the same key, which ACS uses to drop it.
    claims = new_lead_claims(services, partner_id)
    assert len(claims) == len(expected) and all(row["State"] == "Sent" for row in claims.values())
    written = Counter(
        line.split("email ", 1)[1].split(" ", 1)[0]
        for log in host_logs
        for line in log.splitlines()
        if " written to " in line
    )
    for lead_id, recipient in expected:
        attempts = int(claims[new_lead_claim_key(lead_id, recipient)].get("Attempts") or 1)
        times = written[idempotency_key("NewLead", [lead_id], recipient)]
        # A claim taken over by finish_abandoned_claims is written by the test's process, not a host.
        assert times == 1 if attempts == 1 else times <= attempts, (lead_id, recipient, times, attempts)

    sent = [event for event in events.drain() if event["partnerId"] == partner_id]
    waiting = [json.loads(row["Event"]) for row in rows if row["RowKey"].startswith("out|")]
    ids_per_transition: dict[tuple[str, str], set[str]] = defaultdict(set)
    for event in sent + waiting:
        ids_per_transition[(event["leadId"], event["eventType"])].add(event["eventId"])
    created = {lead_id for (lead_id, kind) in ids_per_transition if kind == "LeadCreated"}
    assert created == set(leads), "a LeadCreated event is lost"
    assert all(len(ids) == 1 for ids in ids_per_transition.values()), "one transition, two eventIds"
    return ids_per_transition
