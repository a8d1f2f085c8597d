"""The lead aggregate, and its resource form (contract §4).

Fields are snake_case in Python and camelCase on the wire. Storage keeps its own
versioned form of a lead and maps it to and from this model, so this one may change.
Derived values (urgency, favorite, eTag) are added when a lead is shown, because they
depend on the reader and on the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from pydantic.alias_generators import to_camel

from shared.domain.enums import (
    INFORMATIONAL_CALLS_TO_ACTION,
    CallToAction,
    EmailValidity,
    LeadSource,
    LeadType,
    PhoneValidity,
    Qualification,
    Quality,
    Stage,
    Status,
    SyncState,
    Urgency,
)


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in code."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True
    )


class Offer(WireModel):
    id: str | None = None
    title: str | None = None


class Customer(WireModel):
    company: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    country: str | None = None
    size: str | None = None

    def without_contact_details(self) -> Customer:
        return self.model_copy(
            update={"first_name": None, "last_name": None, "email": None, "phone": None, "title": None}
        )


class TeamMember(WireModel):
    name: str
    email: str
    phone: str | None = None


class Owner(WireModel):
    """The user of the partner who works the lead (contract §11)."""

    user_id: str
    name: str | None = None


class Deal(WireModel):
    name: str
    value: Decimal
    currency: str
    estimated_close_date: date
    notes: str
    campaign_id: str | None = None
    crm_id: str | None = None

    @field_serializer("value")
    def _value_as_number(self, value: Decimal) -> float | int:
        # JSON clients expect a number; integral values stay integers.
        return int(value) if value == value.to_integral_value() else float(value)


class PartnerCenterLink(WireModel):
    """A lead's referral in Partner Center (contract §4 `partnerCenter`, §10)."""

    referral_id: str
    sync_state: SyncState = SyncState.SYNCED
    sync_error: str | None = None
    synced_date_time: datetime | None = None
    # Not in the resource (PARTNER_CENTER_INTERNAL_FIELDS): the referral's eTag as last read or
    # written (the If-Match of the next write-back; an unchanged eTag on a pull means nothing to
    # do), and the mapped fields as Partner Center last sent them, the base of the merge rule
    # (`shared/domain/partner_center.py`).
    referral_etag: str | None = None
    referral_base: dict[str, Any] = Field(default_factory=dict)

    @field_serializer("synced_date_time")
    def _iso(self, moment: datetime | None) -> str | None:
        return utc_iso(moment)


PARTNER_CENTER_INTERNAL_FIELDS = ("referralEtag", "referralBase")


def utc_iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a `Z`, millisecond precision: the contract's date-time form."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# Bookkeeping the service keeps on a lead that is not part of the lead resource.
INTERNAL_FIELDS = frozenset({"arrived_date_time", "overdue_recorded", "history_count"})


class Lead(WireModel):
    id: str
    partner_id: str
    lead_type: LeadType
    qualification: Qualification
    lead_source: LeadSource | None = None
    call_to_action: CallToAction | None = None
    offer: Offer | None = None
    customer: Customer
    customer_need: str | None = None
    customer_requested_contact: bool = False
    stage: Stage
    status: Status | None
    status_reason: str | None = None
    status_notes: str | None = None
    created_date_time: datetime
    updated_date_time: datetime
    expiration_date_time: datetime | None = None
    accepted_date_time: datetime | None = None
    closed_date_time: datetime | None = None
    validated_date_time: datetime | None = None
    email_validity: EmailValidity | None = None
    phone_validity: PhoneValidity | None = None
    quality: Quality | None = None
    spam_flags: list[str] = Field(default_factory=list)
    deal: Deal | None = None
    team: list[TeamMember] = Field(default_factory=list)
    owner: Owner | None = None
    # Set on leads that came from Partner Center's Referrals API; None on every other lead.
    partner_center: PartnerCenterLink | None = None
    # When the service stored the lead (its day of arrival counts for the daily email limit).
    arrived_date_time: datetime | None = None
    # Set by the overdue sweep, so the `UrgencyOverdue` history entry is written once.
    overdue_recorded: bool = False
    # How many history entries exist; the next entry's sequence number.
    history_count: int = 0

    @field_serializer(
        "created_date_time",
        "updated_date_time",
        "expiration_date_time",
        "accepted_date_time",
        "closed_date_time",
        "validated_date_time",
        "arrived_date_time",
    )
    def _iso(self, moment: datetime | None) -> str | None:
        return utc_iso(moment)

    @property
    def is_informational(self) -> bool:
        return self.stage is Stage.INFORMATIONAL

    def urgency_at(self, now: datetime, urgency_hours: int) -> Urgency | None:
        """Right on every read, whether or not the overdue sweep has run yet."""
        if not self.customer_requested_contact or self.stage is not Stage.RECEIVED:
            return None
        if now - self.created_date_time < timedelta(hours=urgency_hours):
            return Urgency.CONTACT_REQUESTED
        return Urgency.CONTACT_REQUESTED_OVERDUE

    def to_resource(self, *, now: datetime, urgency_hours: int, favorite: bool, etag: str) -> dict[str, Any]:
        """The contract's lead resource (§4) as JSON-ready data."""
        body = self.model_dump(mode="json", by_alias=True, exclude=set(INTERNAL_FIELDS))
        if body["partnerCenter"] is not None:
            for name in PARTNER_CENTER_INTERNAL_FIELDS:
                body["partnerCenter"].pop(name)
        body["urgency"] = self.urgency_at(now, urgency_hours)
        body["favorite"] = favorite
        body["eTag"] = etag
        return body


def is_lifecycle(lead_type: LeadType, call_to_action: CallToAction | None) -> bool:
    """Profile leads and ContactMe offer leads have a lifecycle; the rest are informational."""
    return lead_type is LeadType.PROFILE or call_to_action not in INFORMATIONAL_CALLS_TO_ACTION
