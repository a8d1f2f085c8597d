"""The write-back to Partner Center against the local stub and Azurite: the exact JSON sent for
every transition, 412 merge, 429 and outages, refusals, duplicate and out-of-order messages."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from shared.adapters.lead_repository import StoredLead
from shared.adapters.message_queues import MessageQueues
from shared.config import load_settings
from shared.domain import lifecycle
from shared.domain import partner_center_writeback as rules
from shared.domain.commands import AcceptBody, CloseBody, DealUpdateBody, DeclineBody, TeamMemberBody
from shared.domain.enums import HistoryAction, SyncState
from shared.domain.intake_mapping import map_referral
from shared.domain.lead import PartnerCenterLink
from shared.domain.lead_ids import new_lead_id
from shared.domain.queues import PARTNER_CENTER_WRITEBACK_QUEUE
from shared.services import lead_changes, sweeps
from shared.services import partner_center_writeback as writeback
from shared.services.container import Services
from tests.conftest import Clock
from tests.support.leads import unique_partner
from tests.support.partner_center_stub import PartnerCenterStub, RecordedRequest, make_referral

ACTOR = "user-7"
ACCEPT = AcceptBody.model_validate(
    {
        "dealName": "Azure migration",
        "estimatedValue": 25000,
        "currency": "EUR",
        "estimatedCloseDate": "2027-01-31",
        "notes": "Kick-off in January.",
        "team": [{"name": "Jane van Dijk", "email": "jane@contoso.example", "phone": "+31612345678"}],
    }
)
JANE = {
    "firstName": "Jane",
    "lastName": "van Dijk",
    "email": "jane@contoso.example",
    "phoneNumber": "+31612345678",
}


@pytest.fixture
def stub(partner_center: PartnerCenterStub) -> PartnerCenterStub:
    return partner_center


class RecordingQueues(MessageQueues):
    """The real queues, and a note of every write-back message sent through them.

    Tests read the note rather than the queue: the session's local host (started by other tests)
    also takes messages off the shared Azurite's queues.
    """

    def __init__(self, inner: MessageQueues) -> None:
        super().__init__(inner._clients)
        self.sent: list[tuple[dict[str, Any], int | None]] = []

    def send(self, queue: str, payload: dict[str, Any]) -> None:
        super().send(queue, payload)
        if queue == PARTNER_CENTER_WRITEBACK_QUEUE:
            self.sent.append((payload, None))

    def send_text(self, queue: str, text: str, *, visible_after: int | None = None) -> None:
        super().send_text(queue, text, visible_after=visible_after)
        if queue == PARTNER_CENTER_WRITEBACK_QUEUE:
            self.sent.append((json.loads(text), visible_after))


@pytest.fixture
def pc_services(app_env: dict[str, str], clock: Clock, stub: PartnerCenterStub) -> Services:
    """Services of a deployment connected to the stub, for a partner of its own."""
    services = Services.build(load_settings({**app_env, **stub.settings(unique_partner("pc"))}), clock=clock)
    services.queues = RecordingQueues(services.queues)
    return services


def queued(services: Services, lead_id: str) -> list[tuple[dict[str, Any], int | None]]:
    """The write-back messages sent for `lead_id` so far, with their delay (seconds), then forgotten."""
    assert isinstance(services.queues, RecordingQueues)
    found = [entry for entry in services.queues.sent if entry[0].get("leadId") == lead_id]
    services.queues.sent.clear()
    return found


def partner_of(services: Services) -> str:
    assert services.settings.partner_center is not None
    return services.settings.partner_center.partner_id


def pulled_lead(services: Services, stub: PartnerCenterStub) -> tuple[str, str]:
    """A referral in the stub and its lead, as the pull stores it: (referral id, lead id)."""
    referral = stub.add(make_referral(created=services.clock() - timedelta(hours=1)))
    new = map_referral({**referral, "partnerId": partner_of(services)})
    lead = new.to_lead(
        new_lead_id(new.created_date_time or services.clock()), now=services.clock(), expiry_days=14
    )
    link = PartnerCenterLink(referral_id=referral["id"], synced_date_time=services.clock())
    created = lifecycle.created(lead.model_copy(update={"partner_center": link}))
    services.leads.create(created, f"ref:{referral['id']}")
    return referral["id"], lead.id


def act(services: Services, lead_id: str, apply: Callable[[Any], lifecycle.Change]) -> None:
    """A person's change through the one change path, as the HTTP API makes it."""

    def decide(stored: StoredLead, now: Any) -> lifecycle.Change:
        return apply(stored.lead)

    assert lead_changes.change(services, partner_of(services), lead_id, decide) is not None


def message(services: Services, lead_id: str, attempt: int = 0) -> bytes:
    return json.dumps(writeback.write_back_message(partner_of(services), lead_id, attempt)).encode()


def patches(stub: PartnerCenterStub) -> list[RecordedRequest]:
    return stub.api_calls("PATCH")


def sync_state(services: Services, lead_id: str) -> Any:
    stored = services.leads.get(partner_of(services), lead_id)
    assert stored is not None and stored.lead.partner_center is not None
    return stored.lead.partner_center


def history_actions(services: Services, lead_id: str) -> list[HistoryAction]:
    return [entry.action for entry in services.leads.history(partner_of(services), lead_id)]


def accept(lead: Any) -> lifecycle.Change:
    return lifecycle.accept(lead, ACCEPT, actor=ACTOR, now=lead.updated_date_time)


def test_an_accept_is_stored_pending_and_written_back_with_exactly_this_json(
    pc_services: Services, stub: PartnerCenterStub
) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    assert sync_state(pc_services, lead_id).sync_state is SyncState.PENDING
    assert patches(stub) == []  # nothing reached Partner Center inside the change itself

    result = writeback.write_back(pc_services, message(pc_services, lead_id))

    assert (result.outcome, result.sent) == ("synced", True)
    (sent,) = patches(stub)
    assert sent.path == f"/v1.0/engagements/referrals/{referral_id}"
    assert sent.json == [
        {"op": "replace", "path": "/status", "value": "Active"},
        {"op": "replace", "path": "/substatus", "value": "Accepted"},
        {"op": "add", "path": "/details/dealValue", "value": 25000},
        {"op": "add", "path": "/details/currency", "value": "EUR"},
        {"op": "add", "path": "/details/closingDateTime", "value": "2027-01-31T00:00:00Z"},
        {"op": "add", "path": "/team/-", "value": JANE},
        {"op": "add", "path": "/externalReferenceId", "value": lead_id},
    ]
    stored = stub.referrals[referral_id]
    assert (stored["status"], stored["substatus"], stored["externalReferenceId"]) == (
        "Active",
        "Accepted",
        lead_id,
    )
    assert stored["details"]["notes"] == "Migrating 40 servers to Azure."  # the customer's words stay
    link = sync_state(pc_services, lead_id)
    assert (link.sync_state, link.sync_error) == (SyncState.SYNCED, None)
    # Stored to the millisecond.
    assert link.synced_date_time is not None
    assert abs(link.synced_date_time - pc_services.clock()) < timedelta(milliseconds=1)
    assert history_actions(pc_services, lead_id)[-1] is HistoryAction.PARTNER_CENTER_SYNCED
    assert pc_services.partner_center_writeback_rows.pending(partner_of(pc_services)) == []


def test_the_patch_carries_the_referrals_etag_as_if_match(
    pc_services: Services, stub: PartnerCenterStub
) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    etag_before = stub.referrals[referral_id]["eTag"]
    writeback.write_back(pc_services, message(pc_services, lead_id))
    (sent,) = patches(stub)
    assert sent.headers["if-match"] == etag_before
    assert stub.referrals[referral_id]["eTag"] != etag_before


# transition → (the change after accepting, or on the received lead; the JSON sent for it)
TRANSITIONS: dict[str, tuple[bool, Callable[[Any], lifecycle.Change], list[dict[str, Any]]]] = {
    "decline with reason": (
        False,
        lambda lead: lifecycle.decline(
            lead,
            DeclineBody.model_validate({"reason": "Other", "notes": "Not our market."}),
            actor=ACTOR,
            now=lead.updated_date_time,
        ),
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Declined"},
            {"op": "add", "path": "/statusReason", "value": "Other: Not our market."},
            {"op": "add", "path": "/externalReferenceId", "value": "<lead>"},
        ],
    ),
    "expiry": (
        False,
        lambda lead: lifecycle.expire(lead, now=lead.expiration_date_time),
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Expired"},
            {"op": "add", "path": "/externalReferenceId", "value": "<lead>"},
        ],
    ),
    "deal edit": (
        True,
        lambda lead: lifecycle.update_deal(
            lead,
            DealUpdateBody.model_validate({"estimatedValue": 30000.5, "currency": "USD"}),
            actor=ACTOR,
            now=lead.updated_date_time,
        ),
        [
            {"op": "replace", "path": "/details/dealValue", "value": 30000.5},
            {"op": "replace", "path": "/details/currency", "value": "USD"},
        ],
    ),
    "team member": (
        True,
        lambda lead: lifecycle.add_team_member(
            lead,
            TeamMemberBody.model_validate({"name": "Bo", "email": "bo@contoso.example"}),
            actor=ACTOR,
            now=lead.updated_date_time,
        ),
        [{"op": "add", "path": "/team/-", "value": {"firstName": "Bo", "email": "bo@contoso.example"}}],
    ),
    "won": (
        True,
        lambda lead: lifecycle.close(
            lead,
            CloseBody.model_validate({"outcome": "Won", "finalValue": 27500}),
            actor=ACTOR,
            now=lead.updated_date_time,
        ),
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Won"},
            {"op": "replace", "path": "/details/dealValue", "value": 27500},
        ],
    ),
    "lost": (
        True,
        lambda lead: lifecycle.close(
            lead,
            CloseBody.model_validate({"outcome": "Lost", "reason": "CustomerChoseAnotherVendor"}),
            actor=ACTOR,
            now=lead.updated_date_time,
        ),
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Lost"},
            {"op": "add", "path": "/statusReason", "value": "CustomerChoseAnotherVendor"},
        ],
    ),
}


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_every_transition_reaches_the_referral_as_exactly_this_json(
    name: str, pc_services: Services, stub: PartnerCenterStub
) -> None:
    after_accept, apply, expected = TRANSITIONS[name]
    referral_id, lead_id = pulled_lead(pc_services, stub)
    assert stub.referrals[referral_id]["status"] == "New"
    if after_accept:
        act(pc_services, lead_id, accept)
        writeback.write_back(pc_services, message(pc_services, lead_id))
    already = len(patches(stub))
    act(pc_services, lead_id, apply)
    assert writeback.write_back(pc_services, message(pc_services, lead_id)).outcome == "synced"
    (sent,) = patches(stub)[already:]
    assert sent.json == json.loads(json.dumps(expected).replace("<lead>", lead_id))
    assert sync_state(pc_services, lead_id).sync_state is SyncState.SYNCED


def test_a_duplicate_message_sends_nothing_twice(pc_services: Services, stub: PartnerCenterStub) -> None:
    _, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    first = writeback.write_back(pc_services, message(pc_services, lead_id))
    again = writeback.write_back(pc_services, message(pc_services, lead_id))
    assert (first.outcome, again.outcome) == ("synced", "up-to-date")
    assert len(patches(stub)) == 1
    assert history_actions(pc_services, lead_id).count(HistoryAction.PARTNER_CENTER_SYNCED) == 1


def test_a_crash_between_the_patch_and_the_record_sends_nothing_twice(
    pc_services: Services, stub: PartnerCenterStub
) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    # The referral already says it all (the PATCH landed), but the lead was never marked Synced.
    stored = pc_services.leads.get(partner_of(pc_services), lead_id)
    assert stored is not None
    sent = rules.plan(stored.lead, stub.referrals[referral_id])
    stub.update(referral_id, lambda referral: [_apply(referral, op) for op in sent.operations])
    result = writeback.write_back(pc_services, message(pc_services, lead_id))
    assert (result.outcome, result.sent) == ("synced", False)
    assert patches(stub) == []
    assert sync_state(pc_services, lead_id).sync_state is SyncState.SYNCED


def _apply(referral: dict[str, Any], operation: dict[str, Any]) -> None:
    *parents, name = operation["path"].lstrip("/").split("/")
    target: Any = referral
    for parent in parents:
        target = target.setdefault(parent, {})
    if name == "-":
        target.append(operation["value"])
    else:
        target[name] = operation["value"]


def test_messages_out_of_order_end_with_the_latest_state(
    pc_services: Services, stub: PartnerCenterStub
) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    act(pc_services, lead_id, TRANSITIONS["won"][1])
    # The accept's message arrives after Won was stored: it writes what the lead says now.
    writeback.write_back(pc_services, message(pc_services, lead_id))
    writeback.write_back(pc_services, message(pc_services, lead_id))
    assert len(patches(stub)) == 1
    assert (stub.referrals[referral_id]["status"], stub.referrals[referral_id]["substatus"]) == (
        "Closed",
        "Won",
    )
    assert stub.referrals[referral_id]["details"]["dealValue"] == 27500


def test_a_412_re_reads_the_referral_and_merges(pc_services: Services, stub: PartnerCenterStub) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    original_get = stub.handle_api
    raced = {"done": False}

    def racing_get(method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        answer = original_get(method, path, query, headers, body)
        if method == "GET" and not raced["done"]:
            raced["done"] = True
            # A Microsoft seller adds a team member and edits the deal value right after our read.
            stub.update(
                referral_id,
                lambda r: (
                    r["team"].append({"firstName": "Kim", "email": "kim@microsoft.example"}),
                    r["details"].update({"dealValue": 1}),
                ),
            )
        return answer

    stub.handle_api = racing_get  # type: ignore[method-assign]
    result = writeback.write_back(pc_services, message(pc_services, lead_id))
    assert result.outcome == "synced"
    first, second = patches(stub)
    assert first.headers["if-match"] != second.headers["if-match"]
    stored = stub.referrals[referral_id]
    assert [member["email"] for member in stored["team"]] == ["kim@microsoft.example", "jane@contoso.example"]
    assert stored["details"]["dealValue"] == 25000  # the partner's answer wins
    assert {"op": "add", "path": "/team/-", "value": JANE} in second.json
    assert sync_state(pc_services, lead_id).sync_state is SyncState.SYNCED


def test_throttling_waits_as_asked_and_then_resumes(
    pc_services: Services, stub: PartnerCenterStub, clock: Clock
) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    queued(pc_services, lead_id)  # the change's own message: the one being handled below
    stub.throttle(1, retry_after=7)
    result = writeback.write_back(pc_services, message(pc_services, lead_id))
    assert result.outcome == "retry"
    assert patches(stub) == []
    assert sync_state(pc_services, lead_id).sync_state is SyncState.PENDING
    assert queued(pc_services, lead_id) == [
        ({"partnerId": partner_of(pc_services), "leadId": lead_id, "attempt": 1}, 7)
    ]
    (row,) = pc_services.partner_center_writeback_rows.pending(partner_of(pc_services))
    assert row.retry_at is not None and row.retry_at >= clock() + timedelta(seconds=7)
    # The message comes back after the wait; the write-back then completes, once.
    assert writeback.write_back(pc_services, message(pc_services, lead_id, 1)).outcome == "synced"
    assert len(patches(stub)) == 1
    assert stub.referrals[referral_id]["status"] == "Active"


def test_an_outage_backs_off_and_nothing_is_lost(pc_services: Services, stub: PartnerCenterStub) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    queued(pc_services, lead_id)  # the change's own message: the one being handled below
    stub.fail(3, status=503)
    outcomes = [writeback.write_back(pc_services, message(pc_services, lead_id, n)).outcome for n in range(3)]
    assert outcomes == ["retry", "retry", "retry"]
    # Each failure puts the message back, hidden for a doubling wait: 10 s, 20 s, 40 s.
    partner = partner_of(pc_services)
    assert queued(pc_services, lead_id) == [
        ({"partnerId": partner, "leadId": lead_id, "attempt": 1}, 10),
        ({"partnerId": partner, "leadId": lead_id, "attempt": 2}, 20),
        ({"partnerId": partner, "leadId": lead_id, "attempt": 3}, 40),
    ]
    assert sync_state(pc_services, lead_id).sync_state is SyncState.PENDING
    assert writeback.backoff(30) == writeback.MAX_BACKOFF
    assert writeback.write_back(pc_services, message(pc_services, lead_id, 3)).outcome == "synced"
    assert len(patches(stub)) == 1
    assert stub.referrals[referral_id]["substatus"] == "Accepted"


def test_a_refusal_is_failed_with_the_reason_and_a_history_entry(
    pc_services: Services, stub: PartnerCenterStub
) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    del stub.referrals[referral_id]  # gone from Partner Center (404)
    result = writeback.write_back(pc_services, message(pc_services, lead_id))
    assert result.outcome == "failed"
    link = sync_state(pc_services, lead_id)
    assert link.sync_state is SyncState.FAILED
    assert link.sync_error == writeback.NOT_FOUND
    (entry,) = [
        e
        for e in pc_services.leads.history(partner_of(pc_services), lead_id)
        if e.action is HistoryAction.PARTNER_CENTER_SYNC_FAILED
    ]
    assert entry.details == {"referralId": referral_id, "error": writeback.NOT_FOUND}
    assert entry.actor == "system"
    assert pc_services.partner_center_writeback_rows.pending(partner_of(pc_services)) == []


def test_a_referral_closed_in_partner_center_is_a_failure_not_a_patch(
    pc_services: Services, stub: PartnerCenterStub
) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    stub.update(referral_id, lambda r: r.update({"status": "Closed", "substatus": "Expired"}))
    act(pc_services, lead_id, accept)
    assert writeback.write_back(pc_services, message(pc_services, lead_id)).outcome == "failed"
    assert patches(stub) == []
    assert "already Closed (Expired)" in (sync_state(pc_services, lead_id).sync_error or "")


def test_a_change_after_a_failure_tries_again(pc_services: Services, stub: PartnerCenterStub) -> None:
    referral_id, lead_id = pulled_lead(pc_services, stub)
    stub.fail(1, status=400)
    act(pc_services, lead_id, accept)
    assert writeback.write_back(pc_services, message(pc_services, lead_id)).outcome == "failed"
    act(pc_services, lead_id, TRANSITIONS["team member"][1])
    assert sync_state(pc_services, lead_id).sync_state is SyncState.PENDING
    assert writeback.write_back(pc_services, message(pc_services, lead_id)).outcome == "synced"
    assert stub.referrals[referral_id]["substatus"] == "Accepted"


def test_a_write_back_a_crash_left_unqueued_is_sent_again_by_the_dispatcher(
    pc_services: Services, stub: PartnerCenterStub, clock: Clock
) -> None:
    _, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    queued(pc_services, lead_id)  # suppose this message was lost (the process died before sending it)
    sweeps.dispatch_pending_events(pc_services)
    assert queued(pc_services, lead_id) == []  # too young: its own message may be on its way
    clock.advance(minutes=3)
    sweeps.dispatch_pending_events(pc_services)
    assert queued(pc_services, lead_id) == [({"partnerId": partner_of(pc_services), "leadId": lead_id}, None)]
    clock.advance(minutes=1)
    sweeps.dispatch_pending_events(pc_services)
    assert queued(pc_services, lead_id) == []  # sent once, not every run
    assert writeback.write_back(pc_services, message(pc_services, lead_id)).outcome == "synced"
    clock.advance(minutes=10)
    sweeps.dispatch_pending_events(pc_services)
    assert queued(pc_services, lead_id) == []  # synced: its pending row is gone


def test_the_change_queues_its_write_back(pc_services: Services, stub: PartnerCenterStub) -> None:
    _, lead_id = pulled_lead(pc_services, stub)
    assert queued(pc_services, lead_id) == []  # pulling a referral in writes nothing back
    act(pc_services, lead_id, accept)
    assert queued(pc_services, lead_id) == [({"partnerId": partner_of(pc_services), "leadId": lead_id}, None)]
    act(pc_services, lead_id, TRANSITIONS["won"][1])
    assert queued(pc_services, lead_id) == [({"partnerId": partner_of(pc_services), "leadId": lead_id}, None)]


def test_only_the_synced_partners_leads_are_written_back(
    pc_services: Services, stub: PartnerCenterStub, app_env: dict[str, str], clock: Clock
) -> None:
    _, lead_id = pulled_lead(pc_services, stub)
    act(pc_services, lead_id, accept)
    elsewhere = Services.build(
        load_settings({**app_env, **stub.settings(unique_partner("other"))}), clock=clock
    )
    assert writeback.write_back(elsewhere, message(pc_services, lead_id)).outcome == "other-partner"
    off = Services.build(load_settings(app_env), clock=clock)
    assert writeback.write_back(off, message(pc_services, lead_id)).outcome == "off"
    assert patches(stub) == []
    assert sync_state(pc_services, lead_id).sync_state is SyncState.PENDING


def test_a_bad_message_is_poisoned(pc_services: Services) -> None:
    from shared.domain.intake_mapping import UnprocessableLead

    with pytest.raises(UnprocessableLead):
        writeback.write_back(pc_services, b'{"partnerId": "x"}')
    with pytest.raises(UnprocessableLead):
        writeback.write_back(
            pc_services, b'{"partnerId": "x", "leadId": "9998234567890abcdefghjk", "attempt": "1"}'
        )
