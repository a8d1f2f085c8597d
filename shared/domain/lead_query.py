"""The list's tab and filters (contract §5), shared by the list and the export.

The parameters are one pydantic model (`LeadFilters`, and `LeadListParameters` for the list's
page size and continuation), so their JSON schema is derived, not restated. `parse_lead_query`
turns query parameters into a `LeadQuery` or a list of field errors. A `LeadQuery` knows both
how to narrow a Table Storage query (the indexed columns it can filter on) and how to test a lead
in process, so the list and the export always agree.
"""

from __future__ import annotations

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
from shared.domain.errors import DetailCode, FieldError, detail_code, refusal
from shared.domain.lead import Lead
from shared.domain.lead_ids import LEAD_ID_PATTERN, is_lead_id
from shared.domain.lead_index import (
    EXPIRY_PREFIX,
    MAX_WORD_LENGTH,
    WORD_PREFIX,
    matches_search,
    most_selective,
    query_words,
    search_words,
    word_of_key,
)
from shared.domain.page_tokens import decode_token_body, encode_token_body

DEFAULT_TOP = 50
MAX_TOP = 500
MAX_CUSTOMER_NAME = 200
MAX_SEARCH_LENGTH = 200
MAX_TOKEN_LENGTH = 600
# A custom string format for the API's description: the only valid values are tokens the service
# issued in an earlier page.
CONTINUATION_TOKEN_FORMAT = "continuation-token"  # noqa: S105 (a format name, not a secret)

# The `owner` filter's two words: the caller, and leads without an owner.
OWNER_ME = "me"
OWNER_NONE = "none"
MAX_USER_ID = 128


class ReadOrder(StrEnum):
    """The rows a list request reads, as named in its continuation token."""

    CREATED = "c"  # `lead|<id>` rows (or the caller's favorites), newest first
    EXPIRY = "e"  # `exp|<expiry>|<id>` rows
    WORDS = "w"  # `word|<word>|<id>` rows of one query word


LEAD_ROW_PREFIX = "lead|"
_LEAD_ID = LEAD_ID_PATTERN.pattern
_ROW_KEY_PATTERNS = {
    ReadOrder.CREATED: re.compile(rf"lead\|{_LEAD_ID}"),
    ReadOrder.EXPIRY: re.compile(
        rf"{re.escape(EXPIRY_PREFIX)}(none|\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{6}}Z)\|{_LEAD_ID}"
    ),
    ReadOrder.WORDS: re.compile(rf"{re.escape(WORD_PREFIX)}[^|]{{1,{MAX_WORD_LENGTH}}}\|{_LEAD_ID}"),
}


@dataclass(frozen=True)
class Position:
    """Where a list read stopped: at (`inclusive`) or just after a row key of its order."""

    order: ReadOrder
    row_key: str
    inclusive: bool = False

    def is_well_formed(self) -> bool:
        if not _ROW_KEY_PATTERNS[self.order].fullmatch(self.row_key):
            return False
        # A word row holds a word exactly as `words` makes it.
        return self.order is not ReadOrder.WORDS or query_words(word_of_key(self.row_key)) == (
            word_of_key(self.row_key),
        )

    def belongs_to(self, plan: ReadPlan) -> bool:
        if self.order is not plan.order:
            return False
        return plan.prefix is None or word_of_key(self.row_key).startswith(plan.prefix)


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
    # The search's words (`q`, normalised): each must start one of the lead's search words.
    words: tuple[str, ...] = ()
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
            tab_values = frozenset(q.value for q in self.qualifications)
            filters["Qualification"] = filters.get("Qualification", tab_values) & tab_values
        if self.owner not in (None, OWNER_ME, OWNER_NONE):
            filters["Owner"] = frozenset({self.owner})
        return filters

    @property
    def matches_nothing(self) -> bool:
        """A filter no value can pass (`qualification=Direct` on the qualified tab)."""
        return any(not values for values in self.column_filters().values())

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
        if self.created_to and lead.created_date_time >= self.created_to:
            return False
        return not self.words or matches_search(search_words(lead), self.words)


def _parse_moment(raw: str) -> datetime:
    text = raw.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _values(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _refuse(message: str, code: DetailCode = DetailCode.INVALID) -> PydanticCustomError:
    # The message as the client reads it, without pydantic's "Value error, " prefix.
    return refusal(code, message)


def _text(raw: object) -> str:
    if not isinstance(raw, str):
        raise _refuse("must be text", DetailCode.WRONG_TYPE)
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
        raise _refuse(f"must be at most {MAX_CUSTOMER_NAME} characters", DetailCode.TOO_LONG)
    return text.strip().casefold() or None


def _search(raw: object) -> tuple[str, ...] | None:
    text = _text(raw)
    if len(text) > MAX_SEARCH_LENGTH:
        raise _refuse(f"must be at most {MAX_SEARCH_LENGTH} characters")
    # Text without a letter or digit has no words to look for: no search, like a blank one.
    return query_words(text) or None


def _owner(raw: object) -> str:
    text = _text(raw).strip()
    if not text or len(text) > MAX_USER_ID:
        raise _refuse(f"must be a user id (1 to {MAX_USER_ID} characters), {OWNER_ME} or {OWNER_NONE}")
    return OWNER_ME if text.casefold() == OWNER_ME else OWNER_NONE if text.casefold() == OWNER_NONE else text


def _moment(raw: object) -> datetime:
    try:
        return _parse_moment(_text(raw))
    except (ValueError, OverflowError):  # 9999-12-31T23:00-05:00 is past the last UTC year
        raise _refuse(
            "must be an ISO 8601 date (YYYY-MM-DD) or date-time", DetailCode.INVALID_FORMAT
        ) from None


def _top(raw: object) -> int:
    top, errors = parse_top(_text(raw))
    if errors:
        raise _refuse(errors[0].message, errors[0].code)
    return top


def _continuation(raw: object) -> Position | None:
    after, errors = decode_continuation(_text(raw))
    if errors:
        raise _refuse(errors[0].message, errors[0].code)
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
    qualification: Annotated[Values, OneOrMore(Qualification)] = None
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
    q: Annotated[
        tuple[str, ...] | None,
        BeforeValidator(_search),
        _described(
            "Search: every word must start a word of the company, the contact's first or last name, "
            "or the email address (local part or domain); case- and accent-insensitive",
            maxLength=MAX_SEARCH_LENGTH,
        ),
    ] = None

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
            words=self.q or (),
            owner=self.owner,
        )


class SortOrder(StrEnum):
    CREATED = "created"
    EXPIRY = "expiry"


def _sort(raw: object) -> SortOrder:
    try:
        return SortOrder(_text(raw).strip().lower())
    except ValueError:
        raise _refuse("must be one of created, expiry") from None


class LeadListParameters(LeadFilters):
    """The list's parameters: the filters, the order, the page size and where to continue."""

    sort: Annotated[
        SortOrder,
        BeforeValidator(_sort),
        WithJsonSchema(
            {
                "type": "string",
                "enum": [order.value for order in SortOrder],
                "default": SortOrder.CREATED.value,
                "description": "`created`: newest first; `expiry`: soonest `expirationDateTime` first, "
                "leads without one after them, newest first. Case-insensitive",
            }
        ),
    ] = SortOrder.CREATED
    top: Annotated[
        int,
        BeforeValidator(_top),
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_TOP, "default": DEFAULT_TOP}),
    ] = DEFAULT_TOP
    continuation_token: Annotated[
        Position | None,
        BeforeValidator(_continuation),
        _described(
            "The previous page's `continuationToken`, as issued for the same sort and search; "
            "any other value answers 400",
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
    return [
        FieldError(str(item["loc"][0]), item["msg"], detail_code(item["type"]))
        for item in error.errors(include_url=False)
    ]


def parse_lead_query(params: Mapping[str, str]) -> tuple[LeadQuery, list[FieldError]]:
    """The tab and filters; with errors (one per bad parameter) the query is the default one."""
    try:
        return LeadFilters.model_validate(dict(params)).to_query(), []
    except ValidationError as error:
        return LeadQuery(), _field_errors(error)


@dataclass(frozen=True)
class ReadPlan:
    """Which rows a list request reads, in which order."""

    order: ReadOrder
    # For `ReadOrder.WORDS`: the query word whose `word|<prefix>` rows are read.
    prefix: str | None = None


def read_plan(query: LeadQuery, sort: SortOrder) -> ReadPlan:
    """The expiry sort reads the `exp|` rows (a search is then tested on each lead); a search
    reads the rows of its most selective word; otherwise the leads themselves, newest first."""
    if sort is SortOrder.EXPIRY:
        return ReadPlan(ReadOrder.EXPIRY)
    if query.words:
        return ReadPlan(ReadOrder.WORDS, most_selective(query.words))
    return ReadPlan(ReadOrder.CREATED)


@dataclass(frozen=True)
class ListRequest:
    query: LeadQuery
    top: int
    plan: ReadPlan
    position: Position | None = None


_FOREIGN_TOKEN = FieldError("continuationToken", "was issued for another sort or search")


def parse_list_request(params: Mapping[str, str]) -> tuple[ListRequest, list[FieldError]]:
    """The list's filters, order, page size and continuation; with errors, the default request."""
    default = ListRequest(LeadQuery(), DEFAULT_TOP, ReadPlan(ReadOrder.CREATED))
    try:
        parameters = LeadListParameters.model_validate(dict(params))
    except ValidationError as error:
        return default, _field_errors(error)
    query = parameters.to_query()
    plan = read_plan(query, parameters.sort)
    position = parameters.continuation_token
    if position is not None and not position.belongs_to(plan):
        return default, [_FOREIGN_TOKEN]
    return ListRequest(query, parameters.top, plan, position), []


def parse_top(raw: str | None) -> tuple[int, list[FieldError]]:
    if raw is None:
        return DEFAULT_TOP, []
    if not re.fullmatch(r"\s*\d{1,4}\s*", raw) or not 1 <= int(raw) <= MAX_TOP:
        return DEFAULT_TOP, [
            FieldError("top", f"must be a whole number from 1 to {MAX_TOP}", DetailCode.OUT_OF_RANGE)
        ]
    return int(raw), []


def after_lead(lead_id: str) -> Position:
    """The position just after a lead in the newest-first order."""
    return Position(ReadOrder.CREATED, LEAD_ROW_PREFIX + lead_id)


def encode_continuation(position: Position) -> str:
    return encode_token_body(
        {"v": 2, "o": position.order.value, "k": position.row_key, "i": position.inclusive}
    )


def _position(body: object) -> Position | None:
    if not isinstance(body, dict):
        return None
    if body.get("v") == 1 and isinstance(body.get("after"), str) and is_lead_id(body["after"]):
        # A page of the list before it had other orders: continue after that lead.
        return after_lead(body["after"])
    if body.get("v") != 2 or body.get("o") not in {order.value for order in ReadOrder}:
        return None
    key, inclusive = body.get("k"), body.get("i")
    if not isinstance(key, str) or not isinstance(inclusive, bool):
        return None
    position = Position(ReadOrder(body["o"]), key, inclusive)
    return position if position.is_well_formed() else None


def decode_continuation(token: str | None) -> tuple[Position | None, list[FieldError]]:
    """Where to continue reading. A token this service did not issue is refused."""
    if token is None:
        return None, []
    bad = [FieldError("continuationToken", "is not a continuation token issued by this service")]
    position = _position(decode_token_body(token, MAX_TOKEN_LENGTH))
    return (position, []) if position is not None else (None, bad)
