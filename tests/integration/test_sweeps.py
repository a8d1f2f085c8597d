"""The expiry and overdue sweeps on real Azurite, driven by the due index, with a clock the test moves.

Leads are created a little short of their deadline and the clock is then moved a
few minutes, so that only this test's leads (and none that other tests left
behind) fall due at the sweep's `now`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.data.tables import UpdateMode

from shared.adapters.due_index import DueKind, bucket_of
from shared.adapters.lead_repository import StoredLead, lead_row_key
from shared.adapters.storage_clients import DUE_TABLE, LEADS_TABLE
from shared.domain import lifecycle
from shared.domain.commands import AcceptBody
from shared.domain.enums import Role, Stage, Status, Urgency
from shared.domain.principal import Principal
from shared.domain.queues import LEAD_EVENTS_QUEUE
from shared.services import intake, leads, sweeps, validation
from shared.services.container import Services
from tests.conftest import Clock, storage_of_its_own
from tests.support.leads import accept_body, referral, unique_partner

CONTACT_TEXTS = ("Jonas", "Weber", "jonas@northwind.de", "+4930901820")


@pytest.fixture(scope="module")
def app_env(outbox_dir: Path) -> Iterator[dict[str, str]]:
    """Storage of this module's own: the event dispatcher visits every partner the storage knows,
    and the session's storage knows every partner of every other test."""
    with storage_of_its_own(outbox_dir) as env:
        yield env


def principal(partner_id: str) -> Principal:
    return Principal("user-7", partner_id, frozenset({Role.REFERRALS_ADMIN}), None, None)


def new_lead(services: Services, partner_id: str, *, age: timedelta, requested_contact: bool) -> str:
    body = referral(partner_id, created=services.clock() - age, requested_contact=requested_contact)
    return intake.ingest(services, json.dumps(body), intake.REFERRAL).lead_id


def stored(services: Services, partner_id: str, lead_id: str) -> StoredLead:
    found = services.leads.get(partner_id, lead_id)
    assert found is not None
    return found


def history_actions(services: Services, partner_id: str, lead_id: str) -> list[str]:
    return [entry.action.value for entry in services.leads.history(partner_id, lead_id)]


def due_rows(services: Services, partner_id: str) -> set[tuple[str, str]]:
    rows = services.clients.table(DUE_TABLE).query_entities(
        "RowKey ge @lo and RowKey lt @hi", parameters={"lo": "", "hi": "~"}
    )
    return {
        (row["RowKey"].split("|")[0], row["RowKey"].split("|")[2])
        for row in rows
        if row["RowKey"].split("|")[1] == partner_id
    }


class EventLog:
    """This partner's messages on `lead-events`, taken off the shared queue.

    Other partners' messages are only hidden for a few seconds, then reappear.
    """

    def __init__(self, services: Services, partner_id: str) -> None:
        self._queue = services.clients.queue(LEAD_EVENTS_QUEUE)
        self._partner_id = partner_id
        self.events: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        seen: set[str] = set()
        for message in self._queue.receive_messages(messages_per_page=32, visibility_timeout=5):
            if message.id in seen:
                break
            seen.add(message.id)
            event = json.loads(message.content)
            if event.get("partnerId") == self._partner_id:
                self.events.append(event)
                self._queue.delete_message(message)
        return self.events

    def of(self, lead_id: str) -> list[str]:
        return [event["eventType"] for event in self.read() if event["leadId"] == lead_id]


def run_twice_at_once(sweep: Callable[[], sweeps.SweepResult]) -> list[sweeps.SweepResult]:
    start = threading.Barrier(2)
    results: list[sweeps.SweepResult] = []

    def run() -> None:
        start.wait()
        results.append(sweep())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    return results


# -- expiry -------------------------------------------------------------------


def test_expiry_archives_due_leads_and_removes_contact_details(services: Services, clock: Clock) -> None:
    partner = unique_partner()
    almost = timedelta(days=14) - timedelta(minutes=1)
    plain = new_lead(services, partner, age=almost, requested_contact=False)
    # Asked for contact: its only due row is the overdue check, yet it expires on time.
    asked = new_lead(services, partner, age=almost, requested_contact=True)
    fresh = new_lead(services, partner, age=timedelta(days=1), requested_contact=False)
    events = EventLog(services, partner)

    assert sweeps.expire_leads(services).changed.count(plain) == 0
    clock.advance(minutes=2)
    result = sweeps.expire_leads(services)

    assert {plain, asked} <= set(result.changed)
    assert fresh not in result.changed
    for lead_id in (plain, asked):
        lead = stored(services, partner, lead_id).lead
        assert (lead.stage, lead.status) == (Stage.ARCHIVED, Status.EXPIRED)
        assert lead.closed_date_time is not None
        assert abs(lead.closed_date_time - clock.now) < timedelta(milliseconds=1)
        assert (lead.customer.first_name, lead.customer.email, lead.customer.phone) == (None, None, None)
        assert lead.customer.company == "Northwind Traders"
        # The raw row: no contact detail left in any column.
        raw = services.clients.table(LEADS_TABLE).get_entity(partner, lead_row_key(lead_id))
        data = "".join(str(raw[f"Data{i}"]) for i in range(int(raw["Chunks"])))
        assert "Northwind Traders" in data
        for text in CONTACT_TEXTS:
            assert all(text not in str(value) for value in raw.values()), text
        assert history_actions(services, partner, lead_id)[0] == "LeadCreated"
        last = services.leads.history(partner, lead_id)[-1]
        assert (last.action.value, last.actor, last.from_status, last.to_status) == (
            "LeadExpired",
            "system",
            Status.RECEIVED,
            Status.EXPIRED,
        )
        assert events.of(lead_id) == ["LeadCreated", "LeadExpired"]
    assert stored(services, partner, fresh).lead.stage is Stage.RECEIVED
    assert events.of(fresh) == ["LeadCreated"]
    # Done rows are gone; the fresh lead's row waits for its day.
    assert due_rows(services, partner) == {("expire", fresh)}


def test_expiry_run_twice_and_twice_at_once_changes_each_lead_once(services: Services, clock: Clock) -> None:
    partner = unique_partner()
    almost = timedelta(days=14) - timedelta(minutes=1)
    ids = [new_lead(services, partner, age=almost, requested_contact=i % 2 == 0) for i in range(6)]
    events = EventLog(services, partner)
    clock.advance(minutes=2)

    results = run_twice_at_once(lambda: sweeps.expire_leads(services))
    again = sweeps.expire_leads(services)

    changed = [lead_id for result in results for lead_id in result.changed if lead_id in ids]
    assert sorted(changed) == sorted(ids)
    assert not set(ids) & set(again.changed)
    for lead_id in ids:
        assert history_actions(services, partner, lead_id).count("LeadExpired") == 1
        assert stored(services, partner, lead_id).lead.status is Status.EXPIRED
        assert events.of(lead_id) == ["LeadCreated", "LeadExpired"]
    assert services.leads.pending_events(partner) == []


def accepted_and_deleted(
    services: Services, partner: str, *, age: timedelta, requested_contact: bool
) -> tuple[str, str]:
    """Two leads whose due rows stay behind: one accepted since, one deleted from storage."""
    accepted = new_lead(services, partner, age=age, requested_contact=requested_contact)
    deleted = new_lead(services, partner, age=age, requested_contact=requested_contact)
    leads.change_lead(
        services,
        principal(partner),
        accepted,
        lambda lead, now: lifecycle.accept(
            lead, AcceptBody.model_validate(accept_body()), actor="u", now=now
        ),
        if_match=None,
    )
    services.clients.table(LEADS_TABLE).delete_entity(partner, lead_row_key(deleted))
    return accepted, deleted


def test_expiry_tolerates_rows_whose_lead_moved_on(services: Services, clock: Clock) -> None:
    partner = unique_partner()
    almost = timedelta(days=14) - timedelta(minutes=1)
    accepted, deleted = accepted_and_deleted(services, partner, age=almost, requested_contact=False)
    events = EventLog(services, partner)
    clock.advance(minutes=2)

    result = sweeps.expire_leads(services)

    assert accepted not in result.changed and deleted not in result.changed
    assert stored(services, partner, accepted).lead.stage is Stage.ACCEPTED
    assert "LeadExpired" not in history_actions(services, partner, accepted)
    assert events.of(accepted) == ["LeadCreated", "LeadAccepted"]
    assert due_rows(services, partner) == set()


def test_an_expiry_row_for_a_received_lead_not_yet_due_is_kept(services: Services, clock: Clock) -> None:
    partner = unique_partner()
    lead_id = new_lead(services, partner, age=timedelta(days=3), requested_contact=False)
    # A row that claims the lead is due now, though it is not: the lead decides.
    services.clients.table(DUE_TABLE).upsert_entity(
        {
            "PartitionKey": bucket_of(clock.now),
            "RowKey": f"expire|{partner}|{lead_id}",
            "DueAt": clock.now - timedelta(minutes=1),
        },
        mode=UpdateMode.REPLACE,
    )
    result = sweeps.expire_leads(services)
    assert lead_id not in result.changed
    assert stored(services, partner, lead_id).lead.stage is Stage.RECEIVED


# -- overdue requests for contact ---------------------------------------------


def test_overdue_is_right_on_read_then_recorded_and_expiry_scheduled(
    services: Services, clock: Clock
) -> None:
    partner = unique_partner()
    lead_id = new_lead(
        services, partner, age=timedelta(hours=72) - timedelta(minutes=1), requested_contact=True
    )
    not_asked = new_lead(services, partner, age=timedelta(hours=80), requested_contact=False)
    # Validated now, as the pipeline would: the session's local host, which listens to the
    # contact-validation queue, may otherwise validate it after the sweep, behind the test's back.
    validation.validate_lead(services, json.dumps({"partnerId": partner, "leadId": lead_id}).encode())
    who = principal(partner)
    assert leads.get_lead(services, who, lead_id).body["urgency"] == Urgency.CONTACT_REQUESTED
    assert leads.get_lead(services, who, not_asked).body["urgency"] is None
    clock.advance(minutes=2)
    # Before any sweep: the read is already right.
    assert leads.get_lead(services, who, lead_id).body["urgency"] == Urgency.CONTACT_REQUESTED_OVERDUE
    reminded: list[str] = []

    result = sweeps.flag_overdue_contact_requests(
        services, remind=lambda _services, lead: reminded.append(lead.lead.id)
    )

    assert lead_id in result.changed and not_asked not in result.changed
    assert reminded.count(lead_id) == 1
    lead = stored(services, partner, lead_id).lead
    assert lead.overdue_recorded and lead.stage is Stage.RECEIVED
    entries = services.leads.history(partner, lead_id)
    assert [entry.action.value for entry in entries][-1] == "UrgencyOverdue"
    assert entries[-1].actor == "system"
    assert entries[-1].from_status is entries[-1].to_status is Status.RECEIVED
    assert leads.get_lead(services, who, lead_id).body["urgency"] == Urgency.CONTACT_REQUESTED_OVERDUE
    # The overdue row is done; the expiry row waits in the expiry's hour.
    assert due_rows(services, partner) == {("expire", lead_id), ("expire", not_asked)}
    assert lead.expiration_date_time is not None
    services.clients.table(DUE_TABLE).get_entity(
        bucket_of(lead.expiration_date_time), f"{DueKind.EXPIRE.value}|{partner}|{lead_id}"
    )
    # No event: the urgency is not something Microsoft is told.
    assert EventLog(services, partner).of(lead_id) == ["LeadCreated"]


def test_overdue_run_twice_at_once_records_once(services: Services, clock: Clock) -> None:
    partner = unique_partner()
    age = timedelta(hours=72) - timedelta(minutes=1)
    ids = [new_lead(services, partner, age=age, requested_contact=True) for _ in range(4)]
    clock.advance(minutes=2)

    results = run_twice_at_once(lambda: sweeps.flag_overdue_contact_requests(services))
    again = sweeps.flag_overdue_contact_requests(services)

    changed = [lead_id for result in results for lead_id in result.changed if lead_id in ids]
    assert sorted(changed) == sorted(ids)
    assert not set(ids) & set(again.changed)
    for lead_id in ids:
        assert history_actions(services, partner, lead_id).count("UrgencyOverdue") == 1
    assert due_rows(services, partner) == {("expire", lead_id) for lead_id in ids}


def test_overdue_tolerates_rows_whose_lead_moved_on(services: Services, clock: Clock) -> None:
    partner = unique_partner()
    age = timedelta(hours=72) - timedelta(minutes=1)
    accepted, deleted = accepted_and_deleted(services, partner, age=age, requested_contact=True)
    clock.advance(minutes=2)
    reminded: list[str] = []

    result = sweeps.flag_overdue_contact_requests(
        services, remind=lambda _s, lead: reminded.append(lead.lead.id)
    )

    assert accepted not in result.changed and deleted not in result.changed
    assert reminded == [] or not {accepted, deleted} & set(reminded)
    assert "UrgencyOverdue" not in history_actions(services, partner, accepted)
    assert due_rows(services, partner) == set()


def test_the_sweep_reads_only_due_rows(services: Services, clock: Clock) -> None:
    partner = unique_partner()
    for _ in range(15):
        new_lead(services, partner, age=timedelta(days=2), requested_contact=False)
    due = new_lead(services, partner, age=timedelta(days=14) - timedelta(minutes=1), requested_contact=False)
    clock.advance(minutes=2)
    result = sweeps.expire_leads(services)
    mine = [lead_id for lead_id in result.changed if lead_id == due]
    assert mine == [due]
    # The 15 stored leads that are not due are never read: their rows stay in later hours.
    assert len(due_rows(services, partner)) == 15


def test_dispatcher_sends_left_behind_events_once_they_are_old(services: Services, clock: Clock) -> None:
    partner = unique_partner()
    lead_id = new_lead(services, partner, age=timedelta(hours=1), requested_contact=False)
    current = stored(services, partner, lead_id)
    # A writer that stored its change and died before sending the event.
    change = lifecycle.decline(
        current.lead,
        lifecycle.DeclineBody.model_validate({"reason": "Spam"}),
        actor="u",
        now=clock.now,
    )
    services.leads.save(change, current)
    services.register_partner(partner)
    events = EventLog(services, partner)

    sweeps.dispatch_pending_events(services)
    assert events.of(lead_id) == ["LeadCreated"]
    assert len(services.leads.pending_events(partner, lead_id)) == 1

    clock.advance(minutes=3)
    sweeps.dispatch_pending_events(services)
    sweeps.dispatch_pending_events(services)
    assert events.of(lead_id) == ["LeadCreated", "LeadDeclined"]
    assert services.leads.pending_events(partner, lead_id) == []
