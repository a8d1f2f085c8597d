"""The list's tab and filters (contract §5), shared by the list and the export.

`parse_lead_query` turns query parameters into a `LeadQuery` or a list of field
errors. A `LeadQuery` knows both how to narrow a Table Storage query (the
indexed columns it can filter on) and how to test a lead in process, so the
list and the export always agree.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum

from shared.domain.countries import is_alpha2
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

TAB_QUALIFICATIONS = {
    Tab.MARKETPLACE: frozenset({Qualification.DIRECT}),
    Tab.QUALIFIED: frozenset({Qualification.MARKETING_QUALIFIED, Qualification.SALES_QUALIFIED}),
    Tab.FAVORITES: frozenset(Qualification),
}

# Query parameter -> (enum, indexed column, lead attribute). Each is an exact-match
# filter that Table Storage evaluates on the stored column of the same value.
ENUM_FILTERS: dict[str, tuple[type[StrEnum], str, str]] = {
    "callToAction": (CallToAction, "CallToAction", "call_to_action"),
    "leadSource": (LeadSource, "LeadSource", "lead_source"),
    "leadType": (LeadType, "LeadType", "lead_type"),
    "quality": (Quality, "Quality", "quality"),
    "stage": (Stage, "Stage", "stage"),
    "status": (Status, "Status", "status"),
    "emailValidity": (EmailValidity, "EmailValidity", "email_validity"),
    "phoneValidity": (PhoneValidity, "PhoneValidity", "phone_validity"),
}

QUERY_PARAMETERS = (
    "tab",
    *ENUM_FILTERS,
    "country",
    "customerName",
    "createdFrom",
    "createdTo",
    "top",
    "continuationToken",
)


@dataclass(frozen=True)
class LeadQuery:
    # None: every lead of the partner, whatever its qualification (the action center).
    tab: Tab | None = Tab.MARKETPLACE
    # column -> allowed stored values (already canonical); empty means no filter.
    columns: Mapping[str, frozenset[str]] = field(default_factory=dict)
    customer_name: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    @property
    def qualifications(self) -> frozenset[Qualification]:
        return TAB_QUALIFICATIONS[self.tab] if self.tab is not None else frozenset(Qualification)

    def column_filters(self) -> dict[str, frozenset[str]]:
        """Every exact-match filter on an indexed column, the tab's qualification included."""
        filters = dict(self.columns)
        if self.tab in (Tab.MARKETPLACE, Tab.QUALIFIED):
            filters["Qualification"] = frozenset(q.value for q in self.qualifications)
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


def parse_lead_query(params: Mapping[str, str]) -> tuple[LeadQuery, list[FieldError]]:
    errors: list[FieldError] = []
    tab = Tab.MARKETPLACE
    raw_tab = params.get("tab")
    if raw_tab is not None:
        try:
            tab = Tab(raw_tab.strip().lower())
        except ValueError:
            errors.append(FieldError("tab", "must be one of marketplace, qualified, favorites"))
    columns: dict[str, frozenset[str]] = {}
    for name, (enum, column, _attribute) in ENUM_FILTERS.items():
        raw = params.get(name)
        if raw is None:
            continue
        by_fold = {member.value.casefold(): member.value for member in enum}
        values = _values(raw)
        unknown = [value for value in values if value.casefold() not in by_fold]
        if unknown or not values:
            allowed = ", ".join(member.value for member in enum)
            errors.append(FieldError(name, f"must be one or more of {allowed}"))
            continue
        columns[column] = frozenset(by_fold[value.casefold()] for value in values)
    raw_country = params.get("country")
    if raw_country is not None:
        countries = _values(raw_country)
        if not countries or not all(len(code) == 2 and is_alpha2(code) for code in countries):
            errors.append(FieldError("country", "must be ISO 3166-1 alpha-2 codes such as NL or DE"))
        else:
            columns["Country"] = frozenset(code.upper() for code in countries)
    customer_name = params.get("customerName")
    if customer_name is not None and len(customer_name) > MAX_CUSTOMER_NAME:
        errors.append(FieldError("customerName", f"must be at most {MAX_CUSTOMER_NAME} characters"))
        customer_name = None
    moments: dict[str, datetime | None] = {"createdFrom": None, "createdTo": None}
    for name in moments:
        raw = params.get(name)
        if raw is None:
            continue
        try:
            moments[name] = _parse_moment(raw)
        except (ValueError, OverflowError):  # 9999-12-31T23:00-05:00 is past the last UTC year
            errors.append(FieldError(name, "must be an ISO 8601 date (YYYY-MM-DD) or date-time"))
    query = LeadQuery(
        tab=tab,
        columns=columns,
        customer_name=customer_name.strip().casefold() or None if customer_name else None,
        created_from=moments["createdFrom"],
        created_to=moments["createdTo"],
    )
    return query, errors


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
