"""Map the two inbound formats to a new lead (contract §3a and §3b).

Anything that can never become a lead raises `UnprocessableLead` with a reason;
the intake stage moves such a message to the poison queue at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.domain.countries import to_alpha2
from shared.domain.enums import CallToAction, LeadSource, LeadType, Qualification, Stage, Status
from shared.domain.errors import DetailCode, detail_code
from shared.domain.lead import Customer, Lead, Offer, PartnerCenterLink, is_lifecycle
from shared.domain.strict_json import JsonRefused, loads_strict


class UnprocessableLead(Exception):
    """A message that can never succeed: not retried, moved to poison.

    `field` names the part of the body at fault ("body" for the whole), so the HTTP
    intake can answer 400 naming it.
    """

    def __init__(self, reason: str, field: str = "body", code: DetailCode = DetailCode.INVALID) -> None:
        super().__init__(reason)
        self.field = field
        self.code = code  # the 400's detail code


# The window a lead's creation time must fall in. Lead ids encode it as an inverted
# millisecond count (`lead_ids`), which cannot express a time before 1970 or after
# 2286; narrower still, no marketplace or Partner Center lead predates 2000, and a
# sender's clock may run ahead of ours by minutes, not days. Anything outside is a
# sender's error, not a lead to keep: an absurd date would sort the lead first or
# last for ever and give it an expiry that never (or at once) comes.
EARLIEST_CREATED = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW_ALLOWANCE = timedelta(days=1)


_SOURCES = {
    "azuremarketplace": LeadSource.AZURE_MARKETPLACE,
    "azureportal": LeadSource.AZURE_PORTAL,
    "appsource": LeadSource.APPSOURCE,
    "spza": LeadSource.APPSOURCE,
}

_ACTION_CODES = {
    "plt": CallToAction.CONTACT_ME,
    "starttestdrive": CallToAction.TEST_DRIVE,
    "testdrive": CallToAction.TEST_DRIVE,
    "freetrial": CallToAction.FREE_TRIAL,
    "ins": CallToAction.DOWNLOAD_NOW,
    "create": CallToAction.DOWNLOAD_NOW,
    "dnc": CallToAction.DOWNLOAD_NOW,
}

# Table Storage forbids / \ # ? and control characters in keys; partner ids are
# short identifiers (names or GUIDs), so anything else is unroutable.
_PARTNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")

_TEXT_LIMIT = 4000


@dataclass(frozen=True)
class NewLead:
    """What intake knows about a lead before it has an id."""

    idempotency_key: str
    partner_id: str
    lead_type: LeadType
    qualification: Qualification
    lead_source: LeadSource | None
    call_to_action: CallToAction | None
    offer: Offer | None
    customer: Customer
    customer_need: str | None
    customer_requested_contact: bool
    created_date_time: datetime | None
    # The inbound field the creation time came from, to name it when it is refused.
    created_field: str = "createdDateTime"
    # Set when the lead comes from Partner Center's Referrals API (the pull or a webhook).
    partner_center: PartnerCenterLink | None = None

    def check_created(self, now: datetime) -> None:
        """Refuse a creation time outside [EARLIEST_CREATED, now + CLOCK_SKEW_ALLOWANCE]."""
        created = self.created_date_time
        if created is None:
            return
        if created < EARLIEST_CREATED:
            raise UnprocessableLead(
                f"field {self.created_field}: {created.isoformat()} is before {EARLIEST_CREATED.date()}",
                self.created_field,
                DetailCode.OUT_OF_RANGE,
            )
        if created > now + CLOCK_SKEW_ALLOWANCE:
            raise UnprocessableLead(
                f"field {self.created_field}: {created.isoformat()} is in the future",
                self.created_field,
                DetailCode.OUT_OF_RANGE,
            )

    def to_lead(self, lead_id: str, *, now: datetime, expiry_days: int) -> Lead:
        created = self.created_date_time or now
        lifecycle = is_lifecycle(self.lead_type, self.call_to_action)
        return Lead(
            id=lead_id,
            partner_id=self.partner_id,
            lead_type=self.lead_type,
            qualification=self.qualification,
            lead_source=self.lead_source,
            call_to_action=self.call_to_action,
            offer=self.offer,
            customer=self.customer,
            customer_need=self.customer_need,
            customer_requested_contact=self.customer_requested_contact and lifecycle,
            stage=Stage.RECEIVED if lifecycle else Stage.INFORMATIONAL,
            status=Status.RECEIVED if lifecycle else None,
            created_date_time=created,
            updated_date_time=now,
            arrived_date_time=now,
            expiration_date_time=created + timedelta(days=expiry_days) if lifecycle else None,
            partner_center=self.partner_center,
        )


class _Inbound(BaseModel):
    # Schemas are built on first use, not at import: keeps the app's cold start short.
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class _UserDetails(_Inbound):
    FirstName: str | None = Field(None, max_length=_TEXT_LIMIT)
    LastName: str | None = Field(None, max_length=_TEXT_LIMIT)
    Email: str | None = Field(None, max_length=_TEXT_LIMIT)
    Phone: str | None = Field(None, max_length=_TEXT_LIMIT)
    Country: str | None = Field(None, max_length=_TEXT_LIMIT)
    Company: str | None = Field(None, max_length=_TEXT_LIMIT)
    Title: str | None = Field(None, max_length=_TEXT_LIMIT)


class _MarketplaceLead(_Inbound):
    LeadId: str | None = Field(None, max_length=1000)
    PartnerId: str | None = None
    CreatedTime: datetime | None = None
    UserDetails: _UserDetails | None = None
    LeadSource: str | None = Field(None, max_length=1000)
    ActionCode: str | None = Field(None, max_length=100)
    CallToAction: str | None = Field(None, max_length=100)
    OfferTitle: str | None = Field(None, max_length=_TEXT_LIMIT)
    Description: str | None = Field(None, max_length=32_000)
    CustomerRequestedContact: bool | None = None


class _Address(_Inbound):
    country: str | None = Field(None, max_length=_TEXT_LIMIT)
    city: str | None = Field(None, max_length=_TEXT_LIMIT)


class _Contact(_Inbound):
    firstName: str | None = Field(None, max_length=_TEXT_LIMIT)
    lastName: str | None = Field(None, max_length=_TEXT_LIMIT)
    email: str | None = Field(None, max_length=_TEXT_LIMIT)
    phoneNumber: str | None = Field(None, max_length=_TEXT_LIMIT)
    title: str | None = Field(None, max_length=_TEXT_LIMIT)


class _CustomerProfile(_Inbound):
    name: str | None = Field(None, max_length=_TEXT_LIMIT)
    size: str | None = Field(None, max_length=200)
    address: _Address | None = None
    team: list[_Contact] = Field(default_factory=list)


class _Details(_Inbound):
    notes: str | None = Field(None, max_length=32_000)
    customerRequestedContact: bool | None = None


class _Referral(_Inbound):
    partnerId: str | None = None
    id: str | None = Field(None, max_length=1000)
    qualification: str | None = None
    createdDateTime: datetime | None = None
    customerProfile: _CustomerProfile | None = None
    details: _Details | None = None


def parse_json_object(raw: bytes | str) -> dict[str, Any]:
    try:
        body = loads_strict(raw)
    except RecursionError:
        raise UnprocessableLead("not JSON: nested too deeply") from None
    except JsonRefused as error:
        raise UnprocessableLead(f"not strict JSON: {error}", error.field) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise UnprocessableLead(f"not JSON: {error}") from None
    if not isinstance(body, dict):
        raise UnprocessableLead("not a JSON object")
    return body


def _validated(model: type[_Inbound], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UnprocessableLead(
            f"field {where}: {first['msg']}", where or "body", detail_code(first["type"])
        ) from None


def _utc(moment: datetime | None, field: str) -> datetime | None:
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00 is past datetime's last year in UTC
        raise UnprocessableLead(f"field {field}: date out of range", field, DetailCode.OUT_OF_RANGE) from None


def _idempotency_key(kind: str, explicit: str | None, body: dict[str, Any]) -> str:
    if explicit:
        key = explicit
    else:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        key = hashlib.sha256(canonical.encode()).hexdigest()
    if not _SAFE_KEY.fullmatch(key):
        key = "sha256-" + hashlib.sha256(key.encode()).hexdigest()
    return f"{kind}:{key}"


def is_valid_partner_id(partner_id: str) -> bool:
    return bool(_PARTNER_ID.fullmatch(partner_id))


def _partner(partner_id: str | None, field: str) -> str:
    if not partner_id:
        raise UnprocessableLead("unroutable: no partner id", field, DetailCode.REQUIRED)
    if not _PARTNER_ID.fullmatch(partner_id):
        raise UnprocessableLead("unroutable: partner id has characters that are not allowed", field)
    return partner_id


def _call_to_action(explicit: str | None, action_code: str | None) -> CallToAction:
    if explicit:
        for value in CallToAction:
            if value.value.casefold() == explicit.casefold():
                return value
        raise UnprocessableLead(f"unknown CallToAction {explicit[:50]!r}", "CallToAction")
    if not action_code:
        raise UnprocessableLead(
            "no ActionCode, CallToAction or action in LeadSource", "ActionCode", DetailCode.REQUIRED
        )
    try:
        return _ACTION_CODES[action_code.casefold()]
    except KeyError:
        raise UnprocessableLead(f"unknown ActionCode {action_code[:50]!r}", "ActionCode") from None


def map_marketplace_lead(body: dict[str, Any]) -> NewLead:
    """A commercial-marketplace offer lead (§3a)."""
    lead = _validated(_MarketplaceLead, body)
    details: _UserDetails | None = lead.UserDetails
    if details is None:
        raise UnprocessableLead("missing customer: no UserDetails", "UserDetails", DetailCode.REQUIRED)
    if not details.Company:
        raise UnprocessableLead(
            "missing company: no UserDetails.Company", "UserDetails.Company", DetailCode.REQUIRED
        )
    source_part, _, offer_part = (lead.LeadSource or "").partition("|")
    source_name, _, source_action = source_part.partition("-")
    publisher_id, _, offer_id = offer_part.partition(".")
    call_to_action = _call_to_action(lead.CallToAction, lead.ActionCode or source_action or None)
    requested = call_to_action is CallToAction.CONTACT_ME and lead.CustomerRequestedContact is not False
    return NewLead(
        idempotency_key=_idempotency_key("mkt", lead.LeadId, body),
        partner_id=_partner(lead.PartnerId or publisher_id or None, "PartnerId"),
        lead_type=LeadType.OFFER,
        qualification=Qualification.DIRECT,
        lead_source=_SOURCES.get(source_name.strip().casefold()),
        call_to_action=call_to_action,
        offer=Offer(id=offer_id or None, title=lead.OfferTitle),
        customer=Customer(
            company=details.Company,
            first_name=details.FirstName,
            last_name=details.LastName,
            email=details.Email,
            phone=details.Phone,
            title=details.Title,
            country=to_alpha2(details.Country),
        ),
        customer_need=lead.Description,
        customer_requested_contact=requested,
        created_date_time=_utc(lead.CreatedTime, "CreatedTime"),
        created_field="CreatedTime",
    )


def map_referral(body: dict[str, Any]) -> NewLead:
    """A Partner Center referral: a profile lead or a qualified lead (§3b)."""
    referral = _validated(_Referral, body)
    qualification = next(
        (
            q
            for q in Qualification
            if referral.qualification and q.value.casefold() == referral.qualification.casefold()
        ),
        None,
    )
    if qualification is None:
        raise UnprocessableLead(
            f"unknown qualification {str(referral.qualification)[:50]!r}", "qualification"
        )
    profile: _CustomerProfile | None = referral.customerProfile
    if profile is None:
        raise UnprocessableLead(
            "missing customer: no customerProfile", "customerProfile", DetailCode.REQUIRED
        )
    if not profile.name:
        raise UnprocessableLead(
            "missing company: no customerProfile.name", "customerProfile.name", DetailCode.REQUIRED
        )
    contact = profile.team[0] if profile.team else _Contact()
    details = referral.details or _Details()
    return NewLead(
        idempotency_key=_idempotency_key("ref", referral.id, body),
        partner_id=_partner(referral.partnerId, "partnerId"),
        lead_type=LeadType.PROFILE,
        qualification=qualification,
        lead_source=None,
        call_to_action=None,
        offer=None,
        customer=Customer(
            company=profile.name,
            first_name=contact.firstName,
            last_name=contact.lastName,
            email=contact.email,
            phone=contact.phoneNumber,
            title=contact.title,
            country=to_alpha2(profile.address.country if profile.address else None),
            size=profile.size,
        ),
        customer_need=details.notes,
        customer_requested_contact=bool(details.customerRequestedContact),
        created_date_time=_utc(referral.createdDateTime, "createdDateTime"),
        created_field="createdDateTime",
    )
