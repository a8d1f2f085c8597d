"""Insights (contract §12): what each lead adds to per-day figures, and how days roll up.

**Kept as the work happens.** A lead's contribution to the figures is a pure function of the
lead (its dates, status, reason, deal, and the properties it is grouped by), so the figures
are `derived_rows` tallies: the repository adds the difference between the old and the new
lead's contribution in the transaction of each change, and the backfill builds them for leads
stored before. Each event counts in the UTC day it happened:

- `received` on the day of `createdDateTime` (every lead, informational ones too);
- `accepted` / `declined` (and the decline's reason) on the day of the answer, with the
  response time (arrival to answer) in a histogram, and whether it came within 24 h;
- `expired` on the day of `expirationDateTime` once the lead is Expired;
- `won` / `lost` on the close day, the won deal's value by currency;
- `pipelineValue`: the deal value of a lead that is Accepted now, on its accept day (a
  deal edit moves it, a close removes it), so a period's pipeline is what was accepted then
  and is still open.

**Rows.** `ins|<groupBy>|<YYYY-MM-DD>|<group>|<shard>` (plus the tally's own shard suffix),
groupBy first, so one groupBy over a range of days is one RowKey range. A lead adds to all
seven groupings of each of its event days: at most 3 days x 7 = 21 tallies (a Won lead
written whole, by the backfill), 14 for a close (accept day and close day). Today's rows are
touched by every intake, so each lead writes to one of `SHARDS` copies of every row, chosen
from its id: two racing intakes meet on a row only when their ids pick the same shard, for
all their rows at once, not once per row.

**Response time** is kept as a histogram with fixed bounds (`BUCKET_BOUNDS`): the first
bucket is [0, 0.1 h), then each bound is 1.25 times the last, up to 30 days, and one
bucket beyond. A quantile (nearest rank) is read as the geometric middle of the bucket
that holds it (the middle of the first one), so the estimate `e` of a true value `v` is
within `max(0.05 h, (sqrt(1.25) - 1) * v)`: 3 minutes or 11.8 %. Beyond 30 days the
bucket's lower bound (720 h) is given: a lower bound, not an estimate.

Money is in minor units per currency (ISO 4217 exponents), never summed across currencies.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.domain.derived_rows import IndexRow, Tally
from shared.domain.enums import DeclineReason, Status
from shared.domain.errors import FieldError
from shared.domain.lead import Lead

ROW_PREFIX = "ins"
SHARDS = 4


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class GroupBy(StrEnum):
    NONE = "none"
    LEAD_SOURCE = "leadSource"
    CALL_TO_ACTION = "callToAction"
    OFFER = "offer"
    COUNTRY = "country"
    QUALIFICATION = "qualification"
    OWNER = "owner"


# -- response-time histogram ---------------------------------------------------------------

FIRST_BOUND_HOURS = 0.1
BUCKET_RATIO = 1.25
LAST_BOUND_HOURS = 720.0


def _bounds() -> tuple[float, ...]:
    bounds = [0.0, FIRST_BOUND_HOURS]
    while bounds[-1] < LAST_BOUND_HOURS:
        bounds.append(min(bounds[-1] * BUCKET_RATIO, LAST_BOUND_HOURS))
    return tuple(bounds)


# Lower bounds of the buckets; the last bucket has no upper bound.
BUCKET_BOUNDS = _bounds()
BUCKETS = len(BUCKET_BOUNDS)
# The error bound of a quantile read from the histogram (module docstring).
ABSOLUTE_ERROR_HOURS = FIRST_BOUND_HOURS / 2
RELATIVE_ERROR = math.sqrt(BUCKET_RATIO) - 1


def bucket_column(index: int) -> str:
    return f"rt{index:02d}"


def bucket_of(hours: float) -> int:
    """The histogram bucket a response time falls in."""
    hours = max(0.0, hours)
    low, high = 0, BUCKETS - 1
    while low < high:  # the last bound <= hours
        middle = (low + high + 1) // 2
        if BUCKET_BOUNDS[middle] <= hours:
            low = middle
        else:
            high = middle - 1
    return low


def bucket_estimate(index: int) -> float:
    if index == 0:
        return FIRST_BOUND_HOURS / 2
    if index == BUCKETS - 1:
        return BUCKET_BOUNDS[index]
    return math.sqrt(BUCKET_BOUNDS[index] * BUCKET_BOUNDS[index + 1])


def quantile_hours(histogram: Mapping[int, int], q: float) -> float | None:
    """The nearest-rank `q` quantile of the response times counted in `histogram`."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for index in range(BUCKETS):
        seen += histogram.get(index, 0)
        if seen >= rank:
            return round(bucket_estimate(index), 3)
    return round(bucket_estimate(BUCKETS - 1), 3)


# -- money ---------------------------------------------------------------------------------

# ISO 4217 minor-unit exponents other than 2, for the codes the accept body allows.
_EXPONENT = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def minor_units(value: Decimal, currency: str) -> int:
    exponent = _EXPONENT.get(currency, 2)
    return int((value * (Decimal(10) ** exponent)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def from_minor_units(amount: int, currency: str) -> int | float:
    exponent = _EXPONENT.get(currency, 2)
    value = Decimal(amount) / (Decimal(10) ** exponent)
    return int(value) if value == value.to_integral_value() else float(value)


WON_VALUE = "wonValue_"
PIPELINE_VALUE = "pipelineValue_"
DECLINE_REASON = "declined_"

# -- groups --------------------------------------------------------------------------------

_SAFE_GROUP = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
MAX_GROUP_LENGTH = 100


def owner_id(lead: Lead) -> str | None:
    """The lead's owner's user id, whether `owner` is a model, a mapping, or not there at all.

    Leads gain an `owner` (contract §11); until then, and for unassigned leads, this is None.
    """
    owner = getattr(lead, "owner", None)
    if owner is None:
        return None
    user_id = owner.get("userId") if isinstance(owner, Mapping) else getattr(owner, "user_id", None)
    return user_id if isinstance(user_id, str) and user_id else None


def group_of(lead: Lead, group_by: GroupBy) -> str | None:
    match group_by:
        case GroupBy.NONE:
            return None
        case GroupBy.LEAD_SOURCE:
            return lead.lead_source.value if lead.lead_source else None
        case GroupBy.CALL_TO_ACTION:
            return lead.call_to_action.value if lead.call_to_action else None
        case GroupBy.OFFER:
            return lead.offer.id if lead.offer and lead.offer.id else None
        case GroupBy.COUNTRY:
            return lead.customer.country
        case GroupBy.QUALIFICATION:
            return lead.qualification.value
        case GroupBy.OWNER:
            return owner_id(lead)


def encode_group(group: str | None) -> str:
    """A group as a RowKey segment: plain when safe, else hex of its UTF-8 (no `|`, `/`, `#`...)."""
    if group is None:
        return "-"
    group = group[:MAX_GROUP_LENGTH]
    if _SAFE_GROUP.match(group):
        return "=" + group
    return "x" + group.encode("utf-8").hex()


def decode_group(segment: str) -> str | None:
    if segment == "-":
        return None
    if segment.startswith("="):
        return segment[1:]
    return bytes.fromhex(segment[1:]).decode("utf-8")


def row_key_prefix(group_by: GroupBy, day: date) -> str:
    return f"{ROW_PREFIX}|{group_by.value}|{day.isoformat()}|"


def tally_key(group_by: GroupBy, day: date, group: str | None, shard: int) -> str:
    return f"{row_key_prefix(group_by, day)}{encode_group(group)}|{shard}"


@dataclass(frozen=True)
class DayRow:
    """One stored tally row, as the read needs it."""

    group_by: GroupBy
    day: date
    group: str | None
    amounts: Mapping[str, int]


def parse_row_key(row_key: str) -> tuple[GroupBy, date, str | None] | None:
    parts = row_key.split("|")
    if len(parts) < 5 or parts[0] != ROW_PREFIX:
        return None
    try:
        return GroupBy(parts[1]), date.fromisoformat(parts[2]), decode_group(parts[3])
    except ValueError:
        return None


# -- the contributor -----------------------------------------------------------------------


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _shard(lead: Lead) -> int:
    return hashlib.sha256(lead.id.encode("utf-8")).digest()[0] % SHARDS


_DECLINE_REASONS = frozenset(reason.value for reason in DeclineReason)


def _add(days: dict[date, dict[str, int]], moment: datetime, column: str, amount: int = 1) -> None:
    if amount:
        columns = days.setdefault(_day(moment), {})
        columns[column] = columns.get(column, 0) + amount


def _answer(lead: Lead, days: dict[date, dict[str, int]], answered: datetime) -> None:
    arrived = lead.arrived_date_time or lead.created_date_time
    hours = max(0.0, (answered - arrived).total_seconds() / 3600)
    _add(days, answered, bucket_column(bucket_of(hours)))
    _add(days, answered, "answered24h", int(hours <= 24))
    if lead.customer_requested_contact:
        _add(days, answered, "contactClosed")
        _add(days, answered, "contactAnswered72h", int(hours <= 72))


def _money(lead: Lead, days: dict[date, dict[str, int]], moment: datetime, prefix: str) -> None:
    deal = lead.deal
    if deal is not None and _CURRENCY.match(deal.currency):
        _add(days, moment, prefix + deal.currency, minor_units(deal.value, deal.currency))


def contributions(lead: Lead) -> dict[date, dict[str, int]]:
    """What the lead adds to each UTC day's figures (the same for every grouping)."""
    days: dict[date, dict[str, int]] = {}
    _add(days, lead.created_date_time, "received")
    if lead.accepted_date_time is not None:
        _add(days, lead.accepted_date_time, "accepted")
        _answer(lead, days, lead.accepted_date_time)
        if lead.status is Status.ACCEPTED:
            _money(lead, days, lead.accepted_date_time, PIPELINE_VALUE)
    closed = lead.closed_date_time
    if lead.status is Status.DECLINED and closed is not None:
        _add(days, closed, "declined")
        if lead.status_reason in _DECLINE_REASONS:
            _add(days, closed, DECLINE_REASON + str(lead.status_reason))
        _answer(lead, days, closed)
    elif lead.status is Status.EXPIRED:
        expired = lead.expiration_date_time or closed
        if expired is not None:
            _add(days, expired, "expired")
            if lead.customer_requested_contact:
                _add(days, expired, "contactClosed")
    elif lead.status is Status.WON and closed is not None:
        _add(days, closed, "won")
        _money(lead, days, closed, WON_VALUE)
    elif lead.status is Status.LOST and closed is not None:
        _add(days, closed, "lost")
    return days


class InsightsContributor:
    """The insights figures as derived-rows tallies (no index rows)."""

    def index_rows(self, lead: Lead) -> Iterable[IndexRow]:
        return ()

    def tallies(self, lead: Lead) -> Iterable[Tally]:
        shard = _shard(lead)
        for day, amounts in sorted(contributions(lead).items()):
            for group_by in GroupBy:
                yield Tally(tally_key(group_by, day, group_of(lead, group_by), shard), amounts)


# -- the read ------------------------------------------------------------------------------

MAX_RANGE_DAYS = 3 * 366
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def period_start(day: date, interval: Interval) -> date:
    match interval:
        case Interval.DAY:
            return day
        case Interval.WEEK:
            return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
        case Interval.MONTH:
            return day.replace(day=1)


def periods(start: date, end: date, interval: Interval) -> list[date]:
    """The starts of the periods that hold a day of [start, end], in order (the first may lie
    before `start`: a week or month is labelled by its first day, and counts only days asked for)."""
    result: list[date] = []
    first = period_start(start, interval)
    while first <= end:
        result.append(first)
        first = _next_period(first, interval)
    return result


def _next_period(first: date, interval: Interval) -> date:
    if interval is Interval.WEEK:
        return first + timedelta(days=7)
    if interval is Interval.MONTH:
        return date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first + timedelta(days=1)


def month_ranges(start: date, end: date) -> Iterator[tuple[date, date]]:
    """[start, end] cut at calendar months: the read makes one range query per month."""
    first = start
    while first <= end:
        following = _next_period(first.replace(day=1), Interval.MONTH)
        yield first, min(end, following - timedelta(days=1))
        first = following


@dataclass
class Sums:
    """Summed tally columns of some days and groups."""

    columns: dict[str, int] = field(default_factory=dict)

    def add(self, amounts: Mapping[str, int]) -> None:
        for column, amount in amounts.items():
            self.columns[column] = self.columns.get(column, 0) + amount

    def get(self, column: str) -> int:
        return self.columns.get(column, 0)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def _by_prefix(sums: Sums, prefix: str, money: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for column in sorted(sums.columns):
        if column.startswith(prefix) and sums.columns[column]:
            name = column[len(prefix) :]
            result[name] = from_minor_units(sums.columns[column], name) if money else sums.columns[column]
    return result


def figures(sums: Sums) -> dict[str, Any]:
    """The contract's figures from summed columns; rates and percentiles from the sums."""
    accepted, declined, expired = sums.get("accepted"), sums.get("declined"), sums.get("expired")
    won, lost = sums.get("won"), sums.get("lost")
    histogram = {index: sums.get(bucket_column(index)) for index in range(BUCKETS)}
    return {
        "received": sums.get("received"),
        "accepted": accepted,
        "declined": declined,
        "expired": expired,
        "won": won,
        "lost": lost,
        "acceptanceRate": _share(accepted, accepted + declined),
        "winRate": _share(won, won + lost),
        "medianResponseHours": quantile_hours(histogram, 0.5),
        "p90ResponseHours": quantile_hours(histogram, 0.9),
        "answeredWithin24h": _share(sums.get("answered24h"), accepted + declined + expired),
        "contactRequestsAnsweredWithin72h": _share(sums.get("contactAnswered72h"), sums.get("contactClosed")),
        "wonValue": _by_prefix(sums, WON_VALUE, money=True),
        "pipelineValue": _by_prefix(sums, PIPELINE_VALUE, money=True),
        "declineReasons": _by_prefix(sums, DECLINE_REASON, money=False),
    }


@dataclass(frozen=True)
class InsightsRequest:
    start: date
    end: date
    interval: Interval
    group_by: GroupBy


def report(request: InsightsRequest, rows: Iterable[DayRow]) -> dict[str, Any]:
    """The answer of `GET /api/insights` from the day rows of the range and groupBy."""
    starts = periods(request.start, request.end, request.interval)
    totals = Sums()
    cells: dict[tuple[str | None, date], Sums] = {}
    groups: set[str | None] = {None} if request.group_by is GroupBy.NONE else set()
    for row in rows:
        if row.group_by is not request.group_by or not request.start <= row.day <= request.end:
            continue
        totals.add(row.amounts)
        groups.add(row.group)
        cells.setdefault((row.group, period_start(row.day, request.interval)), Sums()).add(row.amounts)
    series = [
        {"group": group, "period": start.isoformat(), **figures(cells.get((group, start), Sums()))}
        for group in sorted(groups, key=lambda g: (g is not None, g or ""))
        for start in starts
    ]
    return {
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        "interval": request.interval.value,
        "groupBy": request.group_by.value,
        "totals": figures(totals),
        "series": series,
    }


# -- the request ---------------------------------------------------------------------------


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("query_parameter", message)


def _calendar_date(raw: object) -> date:
    if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
        raise _refuse("must be a date in the form YYYY-MM-DD")
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise _refuse("must be a date in the form YYYY-MM-DD") from None
    if not EARLIEST <= day <= LATEST:
        raise _refuse(f"must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return day


def _choice(enum: type[StrEnum]) -> Any:
    by_fold = {member.value.casefold(): member for member in enum}
    allowed = ", ".join(member.value for member in enum)

    def parse(raw: object) -> StrEnum:
        if not isinstance(raw, str) or raw.strip().casefold() not in by_fold:
            raise _refuse(f"must be one of {allowed}")
        return by_fold[raw.strip().casefold()]

    return BeforeValidator(parse)


# The days the API takes (EARLIEST to LATEST), as the document states them.
_DATE_SCHEMA = {
    "type": "string",
    "format": "date",
    "pattern": r"^(20\d\d|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$",
}


class InsightsParameters(BaseModel):
    """The query parameters of `GET /api/insights`; aliases are the parameter names."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", validate_by_alias=True, validate_by_name=False, defer_build=True
    )

    start: Annotated[
        date,
        BeforeValidator(_calendar_date),
        WithJsonSchema({**_DATE_SCHEMA, "description": "First day (UTC), inclusive"}),
    ] = Field(alias="from")
    end: Annotated[
        date,
        BeforeValidator(_calendar_date),
        WithJsonSchema({**_DATE_SCHEMA, "description": "Last day (UTC), inclusive"}),
    ] = Field(alias="to")
    interval: Annotated[
        Interval,
        _choice(Interval),
        WithJsonSchema({"type": "string", "enum": [i.value for i in Interval], "default": "week"}),
    ] = Interval.WEEK
    group_by: Annotated[
        GroupBy,
        _choice(GroupBy),
        WithJsonSchema({"type": "string", "enum": [g.value for g in GroupBy], "default": "none"}),
    ] = Field(GroupBy.NONE, alias="groupBy")


def parse_insights_request(params: Mapping[str, str]) -> tuple[InsightsRequest | None, list[FieldError]]:
    """The request, or the errors naming each bad parameter (`to` for a reversed or long range)."""
    try:
        parameters = InsightsParameters.model_validate(dict(params))
    except ValidationError as error:
        return None, [
            FieldError(str(item["loc"][0]), item["msg"]) for item in error.errors(include_url=False)
        ]
    if parameters.end < parameters.start:
        return None, [FieldError("to", "must not be before from")]
    if (parameters.end - parameters.start).days + 1 > MAX_RANGE_DAYS:
        return None, [FieldError("to", f"must be at most {MAX_RANGE_DAYS} days after from")]
    return InsightsRequest(parameters.start, parameters.end, parameters.interval, parameters.group_by), []
