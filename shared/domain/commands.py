"""Request bodies of the lifecycle actions (contract §5), validated at the edge."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from shared.domain.enums import DeclineReason, Outcome

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# ISO 4217 codes in use; a typo such as "EUE" is refused rather than stored.
_ISO_4217 = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK
    NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD
    XOF XPF YER ZAR ZMW ZWL""".split()
)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{1,63}$")


def _currency(value: str) -> str:
    if not _CURRENCY.match(value) or value not in _ISO_4217:
        raise ValueError("must be an ISO 4217 currency code such as USD or EUR")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address")
    return value


def _number(value: Any) -> Any:
    # JSON numbers only: pydantic would also take "100" and parse it.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    # Through str, so 0.1 stays 0.1 rather than the nearest binary fraction.
    return Decimal(str(value)) if isinstance(value, float) else value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _not_null(value: Any) -> Any:
    # A deal always has these; null would not clear them, so it is refused rather than ignored.
    if value is None:
        raise ValueError("must not be null")
    return value


def _money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value < 0:
        raise ValueError("must be greater than or equal to 0")
    if value > Decimal("1e15"):
        raise ValueError("must be at most 10^15")
    return value


def _date_only(value: Any) -> Any:
    # Accept exactly YYYY-MM-DD; pydantic alone would also take timestamps.
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date in the form YYYY-MM-DD")
    return value


Currency = Annotated[StrictStr, AfterValidator(_currency)]
Money = Annotated[Decimal, Field(allow_inf_nan=True), BeforeValidator(_number), AfterValidator(_money)]
Notes = Annotated[StrictStr, Field(min_length=1, max_length=4000), AfterValidator(_not_blank)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]
EmailAddress = Annotated[StrictStr, Field(max_length=254), AfterValidator(_email)]
CalendarDate = Annotated[date, Field(json_schema_extra={"format": "date"})]


class Command(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True, defer_build=True
    )


class TeamMemberBody(Command):
    name: Name
    email: EmailAddress
    phone: StrictStr | None = Field(None, max_length=64)


class AcceptBody(Command):
    deal_name: Name
    estimated_value: Money
    currency: Currency = "USD"
    estimated_close_date: CalendarDate
    notes: Notes
    campaign_id: StrictStr | None = Field(None, max_length=200)
    crm_id: StrictStr | None = Field(None, max_length=200)
    team: list[TeamMemberBody] = Field(default_factory=list, max_length=50)

    _check_date = field_validator("estimated_close_date", mode="before")(_date_only)


class DeclineBody(Command):
    reason: DeclineReason
    notes: StrictStr | None = Field(None, max_length=4000)

    @model_validator(mode="after")
    def _other_needs_notes(self) -> DeclineBody:
        if self.reason is DeclineReason.OTHER and not (self.notes and self.notes.strip()):
            raise ValueError("notes: required when reason is Other")
        return self


class DealUpdateBody(Command):
    deal_name: Name | None = None
    estimated_value: Money | None = None
    currency: Currency | None = None
    estimated_close_date: CalendarDate | None = None
    notes: Notes | None = None
    # These two may be cleared with null.
    campaign_id: StrictStr | None = Field(None, max_length=200)
    crm_id: StrictStr | None = Field(None, max_length=200)

    _required_not_null = field_validator(
        "deal_name", "estimated_value", "currency", "estimated_close_date", "notes", mode="before"
    )(_not_null)
    _check_date = field_validator("estimated_close_date", mode="before")(_date_only)

    @model_validator(mode="after")
    def _not_empty(self) -> DealUpdateBody:
        if not self.model_fields_set:
            raise ValueError("body: give at least one deal field to change")
        return self


class CloseBody(Command):
    outcome: Outcome
    reason: DeclineReason | None = None
    notes: StrictStr | None = Field(None, max_length=4000)
    final_value: Money | None = None

    @model_validator(mode="after")
    def _reason_only_when_lost(self) -> CloseBody:
        if self.reason is not None and self.outcome is Outcome.WON:
            raise ValueError("reason: only allowed when outcome is Lost")
        return self
