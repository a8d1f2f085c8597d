"""The stored form of a lead, versioned apart from the API's `Lead` model.

A lead row holds the lead as JSON in the shape of one version of the stored format, and the
version in its `FormatVersion` column. The API model may gain, rename or drop fields; the
stored shape changes only with a new version, read alongside the old ones, so every lead
already stored still reads.

Version 1 is the JSON leads were stored as before the format had a version: a row without a
`FormatVersion` column is version 1. Version 2 adds the lead's `owner` and `partnerCenter` (the
lead's referral in Partner Center), so code that knows only version 1 refuses such a row rather
than dropping them on its next save.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from pydantic.alias_generators import to_camel

from shared.domain.lead import Lead, utc_iso

FORMAT_VERSION_COLUMN = "FormatVersion"
CURRENT_FORMAT_VERSION = 2


class UnknownLeadFormat(ValueError):
    """A lead row written in a format version this code does not know (written by a newer one)."""


class _StoredV1(BaseModel):
    # Unknown keys are ignored, as they always were, so a field dropped later costs nothing.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class StoredOfferV1(_StoredV1):
    id: str | None = None
    title: str | None = None


class StoredCustomerV1(_StoredV1):
    company: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    country: str | None = None
    size: str | None = None


class StoredTeamMemberV1(_StoredV1):
    name: str
    email: str
    phone: str | None = None


class StoredOwnerV1(_StoredV1):
    user_id: str
    name: str | None = None


class StoredDealV1(_StoredV1):
    name: str
    value: Decimal
    currency: str
    estimated_close_date: date
    notes: str
    campaign_id: str | None = None
    crm_id: str | None = None

    @field_serializer("value")
    def _value_as_number(self, value: Decimal) -> float | int:
        return int(value) if value == value.to_integral_value() else float(value)


class StoredPartnerCenterV2(_StoredV1):
    referral_id: str
    sync_state: str = "Synced"
    sync_error: str | None = None
    synced_date_time: datetime | None = None
    referral_etag: str | None = None
    referral_base: dict[str, Any] = Field(default_factory=dict)

    @field_serializer("synced_date_time")
    def _iso(self, moment: datetime | None) -> str | None:
        return utc_iso(moment)


class StoredLeadV1(_StoredV1):
    """Version 1: every lead field in camelCase, enums by value, times as ISO 8601 UTC with a `Z`."""

    id: str
    partner_id: str
    lead_type: str
    qualification: str
    lead_source: str | None = None
    call_to_action: str | None = None
    offer: StoredOfferV1 | None = None
    customer: StoredCustomerV1
    customer_need: str | None = None
    customer_requested_contact: bool = False
    stage: str
    status: str | None
    status_reason: str | None = None
    status_notes: str | None = None
    created_date_time: datetime
    updated_date_time: datetime
    expiration_date_time: datetime | None = None
    accepted_date_time: datetime | None = None
    closed_date_time: datetime | None = None
    validated_date_time: datetime | None = None
    email_validity: str | None = None
    phone_validity: str | None = None
    quality: str | None = None
    spam_flags: list[str] = Field(default_factory=list)
    deal: StoredDealV1 | None = None
    team: list[StoredTeamMemberV1] = Field(default_factory=list)
    arrived_date_time: datetime | None = None
    overdue_recorded: bool = False
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

    @classmethod
    def from_lead(cls, lead: Lead) -> StoredLeadV1:
        # Version 1 names every field as `Lead` does today; a field `Lead` renames or adds is
        # mapped here (or goes into a new version), never silently into the stored JSON.
        return cls.model_validate(_field_values(lead))

    def to_lead(self) -> Lead:
        return Lead.model_validate(_field_values(self))


class StoredLeadV2(StoredLeadV1):
    """Version 2: version 1, the lead's `owner` and its `partnerCenter` link (a version 1 lead
    reads with neither)."""

    owner: StoredOwnerV1 | None = None
    partner_center: StoredPartnerCenterV2 | None = None

    @classmethod
    def from_lead(cls, lead: Lead) -> StoredLeadV2:
        return cls.model_validate(_field_values(lead))


def _field_values(lead: Lead | StoredLeadV1) -> dict[str, Any]:
    """A lead's fields by name, its nested models as dicts of theirs: what the other side validates.

    One validation from plain values costs far less than building each nested model on its own,
    and this runs for every lead read or written, so the five nested fields are named rather
    than found. `__dict__` holds exactly the declared fields (extra keys are ignored, not kept).
    """
    fields = dict(lead.__dict__)
    fields["offer"] = None if lead.offer is None else lead.offer.__dict__
    fields["customer"] = lead.customer.__dict__
    fields["deal"] = None if lead.deal is None else lead.deal.__dict__
    fields["team"] = [member.__dict__ for member in lead.team]
    owner = getattr(lead, "owner", None)  # version 1 has none
    fields["owner"] = None if owner is None else owner.__dict__
    link = getattr(lead, "partner_center", None)  # version 1 has none
    fields["partner_center"] = None if link is None else link.__dict__
    return fields


def lead_to_json(lead: Lead) -> tuple[int, str]:
    """The lead in the current stored format: (its version, its JSON)."""
    return CURRENT_FORMAT_VERSION, StoredLeadV2.from_lead(lead).model_dump_json(by_alias=True)


def lead_from_json(data: str, version: int | None) -> Lead:
    """A lead from its stored JSON; `version` None is a row written before formats had one (1)."""
    if version is None or version == 1:
        return StoredLeadV1.model_validate_json(data).to_lead()
    if version == 2:
        return StoredLeadV2.model_validate_json(data).to_lead()
    raise UnknownLeadFormat(f"lead stored in format version {version}; this code reads versions 1 and 2")
