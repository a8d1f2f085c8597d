"""The write-back of a Partner Center lead: the exact JSON Patch for every transition, and the merge rule."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.domain import lifecycle
from shared.domain import partner_center_writeback as writeback
from shared.domain.commands import AcceptBody, CloseBody, DealUpdateBody, DeclineBody, TeamMemberBody
from shared.domain.enums import HistoryAction, LeadType, Qualification, Stage, Status, SyncState
from shared.domain.lead import Customer, Lead, PartnerCenterLink

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
LEAD_ID = "9998234567890abcdefghjk"
ACTOR = "user-42"

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


def received_lead() -> Lead:
    return Lead(
        id=LEAD_ID,
        partner_id="contoso",
        lead_type=LeadType.PROFILE,
        qualification=Qualification.SALES_QUALIFIED,
        customer=Customer(company="Northwind Traders", first_name="Jonas", email="jonas@northwind.de"),
        customer_need="Migrating 40 servers to Azure.",
        stage=Stage.RECEIVED,
        status=Status.RECEIVED,
        created_date_time=T0,
        updated_date_time=T0,
        expiration_date_time=T0 + timedelta(days=14),
        history_count=2,
    )


def accepted_lead() -> Lead:
    return lifecycle.accept(received_lead(), ACCEPT, actor=ACTOR, now=LATER).lead


def new_referral() -> dict[str, Any]:
    """A referral as Partner Center lists it before the partner answered."""
    return {
        "id": "ref-0001",
        "eTag": "W/1",
        "status": "New",
        "substatus": "Received",
        "qualification": "SalesQualified",
        "customerProfile": {
            "name": "Northwind Traders",
            "team": [{"firstName": "Jonas", "email": "jonas@northwind.de"}],
        },
        "details": {"notes": "Migrating 40 servers to Azure.", "customerRequestedContact": True},
        "team": [],
    }


def synced_referral(lead: Lead) -> dict[str, Any]:
    """The referral once it says everything `lead` says."""
    referral = new_referral()
    for operation in writeback.plan(lead, referral).operations:
        apply_operation(referral, operation)
    return referral


def apply_operation(document: dict[str, Any], operation: dict[str, Any]) -> None:
    """RFC 6902 add/replace on an object member or an array's end: all the write-back sends."""
    *parents, name = operation["path"].lstrip("/").split("/")
    target: Any = document
    for parent in parents:
        target = target[parent]
    if name == "-":
        target.append(operation["value"])
        return
    if operation["op"] == "replace":
        assert name in target, f"replace of a missing member {operation['path']}"
    target[name] = operation["value"]


JANE = {
    "firstName": "Jane",
    "lastName": "van Dijk",
    "email": "jane@contoso.example",
    "phoneNumber": "+31612345678",
}
EXTERNAL_ID = {"op": "add", "path": "/externalReferenceId", "value": LEAD_ID}

# transition name → (the lead after it, the referral before the write-back, the exact patch sent)
CASES: dict[str, tuple[Any, Any, list[dict[str, Any]]]] = {
    "accept": (
        accepted_lead,
        new_referral,
        [
            {"op": "replace", "path": "/status", "value": "Active"},
            {"op": "replace", "path": "/substatus", "value": "Accepted"},
            {"op": "add", "path": "/details/dealValue", "value": 25000},
            {"op": "add", "path": "/details/currency", "value": "EUR"},
            {"op": "add", "path": "/details/closingDateTime", "value": "2027-01-31T00:00:00Z"},
            {"op": "add", "path": "/team/-", "value": JANE},
            EXTERNAL_ID,
        ],
    ),
    "decline with reason": (
        lambda: (
            lifecycle.decline(
                received_lead(),
                DeclineBody.model_validate({"reason": "Other", "notes": "Not our market."}),
                actor=ACTOR,
                now=LATER,
            ).lead
        ),
        new_referral,
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Declined"},
            {"op": "add", "path": "/statusReason", "value": "Other: Not our market."},
            EXTERNAL_ID,
        ],
    ),
    "decline without notes": (
        lambda: (
            lifecycle.decline(
                received_lead(),
                DeclineBody.model_validate({"reason": "CustomerDidNotRespond"}),
                actor=ACTOR,
                now=LATER,
            ).lead
        ),
        new_referral,
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Declined"},
            {"op": "add", "path": "/statusReason", "value": "CustomerDidNotRespond"},
            EXTERNAL_ID,
        ],
    ),
    "deal edit": (
        lambda: (
            lifecycle.update_deal(
                accepted_lead(),
                DealUpdateBody.model_validate(
                    {"estimatedValue": 30000.5, "estimatedCloseDate": "2027-02-28"}
                ),
                actor=ACTOR,
                now=LATER,
            ).lead
        ),
        lambda: synced_referral(accepted_lead()),
        [
            {"op": "replace", "path": "/details/dealValue", "value": 30000.5},
            {"op": "replace", "path": "/details/closingDateTime", "value": "2027-02-28T00:00:00Z"},
        ],
    ),
    "deal edit of a field Partner Center does not keep": (
        lambda: (
            lifecycle.update_deal(
                accepted_lead(),
                DealUpdateBody.model_validate({"campaignId": "cmp-7"}),
                actor=ACTOR,
                now=LATER,
            ).lead
        ),
        lambda: synced_referral(accepted_lead()),
        [],
    ),
    "team member": (
        lambda: (
            lifecycle.add_team_member(
                accepted_lead(),
                TeamMemberBody.model_validate({"name": "Bo", "email": "bo@contoso.example"}),
                actor=ACTOR,
                now=LATER,
            ).lead
        ),
        lambda: synced_referral(accepted_lead()),
        [{"op": "add", "path": "/team/-", "value": {"firstName": "Bo", "email": "bo@contoso.example"}}],
    ),
    "won with a final value": (
        lambda: (
            lifecycle.close(
                accepted_lead(),
                CloseBody.model_validate(
                    {"outcome": "Won", "finalValue": 27500, "notes": "Signed for 3 years."}
                ),
                actor=ACTOR,
                now=LATER,
            ).lead
        ),
        lambda: synced_referral(accepted_lead()),
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Won"},
            {"op": "add", "path": "/statusReason", "value": "Signed for 3 years."},
            {"op": "replace", "path": "/details/dealValue", "value": 27500},
        ],
    ),
    "lost with a reason": (
        lambda: (
            lifecycle.close(
                accepted_lead(),
                CloseBody.model_validate({"outcome": "Lost", "reason": "CustomerChoseAnotherVendor"}),
                actor=ACTOR,
                now=LATER,
            ).lead
        ),
        lambda: synced_referral(accepted_lead()),
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Lost"},
            {"op": "add", "path": "/statusReason", "value": "CustomerChoseAnotherVendor"},
        ],
    ),
    "expiry": (
        lambda: lifecycle.expire(received_lead(), now=T0 + timedelta(days=15)).lead,
        new_referral,
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Expired"},
            EXTERNAL_ID,
        ],
    ),
    "accept then won before the first write-back (state-based: straight to Won)": (
        lambda: (
            lifecycle.close(
                accepted_lead(), CloseBody.model_validate({"outcome": "Won"}), actor=ACTOR, now=LATER
            ).lead
        ),
        new_referral,
        [
            {"op": "replace", "path": "/status", "value": "Closed"},
            {"op": "replace", "path": "/substatus", "value": "Won"},
            {"op": "add", "path": "/details/dealValue", "value": 25000},
            {"op": "add", "path": "/details/currency", "value": "EUR"},
            {"op": "add", "path": "/details/closingDateTime", "value": "2027-01-31T00:00:00Z"},
            {"op": "add", "path": "/team/-", "value": JANE},
            EXTERNAL_ID,
        ],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_transition_sends_exactly_this_patch(name: str) -> None:
    make_lead, make_referral, expected = CASES[name]
    lead, referral = make_lead(), make_referral()
    result = writeback.plan(lead, referral)
    assert result.conflict is None
    assert json.loads(json.dumps(result.operations)) == expected


@pytest.mark.parametrize("name", list(CASES))
def test_once_applied_the_same_lead_sends_nothing(name: str) -> None:
    """A duplicate message (or the retry after a crash between send and record) sends nothing."""
    make_lead, make_referral, _ = CASES[name]
    lead, referral = make_lead(), make_referral()
    for operation in writeback.plan(lead, referral).operations:
        apply_operation(referral, operation)
    assert writeback.plan(lead, referral) == writeback.WriteBackPlan([])


def test_only_paths_the_api_definition_lists_are_sent() -> None:
    allowed = {
        "/details/closingDateTime",
        "/details/currency",
        "/details/dealValue",
        "/externalReferenceId",
        "/status",
        "/substatus",
        "/statusReason",
        "/team/-",
    }
    # Microsoft's API definition, as the local stub checks requests against it.
    definition = Path(__file__).parents[1] / "support" / "partner_center" / "apiDefinition.swagger.json"
    schema = json.loads(definition.read_text(encoding="utf-8"))["definitions"]
    update = schema["Microsoft.Partner.Service.PartnerReferrals.Contracts.V3.UpdateReferralDetails"]
    assert allowed <= set(update["items"]["properties"]["path"]["enum"])
    assert set(update["items"]["properties"]["op"]["enum"]) == {"add", "replace"}
    for make_lead, make_referral, _ in CASES.values():
        for operation in writeback.plan(make_lead(), make_referral()).operations:
            assert operation["path"] in allowed
            assert operation["op"] in ("add", "replace")


# -- the merge rule, on the referral a 412 made us read again ------------------------------------


def test_a_team_member_added_in_partner_center_stays_and_ours_is_added_once() -> None:
    lead = accepted_lead()
    referral = new_referral()
    referral["team"] = [
        {"firstName": "Kim", "lastName": "Microsoft", "email": "kim@microsoft.example"},
        {"firstName": "JANE", "email": "Jane@Contoso.Example"},  # ours, typed there in other case
    ]
    operations = writeback.plan(lead, referral).operations
    assert [op for op in operations if op["path"].startswith("/team")] == []
    assert all(op["op"] in ("add", "replace") for op in operations)


def test_fields_partner_center_owns_are_never_sent() -> None:
    lead = accepted_lead()
    referral = synced_referral(lead)
    changed = copy.deepcopy(referral)
    changed["customerProfile"]["name"] = "Northwind Traders GmbH"
    changed["details"]["customerRequestedContact"] = False
    changed["details"]["requirements"] = {"solutions": [{"id": "x"}]}
    changed["consent"] = {"consentToContact": False}
    assert writeback.plan(lead, changed).operations == []


def test_our_deal_fields_win_over_a_concurrent_edit_in_partner_center() -> None:
    lead = accepted_lead()
    referral = synced_referral(lead)
    referral["details"]["dealValue"] = 99
    referral["details"]["currency"] = "usd"
    assert writeback.plan(lead, referral).operations == [
        {"op": "replace", "path": "/details/dealValue", "value": 25000},
        {"op": "replace", "path": "/details/currency", "value": "EUR"},
    ]


def test_the_customers_words_in_details_notes_are_never_overwritten() -> None:
    lead = lifecycle.update_deal(
        accepted_lead(), DealUpdateBody.model_validate({"notes": "Our notes."}), actor=ACTOR, now=LATER
    ).lead
    referral = synced_referral(accepted_lead())
    assert referral["details"]["notes"] == "Migrating 40 servers to Azure."
    assert writeback.plan(lead, referral).operations == []


def test_partner_centers_own_date_and_number_forms_count_as_equal() -> None:
    lead = accepted_lead()
    referral = synced_referral(lead)
    referral["details"]["closingDateTime"] = "2027-01-31T00:00:00.0000000Z"
    referral["details"]["dealValue"] = 25000.0
    assert writeback.plan(lead, referral).operations == []


def test_a_referral_closed_in_partner_center_is_not_reopened() -> None:
    referral = new_referral() | {"status": "Closed", "substatus": "Expired"}
    result = writeback.plan(accepted_lead(), referral)
    assert result.operations == []
    assert result.conflict == (
        "The referral is already Closed (Expired) in Partner Center, so it cannot become Active (Accepted)."
    )


def test_a_closed_referral_takes_another_closed_substatus() -> None:
    declined = lifecycle.decline(
        received_lead(), DeclineBody.model_validate({"reason": "Spam"}), actor=ACTOR, now=LATER
    ).lead
    referral = new_referral() | {"status": "Closed", "substatus": "Expired"}
    assert writeback.plan(declined, referral).operations == [
        {"op": "replace", "path": "/substatus", "value": "Declined"},
        {"op": "add", "path": "/statusReason", "value": "Spam"},
        EXTERNAL_ID,
    ]


def test_an_active_referral_is_never_moved_back_to_new() -> None:
    referral = new_referral() | {"status": "Active", "substatus": "Accepted"}
    assert writeback.plan(received_lead(), referral).operations == [EXTERNAL_ID]


def test_the_transitions_written_back_are_the_contracts() -> None:
    assert {
        HistoryAction.LEAD_ACCEPTED,
        HistoryAction.LEAD_DECLINED,
        HistoryAction.DEAL_UPDATED,
        HistoryAction.TEAM_MEMBER_ADDED,
        HistoryAction.LEAD_WON,
        HistoryAction.LEAD_LOST,
        HistoryAction.LEAD_EXPIRED,
    } == writeback.WRITE_BACK_ACTIONS
    assert not writeback.is_write_back(HistoryAction.CONTACT_VALIDATED)
    assert not writeback.is_write_back(HistoryAction.URGENCY_OVERDUE)


# -- the lead's side: Pending, then Synced or Failed ---------------------------------------------


def partner_center_lead(lead: Lead, state: SyncState = SyncState.SYNCED) -> Lead:
    return lead.model_copy(
        update={"partner_center": PartnerCenterLink(referral_id="ref-0001", sync_state=state)}
    )


# Every change the contract writes back, on a Partner Center lead in the stage it applies to.
ANSWERS: dict[str, tuple[Any, Any]] = {
    "accept": (received_lead, lambda lead: lifecycle.accept(lead, ACCEPT, actor=ACTOR, now=LATER)),
    "decline": (
        received_lead,
        lambda lead: lifecycle.decline(
            lead, DeclineBody.model_validate({"reason": "Spam"}), actor=ACTOR, now=LATER
        ),
    ),
    "deal edit": (
        accepted_lead,
        lambda lead: lifecycle.update_deal(
            lead, DealUpdateBody.model_validate({"notes": "New."}), actor=ACTOR, now=LATER
        ),
    ),
    "team member": (
        accepted_lead,
        lambda lead: lifecycle.add_team_member(
            lead,
            TeamMemberBody.model_validate({"name": "Bo", "email": "bo@x.example"}),
            actor=ACTOR,
            now=LATER,
        ),
    ),
    "won": (
        accepted_lead,
        lambda lead: lifecycle.close(
            lead, CloseBody.model_validate({"outcome": "Won"}), actor=ACTOR, now=LATER
        ),
    ),
    "lost": (
        accepted_lead,
        lambda lead: lifecycle.close(
            lead, CloseBody.model_validate({"outcome": "Lost"}), actor=ACTOR, now=LATER
        ),
    ),
    "expiry": (received_lead, lambda lead: lifecycle.expire(lead, now=T0 + timedelta(days=15))),
}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_every_written_back_change_is_stored_pending_with_its_row(name: str) -> None:
    make_lead, apply = ANSWERS[name]
    marked = writeback.mark_pending(apply(partner_center_lead(make_lead(), SyncState.FAILED)))
    assert writeback.needs_write_back(marked)
    assert marked.lead.partner_center is not None
    assert marked.lead.partner_center.sync_state is SyncState.PENDING
    assert marked.lead.partner_center.sync_error is None
    rows = list(writeback.PendingWriteBackRows().index_rows(marked.lead))
    assert [row.row_key for row in rows] == [f"pcw|{LEAD_ID}"]


def test_a_lead_from_elsewhere_is_never_written_back() -> None:
    change = lifecycle.accept(received_lead(), ACCEPT, actor=ACTOR, now=LATER)
    assert writeback.mark_pending(change) is change
    assert not writeback.needs_write_back(change)
    assert list(writeback.PendingWriteBackRows().index_rows(change.lead)) == []


def test_changes_that_are_not_answers_leave_the_sync_state_alone() -> None:
    lead = partner_center_lead(received_lead(), SyncState.FAILED)
    change = lifecycle.record_overdue(lead, now=LATER)
    assert writeback.mark_pending(change) is change
    assert not writeback.needs_write_back(change)


def test_synced_is_recorded_only_for_what_the_lead_still_says() -> None:
    lead = partner_center_lead(accepted_lead(), SyncState.PENDING)
    sent = writeback.target_of(lead)
    operations = writeback.plan(lead, new_referral()).operations
    change = writeback.record_synced(lead, sent, operations, now=LATER + timedelta(minutes=1))
    assert change is not None
    assert change.lead.partner_center == PartnerCenterLink(
        referral_id="ref-0001", sync_state=SyncState.SYNCED, synced_date_time=LATER + timedelta(minutes=1)
    )
    assert change.history.action is HistoryAction.PARTNER_CENTER_SYNCED
    assert change.history.actor == "system"
    assert change.event is None
    assert change.history.details["referralId"] == "ref-0001"
    assert list(writeback.PendingWriteBackRows().index_rows(change.lead)) == []
    # The deal changed after this write-back read the lead: a newer one is on its way.
    edited = lifecycle.update_deal(
        lead, DealUpdateBody.model_validate({"estimatedValue": 1}), actor=ACTOR, now=LATER
    ).lead
    assert writeback.record_synced(edited, sent, operations, now=LATER) is None
    assert writeback.record_synced(partner_center_lead(accepted_lead()), sent, operations, now=LATER) is None


def test_failed_keeps_partner_centers_reason() -> None:
    lead = partner_center_lead(accepted_lead(), SyncState.PENDING)
    change = writeback.record_failed(
        lead, writeback.target_of(lead), "Deal value must be positive.", now=LATER
    )
    assert change is not None
    assert change.lead.partner_center is not None
    assert change.lead.partner_center.sync_state is SyncState.FAILED
    assert change.lead.partner_center.sync_error == "Deal value must be positive."
    assert change.history.action is HistoryAction.PARTNER_CENTER_SYNC_FAILED
    assert change.history.details == {"referralId": "ref-0001", "error": "Deal value must be positive."}
    long = writeback.record_failed(lead, writeback.target_of(lead), "x" * 2000, now=LATER)
    assert long is not None and long.lead.partner_center is not None
    assert len(long.lead.partner_center.sync_error or "") == writeback.MAX_SYNC_ERROR_LENGTH
