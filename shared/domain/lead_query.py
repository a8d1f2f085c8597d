"""The list's tab and filters (contract §5), shared by the list and the export.

The parameters are one pydantic model (`LeadFilters`, and `LeadListParameters` for the list's
page size and continuation), so their JSON schema is derived, not restated. `parse_lead_query`
turns query parameters into a `LeadQuery` or a list of field errors. A `LeadQuery` knows both
how to narrow a Table Storage query (the indexed columns it can filter on) and how to test a lead
in process, so the list and the export always agree.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    WithJsonSchema,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from shared.domain.commands import NOT_BLANK_PATTERN
from shared.domain.countries import alpha2_codes, is_alpha2
from shared.domain.enums import (
    CallToAction,
    EmailValidity,
    LeadSource,
    LeadType,
    PhoneValidity,
    Qualification,
    Quality,
    Stage,
    Status,
    Tab,
)
from shared.domain.errors import FieldError
from shared.domain.lead import Lead
from shared.domain.lead_ids import is_lead_id

DEFAULT_TOP = 50
MAX_TOP = 500
MAX_CUSTOMER_NAME = 200
MAX_TOKEN_LENGTH = 200
# A custom string format for the API's description: the only valid values are tokens the service
# issued in an earlier page.
CONTINUATION_TOKEN_FORMAT = "continuation-token"  # noqa: S105 (a format name, not a secret)

# The `owner` filter's two words: the caller, and leads without an owner.
OWNER_ME = "me"
OWNER_NONE = "none"
MAX_USER_ID = 128

TAB_QUALIFICATIONS = {
    Tab.MARKETPLACE: frozenset({Qualification.DIRECT}),
    Tab.QUALIFIED: frozenset({Qualification.MARKETING_QUALIFIED, Qualification.SALES_QUALIFIED}),
    Tab.FAVORITES: frozenset(Qualification),
}


@dataclass(frozen=True)
class LeadQuery:
    # None: every lead of the partner, whatever its qualification (the action center).
    tab: Tab | None = Tab.MARKETPLACE
    # column -> allowed stored values (already canonical); empty means no filter.
    columns: Mapping[str, frozenset[str]] = field(default_factory=dict)
    customer_name: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # A user id, OWNER_NONE, or OWNER_ME until `for_caller` names the caller; None: any owner.
    owner: str | None = None

    def for_caller(self, user_id: str) -> LeadQuery:
        """The query with `owner=me` read as the caller's user id."""
        return replace(self, owner=user_id) if self.owner == OWNER_ME else self

    @property
    def qualifications(self) -> frozenset[Qualification]:
        return TAB_QUALIFICATIONS[self.tab] if self.tab is not None else frozenset(Qualification)

    def column_filters(self) -> dict[str, frozenset[str]]:
        """Every exact-match filter on an indexed column, the tab's qualification included."""
        filters = dict(self.columns)
        if self.tab in (Tab.MARKETPLACE, Tab.QUALIFIED):
            filters["Qualification"] = frozenset(q.value for q in self.qualifications)
        if self.owner not in (None, OWNER_ME, OWNER_NONE):
            filters["Owner"] = frozenset({self.owner})
        return filters

    def storage_filters(self, comparisons: int) -> dict[str, frozenset[str]]:
        """The column filters to hand to Table Storage within `comparisons` comparisons.

        Azure refuses a `$filter` of more than 15 comparisons, and each value of a filter is one
        (`Country eq 'NL' or Country eq 'DE' ...`), so a list with 12 countries and 2 statuses
        cannot go to storage whole. The filters with the fewest values go first (one value is
        usually the most selective and costs least); the rest are left to `matches`, which tests
        every filter in process, so the result is the same, only read from a larger superset.
        """
        chosen: dict[str, frozenset[str]] = {}
        left = comparisons
        for column, values in sorted(self.column_filters().items(), key=lambda item: (len(item[1]), item[0])):
            if len(values) <= left:
                chosen[column] = values
                left -= len(values)
        return chosen

    def matches(self, lead: Lead, columns: Mapping[str, str | None]) -> bool:
        """In-process test: the column filters on the lead's indexed values, plus what storage can't do."""
        for column, allowed in self.column_filters().items():
            if columns.get(column) not in allowed:
                return False
        if self.customer_name and self.customer_name not in lead.customer.company.casefold():
            return False
        # No owner cannot be asked of storage (a lead without one has no `Owner` column).
        if self.owner == OWNER_NONE and columns.get("Owner") is not None:
            return False
        if self.created_from and lead.created_date_time < self.created_from:
            return False
        return not (self.created_to and lead.created_date_time >= self.created_to)


def _parse_moment(raw: str) -> datetime:
    text = raw.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _values(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _refuse(message: str) -> PydanticCustomError:
    # The message as the client reads it, without pydantic's "Value error, " prefix.
    return PydanticCustomError("query_parameter", message)


def _text(raw: object) -> str:
    if not isinstance(raw, str):
        raise _refuse("must be text")
    return raw


def _tab(raw: object) -> Tab:
    try:
        return Tab(_text(raw).strip().lower())
    except ValueError:
        raise _refuse("must be one of marketplace, qualified, favorites") from None


@dataclass(frozen=True)
class OneOrMore:
    """A comma-separated, case-insensitive list of an enum's values, kept as their canonical text."""

    enum: type[StrEnum]

    @property
    def allowed(self) -> str:
        return ", ".join(member.value for member in self.enum)

    def parse(self, raw: object) -> frozenset[str]:
        by_fold = {member.value.casefold(): member.value for member in self.enum}
        values = _values(_text(raw))
        if not values or any(value.casefold() not in by_fold for value in values):
            raise _refuse(f"must be one or more of {self.allowed}")
        return frozenset(by_fold[value.casefold()] for value in values)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self.parse, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Sent comma-separated (the API description's `style: form, explode: false`).
        return {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": [member.value for member in self.enum]},
            "description": "Any of these values, comma-separated, case-insensitive",
        }


def _countries(raw: object) -> frozenset[str]:
    countries = _values(_text(raw))
    if not countries or not all(len(code) == 2 and is_alpha2(code) for code in countries):
        raise _refuse("must be ISO 3166-1 alpha-2 codes such as NL or DE")
    return frozenset(code.upper() for code in countries)


def _customer_name(raw: object) -> str | None:
    text = _text(raw)
    if len(text) > MAX_CUSTOMER_NAME:
        raise _refuse(f"must be at most {MAX_CUSTOMER_NAME} characters")
    return text.strip().casefold() or None


def _owner(raw: object) -> str:
    text = _text(raw).strip()
    if not text or len(text) > MAX_USER_ID:
        raise _refuse(f"must be a user id (1 to {MAX_USER_ID} characters), {OWNER_ME} or {OWNER_NONE}")
    return OWNER_ME if text.casefold() == OWNER_ME else OWNER_NONE if text.casefold() == OWNER_NONE else text


def _moment(raw: object) -> datetime:
    try:
        return _parse_moment(_text(raw))
    except (ValueError, OverflowError):  # 9999-12-31T23:00-05:00 is past the last UTC year
        raise _refuse("must be an ISO 8601 date (YYYY-MM-DD) or date-time") from None


def _top(raw: object) -> int:
    top, errors = parse_top(_text(raw))
    if errors:
        raise _refuse(errors[0].message)
    return top


def _continuation(raw: object) -> str | None:
    after, errors = decode_continuation(_text(raw))
    if errors:
        raise _refuse(errors[0].message)
    return after


def _described(description: str, **schema: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "description": description, **schema})


def _moment_schema(meaning: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
            "description": f"{meaning}; a date (00:00 UTC) or a date-time with an offset",
        }
    )


# The canonical values a filter allows; None when the parameter is absent.
Values = frozenset[str] | None


class LeadFilters(BaseModel):
    """The query parameters of the list, the export and the count: the tab and the filters.

    Field aliases are the parameter names; `model_json_schema(by_alias=True)` describes each
    parameter (one property per parameter, all optional) for the OpenAPI document.
    """

    model_config = ConfigDict(
        frozen=True, extra="ignore", validate_by_alias=True, validate_by_name=False, defer_build=True
    )

    tab: Annotated[
        Tab,
        BeforeValidator(_tab),
        WithJsonSchema(
            {"type": "string", "enum": [tab.value for tab in Tab], "description": "Case-insensitive"}
        ),
    ] = Tab.MARKETPLACE
    call_to_action: Annotated[Values, OneOrMore(CallToAction)] = Field(None, alias="callToAction")
    lead_source: Annotated[Values, OneOrMore(LeadSource)] = Field(None, alias="leadSource")
    lead_type: Annotated[Values, OneOrMore(LeadType)] = Field(None, alias="leadType")
    quality: Annotated[Values, OneOrMore(Quality)] = None
    stage: Annotated[Values, OneOrMore(Stage)] = None
    status: Annotated[Values, OneOrMore(Status)] = None
    email_validity: Annotated[Values, OneOrMore(EmailValidity)] = Field(None, alias="emailValidity")
    phone_validity: Annotated[Values, OneOrMore(PhoneValidity)] = Field(None, alias="phoneValidity")
    country: Annotated[
        frozenset[str] | None,
        BeforeValidator(_countries),
        WithJsonSchema(
            {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "pattern": "^[A-Za-z]{2}$", "enum": sorted(alpha2_codes())},
                "description": "ISO 3166-1 alpha-2 codes, comma-separated, case-insensitive",
            }
        ),
    ] = None
    customer_name: Annotated[
        str | None,
        BeforeValidator(_customer_name),
        _described("Case-insensitive substring of `customer.company`", maxLength=MAX_CUSTOMER_NAME),
    ] = Field(None, alias="customerName")
    created_from: Annotated[datetime | None, BeforeValidator(_moment), _moment_schema("Inclusive")] = Field(
        None, alias="createdFrom"
    )
    created_to: Annotated[datetime | None, BeforeValidator(_moment), _moment_schema("Exclusive")] = Field(
        None, alias="createdTo"
    )

    owner: Annotated[
        str | None,
        BeforeValidator(_owner),
        _described(
            f"A user id, `{OWNER_ME}` (the caller) or `{OWNER_NONE}` (leads without an owner)",
            minLength=1,
            maxLength=MAX_USER_ID,
            pattern=NOT_BLANK_PATTERN,
        ),
    ] = None

    def to_query(self) -> LeadQuery:
        columns = {
            column: values
            for name, column in _FILTER_COLUMNS.items()
            if (values := getattr(self, name)) is not None
        }
        return LeadQuery(
            tab=self.tab,
            columns=columns,
            customer_name=self.customer_name,
            created_from=self.created_from,
            created_to=self.created_to,
            owner=self.owner,
        )


class LeadListParameters(LeadFilters):
    """The list's parameters: the filters, the page size and where to continue."""

    top: Annotated[
        int,
        BeforeValidator(_top),
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_TOP, "default": DEFAULT_TOP}),
    ] = DEFAULT_TOP
    continuation_token: Annotated[
        str | None,
        BeforeValidator(_continuation),
        _described(
            "The previous page's `continuationToken`, as issued; any other value answers 400",
            format=CONTINUATION_TOKEN_FORMAT,
            maxLength=MAX_TOKEN_LENGTH,
        ),
    ] = Field(None, alias="continuationToken")


def _enum_filter(field: FieldInfo) -> OneOrMore | None:
    return next((item for item in field.metadata if isinstance(item, OneOrMore)), None)


def _column(parameter: str) -> str:
    """The indexed column a filter reads: the parameter's name, capitalised (`leadType` -> `LeadType`)."""
    return parameter[0].upper() + parameter[1:]


def _parameter(name: str, field: FieldInfo) -> str:
    return field.alias or name


# Query parameter -> (enum, indexed column, lead attribute). Each is an exact-match
# filter that Table Storage evaluates on the stored column of the same value.
ENUM_FILTERS: dict[str, tuple[type[StrEnum], str, str]] = {
    _parameter(name, field): (enum_filter.enum, _column(_parameter(name, field)), name)
    for name, field in LeadFilters.model_fields.items()
    if (enum_filter := _enum_filter(field)) is not None
}
# Model field -> the indexed column its values are matched against.
_FILTER_COLUMNS = {
    **{attribute: column for _enum, column, attribute in ENUM_FILTERS.values()},
    "country": "Country",
}
QUERY_PARAMETERS = tuple(_parameter(name, field) for name, field in LeadListParameters.model_fields.items())


def _field_errors(error: ValidationError) -> list[FieldError]:
    return [FieldError(str(item["loc"][0]), item["msg"]) for item in error.errors(include_url=False)]


def parse_lead_query(params: Mapping[str, str]) -> tuple[LeadQuery, list[FieldError]]:
    """The tab and filters; with errors (one per bad parameter) the query is the default one."""
    try:
        return LeadFilters.model_validate(dict(params)).to_query(), []
    except ValidationError as error:
        return LeadQuery(), _field_errors(error)


@dataclass(frozen=True)
class ListRequest:
    query: LeadQuery
    top: int
    after: str | None


def parse_list_request(params: Mapping[str, str]) -> tuple[ListRequest, list[FieldError]]:
    """The list's filters, page size and continuation; with errors the request is the default one."""
    try:
        parameters = LeadListParameters.model_validate(dict(params))
    except ValidationError as error:
        return ListRequest(LeadQuery(), DEFAULT_TOP, None), _field_errors(error)
    return ListRequest(parameters.to_query(), parameters.top, parameters.continuation_token), []


def parse_top(raw: str | None) -> tuple[int, list[FieldError]]:
    if raw is None:
        return DEFAULT_TOP, []
    if not re.fullmatch(r"\s*\d{1,4}\s*", raw) or not 1 <= int(raw) <= MAX_TOP:
        return DEFAULT_TOP, [FieldError("top", f"must be a whole number from 1 to {MAX_TOP}")]
    return int(raw), []


def encode_continuation(last_lead_id: str) -> str:
    raw = json.dumps({"v": 1, "after": last_lead_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continuation(token: str | None) -> tuple[str | None, list[FieldError]]:
    """The lead id to continue after. A token this service did not issue is refused."""
    if token is None:
        return None, []
    bad = [FieldError("continuationToken", "is not a continuation token issued by this service")]
    if len(token) > MAX_TOKEN_LENGTH:
        return None, bad
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None, bad
    if not isinstance(body, dict) or body.get("v") != 1 or not isinstance(body.get("after"), str):
        return None, bad
    if not is_lead_id(body["after"]):
        return None, bad
    return body["after"], []
