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
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from shared.domain.enums import DeclineReason, Outcome
from shared.domain.errors import DetailCode, refusal

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
# What str.isspace() calls whitespace, spelled out: a JSON Schema pattern's `\s` (ECMA 262) means
# another set, so the OpenAPI document states these rules with this class instead.
WHITESPACE_CLASS = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK_PATTERN = rf"[^{WHITESPACE_CLASS}]"
_EMAIL = re.compile(
    rf"^[^@{WHITESPACE_CLASS}]{{1,64}}@[^@{WHITESPACE_CLASS}]{{1,253}}\.[^@{WHITESPACE_CLASS}.]{{1,63}}$"
)
MAX_MONEY = Decimal("1e15")


def _currency(value: str) -> str:
    if not _CURRENCY.match(value) or value not in _ISO_4217:
        raise refusal(DetailCode.INVALID, "must be an ISO 4217 currency code such as USD or EUR")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise refusal(DetailCode.INVALID_FORMAT, "must be an email address")
    return value


def _number(value: Any) -> Any:
    # JSON numbers only: pydantic would also take "100" and parse it.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise refusal(DetailCode.WRONG_TYPE, "must be a number")
    # Through str, so 0.1 stays 0.1 rather than the nearest binary fraction.
    return Decimal(str(value)) if isinstance(value, float) else value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise refusal(DetailCode.REQUIRED, "must not be blank")
    return value


def _not_null(value: Any) -> Any:
    # A deal always has these; null would not clear them, so it is refused rather than ignored.
    if value is None:
        raise refusal(DetailCode.REQUIRED, "must not be null")
    return value


def _schema_without_null(schema: dict[str, Any]) -> None:
    """The JSON schema of an optional field that may be left out but never sent as null."""
    (sent,) = [branch for branch in schema.pop("anyOf") if branch != {"type": "null"}]
    schema.pop("default", None)
    schema.update(sent)


def _money(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise refusal(DetailCode.OUT_OF_RANGE, "must be a finite number")
    if value < 0:
        raise refusal(DetailCode.OUT_OF_RANGE, "must be greater than or equal to 0")
    if value > MAX_MONEY:
        raise refusal(DetailCode.OUT_OF_RANGE, "must be at most 10^15")
    return value


def _date_only(value: Any) -> Any:
    # Accept exactly YYYY-MM-DD; pydantic alone would also take timestamps.
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise refusal(DetailCode.INVALID_FORMAT, "must be a date in the form YYYY-MM-DD")
    return value


Currency = Annotated[
    StrictStr, AfterValidator(_currency), Field(json_schema_extra={"enum": sorted(_ISO_4217)})
]
Money = Annotated[
    Decimal,
    Field(allow_inf_nan=True),
    BeforeValidator(_number),
    AfterValidator(_money),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_MONEY)}),
]
Notes = Annotated[
    StrictStr,
    Field(min_length=1, max_length=4000, json_schema_extra={"pattern": NOT_BLANK_PATTERN}),
    AfterValidator(_not_blank),
]
Name = Annotated[
    StrictStr,
    Field(min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK_PATTERN}),
    AfterValidator(_not_blank),
]
EmailAddress = Annotated[
    StrictStr, Field(max_length=254, json_schema_extra={"pattern": _EMAIL.pattern}), AfterValidator(_email)
]
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
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"reason": {"const": DeclineReason.OTHER.value}}},
            "then": {
                "properties": {"notes": {"type": "string", "pattern": NOT_BLANK_PATTERN}},
                "required": ["notes"],
            },
        }
    )

    reason: DeclineReason
    notes: StrictStr | None = Field(None, max_length=4000)

    @model_validator(mode="after")
    def _other_needs_notes(self) -> DeclineBody:
        if self.reason is DeclineReason.OTHER and not (self.notes and self.notes.strip()):
            raise refusal(DetailCode.REQUIRED, "notes: required when reason is Other")
        return self


class DealUpdateBody(Command):
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    # None stands for "not sent": null itself is refused, so the schema does not offer it.
    deal_name: Name | None = Field(None, json_schema_extra=_schema_without_null)
    estimated_value: Money | None = Field(None, json_schema_extra=_schema_without_null)
    currency: Currency | None = Field(None, json_schema_extra=_schema_without_null)
    estimated_close_date: CalendarDate | None = Field(None, json_schema_extra=_schema_without_null)
    notes: Notes | None = Field(None, json_schema_extra=_schema_without_null)
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
            raise refusal(DetailCode.REQUIRED, "body: give at least one deal field to change")
        return self


class CloseBody(Command):
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"outcome": {"const": Outcome.WON.value}}},
            "then": {"properties": {"reason": {"type": "null"}}},
        }
    )

    outcome: Outcome
    reason: DeclineReason | None = None
    notes: StrictStr | None = Field(None, max_length=4000)
    final_value: Money | None = None

    @model_validator(mode="after")
    def _reason_only_when_lost(self) -> CloseBody:
        if self.reason is not None and self.outcome is Outcome.WON:
            raise refusal(DetailCode.NOT_ALLOWED, "reason: only allowed when outcome is Lost")
        return self


# A user id as App Service Authentication gives it (an object id, or a sign-in name).
UserId = Annotated[
    StrictStr,
    Field(min_length=1, max_length=128, json_schema_extra={"pattern": NOT_BLANK_PATTERN}),
    AfterValidator(_not_blank),
]


class OwnerBody(Command):
    """`PUT /api/leads/{id}/owner`: `{"userId", "name"}`, or `{"userId": null}` to unassign."""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"userId": {"type": "null"}}},
            "then": {"properties": {"name": {"type": "null"}}},
        }
    )

    user_id: UserId | None
    name: Name | None = None

    @model_validator(mode="after")
    def _name_only_with_user(self) -> OwnerBody:
        if self.user_id is None and self.name is not None:
            raise ValueError("name: only allowed with a userId")
        return self
