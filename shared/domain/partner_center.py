"""Partner Center referrals as leads (contract §10): what a referral maps to, and the merge rule.

A referral maps to a lead through `intake_mapping.map_referral`, the same mapping as the
`referrals` queue, so a referral that arrived both ways is one lead (key `ref:<id>`). Its mapped
fields are kept flat (`referral_values`) as the lead's `partnerCenter.referralBase`: what
Partner Center last said.

**The merge rule** for a referral Partner Center changed (a new eTag), field by field: a field
whose new value differs from the base (Partner Center changed it) takes the new value; a field
Partner Center did not change keeps the lead's value, whatever the service or the partner made
of it here (a phone number normalised to E.164 by validation stays normalised). An expired lead
takes no contact details and no free text again: its contact was removed for good.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.enums import HistoryAction, Qualification, Status, SyncState
from shared.domain.intake_mapping import NewLead
from shared.domain.lead import Lead, PartnerCenterLink
from shared.domain.lifecycle import SYSTEM_ACTOR, Change, HistoryEntry

# Lead field -> Customer attribute, for the customer's mapped fields.
_CUSTOMER_FIELDS = {
    "customer.company": "company",
    "customer.firstName": "first_name",
    "customer.lastName": "last_name",
    "customer.email": "email",
    "customer.phone": "phone",
    "customer.title": "title",
    "customer.country": "country",
    "customer.size": "size",
}
CONTACT_FIELDS = frozenset(
    {"customer.firstName", "customer.lastName", "customer.email", "customer.phone", "customer.title"}
)
# A change to one of these makes the lead's contact validation stale.
VALIDATED_FIELDS = frozenset({"customer.email", "customer.phone", "customer.country"})
_REMOVED_AT_EXPIRY = CONTACT_FIELDS | {"customerNeed"}


def referral_key(referral_id: str) -> str:
    """The lead's idempotency key, as the `referrals` queue's intake gives it."""
    return f"ref:{referral_id}"


def _values(
    qualification: Qualification, customer: Any, customer_need: str | None, requested: bool
) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(customer, attr) for name, attr in _CUSTOMER_FIELDS.items()}
    values["qualification"] = qualification.value
    values["customerNeed"] = customer_need
    values["customerRequestedContact"] = requested
    return values


def referral_values(new_lead: NewLead) -> dict[str, Any]:
    """The mapped fields of a referral, flat, by the lead resource's names."""
    return _values(
        new_lead.qualification,
        new_lead.customer,
        new_lead.customer_need,
        new_lead.customer_requested_contact,
    )


def lead_values(lead: Lead) -> dict[str, Any]:
    return _values(lead.qualification, lead.customer, lead.customer_need, lead.customer_requested_contact)


def new_link(referral_id: str, etag: str | None, new_lead: NewLead, now: datetime) -> PartnerCenterLink:
    return PartnerCenterLink(
        referral_id=referral_id,
        sync_state=SyncState.SYNCED,
        synced_date_time=now,
        referral_etag=etag,
        referral_base=referral_values(new_lead),
    )


def _updates(lead: Lead, taken: dict[str, Any]) -> dict[str, Any]:
    customer_changes = {
        _CUSTOMER_FIELDS[name]: value for name, value in taken.items() if name in _CUSTOMER_FIELDS
    }
    updates: dict[str, Any] = {}
    if customer_changes:
        updates["customer"] = lead.customer.model_copy(update=customer_changes)
    if "qualification" in taken:
        updates["qualification"] = Qualification(taken["qualification"])
    if "customerNeed" in taken:
        updates["customer_need"] = taken["customerNeed"]
    if "customerRequestedContact" in taken:
        updates["customer_requested_contact"] = bool(taken["customerRequestedContact"])
    if VALIDATED_FIELDS & taken.keys():
        # Validated again by the contact-validation stage the sync queues.
        updates.update(
            validated_date_time=None, email_validity=None, phone_validity=None, quality=None, spam_flags=[]
        )
    return updates


def merge_referral(
    lead: Lead, referral_id: str, etag: str | None, new_lead: NewLead, *, now: datetime
) -> Change | None:
    """The change a new version of the lead's referral makes (the merge rule above), or None when
    Partner Center sent the version the lead already has (the same eTag) or changed none of the
    mapped fields since."""
    link = lead.partner_center
    if link is not None and etag is not None and link.referral_etag == etag:
        return None
    incoming = referral_values(new_lead)
    base = link.referral_base if link is not None else {}
    current = lead_values(lead)
    expired = lead.status is Status.EXPIRED
    taken: dict[str, Any] = {}
    for name, value in incoming.items():
        if expired and name in _REMOVED_AT_EXPIRY:
            continue
        changed_there = name not in base or base[name] != value
        if changed_there and current[name] != value:
            taken[name] = value
    if not taken and link is not None:
        # Nothing the lead shows changed (say, a field this service does not map): no history
        # entry; the write-back's If-Match meets the new eTag with a 412 and reads it then.
        return None
    moment = max(now, lead.updated_date_time)
    updated_link = PartnerCenterLink(
        referral_id=referral_id,
        sync_state=link.sync_state if link is not None else SyncState.SYNCED,
        sync_error=link.sync_error if link is not None else None,
        synced_date_time=moment,
        referral_etag=etag,
        referral_base=incoming,
    )
    sequence = lead.history_count
    after = lead.model_copy(
        update={
            **_updates(lead, taken),
            "partner_center": updated_link,
            "updated_date_time": moment,
            "history_count": sequence + 1,
        }
    )
    entry = HistoryEntry(
        sequence=sequence,
        at=moment,
        actor=SYSTEM_ACTOR,
        action=HistoryAction.PARTNER_CENTER_UPDATED,
        from_status=lead.status,
        to_status=after.status,
        details={
            "referralId": referral_id,
            "changes": {name: {"from": current[name], "to": value} for name, value in sorted(taken.items())},
        },
    )
    return Change(after, entry, None)


def needs_validation(change: Change) -> bool:
    """Whether a merged change made the lead's contact validation stale."""
    return change.lead.validated_date_time is None
