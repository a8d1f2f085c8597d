"""Parsing the list's tab, filters, `top` and continuation tokens (contract §5, List)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from shared.domain.enums import Qualification, Tab
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead_ids import inverted_time_prefix, new_lead_id
from shared.domain.lead_query import (
    DEFAULT_TOP,
    MAX_TOP,
    after_lead,
    decode_continuation,
    encode_continuation,
    parse_lead_query,
    parse_top,
)
from tests.support.leads import marketplace_lead

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
# A well-formed lead id that is the same in every process (test ids must not vary between workers).
FIXED_ID = inverted_time_prefix(NOW) + "0123456789"


def test_defaults() -> None:
    query, errors = parse_lead_query({})
    assert errors == []
    assert query.tab is Tab.MARKETPLACE
    assert query.column_filters() == {"Qualification": frozenset({"Direct"})}
    assert query.customer_name is None and query.created_from is None and query.created_to is None


@pytest.mark.parametrize(
    ("raw", "tab", "qualifications"),
    [
        ("marketplace", Tab.MARKETPLACE, {"Direct"}),
        ("QUALIFIED", Tab.QUALIFIED, {"MarketingQualified", "SalesQualified"}),
        ("Favorites", Tab.FAVORITES, None),
    ],
)
def test_tabs(raw: str, tab: Tab, qualifications: set[str] | None) -> None:
    query, errors = parse_lead_query({"tab": raw})
    assert errors == []
    assert query.tab is tab
    assert query.column_filters().get("Qualification") == (
        frozenset(qualifications) if qualifications else None
    )


@pytest.mark.parametrize(
    ("name", "raw", "column", "expected"),
    [
        ("callToAction", "contactme,FREETRIAL", "CallToAction", {"ContactMe", "FreeTrial"}),
        ("leadSource", "appsource, azureportal", "LeadSource", {"AppSource", "AzurePortal"}),
        ("leadType", "offer", "LeadType", {"Offer"}),
        ("quality", "LOW", "Quality", {"Low"}),
        ("stage", "received,informational", "Stage", {"Received", "Informational"}),
        ("status", "won,Lost,declined", "Status", {"Won", "Lost", "Declined"}),
        ("emailValidity", "spam,unknown", "EmailValidity", {"Spam", "Unknown"}),
        ("phoneValidity", "valid", "PhoneValidity", {"Valid"}),
        ("country", "nl,De", "Country", {"NL", "DE"}),
    ],
)
def test_each_filter_is_case_insensitive_and_canonical(
    name: str, raw: str, column: str, expected: set[str]
) -> None:
    query, errors = parse_lead_query({name: raw})
    assert errors == []
    assert query.column_filters()[column] == frozenset(expected)


def test_bad_values_give_one_error_per_field() -> None:
    _, errors = parse_lead_query(
        {
            "tab": "inbox",
            "callToAction": "ContactMe,CallMe",
            "leadSource": "Bing",
            "leadType": "",
            "quality": "Medium",
            "stage": "Open",
            "status": "Pending,Also",
            "emailValidity": "Maybe",
            "phoneValidity": "Spam",
            "country": "NLD",
            "createdFrom": "yesterday",
            "createdTo": "2026-02-30",
            "customerName": "x" * 201,
        }
    )
    fields = [error.field for error in errors]
    assert sorted(fields) == sorted(
        [
            "tab",
            "callToAction",
            "leadSource",
            "leadType",
            "quality",
            "stage",
            "status",
            "emailValidity",
            "phoneValidity",
            "country",
            "createdFrom",
            "createdTo",
            "customerName",
        ]
    )
    assert all(error.message for error in errors)


@pytest.mark.parametrize("country", ["N", "NLD", "ZZ", "1L", "NL,", ",", "N L"])
def test_country_must_be_known_alpha2(country: str) -> None:
    _, errors = parse_lead_query({"country": country})
    if country == "NL,":
        assert errors == []  # a trailing comma is harmless
    else:
        assert [error.field for error in errors] == ["country"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T08:15:00Z", datetime(2026, 11, 20, 8, 15, tzinfo=UTC)),
        ("2026-11-20T08:15:00", datetime(2026, 11, 20, 8, 15, tzinfo=UTC)),
        ("2026-11-20T10:15:00+02:00", datetime(2026, 11, 20, 8, 15, tzinfo=UTC)),
        ("2026-11-20T08:15:00.123Z", datetime(2026, 11, 20, 8, 15, 0, 123000, tzinfo=UTC)),
    ],
)
def test_dates_and_date_times(raw: str, expected: datetime) -> None:
    query, errors = parse_lead_query({"createdFrom": raw, "createdTo": raw})
    assert errors == []
    assert query.created_from == expected and query.created_to == expected


def test_created_range_is_inclusive_from_and_exclusive_to() -> None:
    lead = map_marketplace_lead(marketplace_lead("contoso", created=datetime(2026, 11, 20, tzinfo=UTC)))
    stored = lead.to_lead(new_lead_id(datetime(2026, 11, 20, tzinfo=UTC)), now=NOW, expiry_days=14)
    columns = {"Qualification": Qualification.DIRECT.value}
    on, _ = parse_lead_query({"createdFrom": "2026-11-20", "createdTo": "2026-11-21"})
    assert on.matches(stored, columns)
    before, _ = parse_lead_query({"createdTo": "2026-11-20"})
    assert not before.matches(stored, columns)
    after, _ = parse_lead_query({"createdFrom": "2026-11-20T00:00:00.001Z"})
    assert not after.matches(stored, columns)


def test_customer_name_is_a_case_insensitive_substring() -> None:
    lead = map_marketplace_lead(marketplace_lead("contoso", company="Fabrikam BV")).to_lead(
        new_lead_id(NOW), now=NOW, expiry_days=14
    )
    columns = {"Qualification": "Direct"}
    assert parse_lead_query({"customerName": "  brIKA "})[0].matches(lead, columns)
    assert not parse_lead_query({"customerName": "northwind"})[0].matches(lead, columns)
    assert not parse_lead_query({"tab": "qualified"})[0].matches(lead, columns)


@pytest.mark.parametrize(("raw", "expected"), [(None, DEFAULT_TOP), ("1", 1), ("500", MAX_TOP), (" 50 ", 50)])
def test_top_in_bounds(raw: str | None, expected: int) -> None:
    assert parse_top(raw) == (expected, [])


@pytest.mark.parametrize("raw", ["0", "501", "-1", "ten", "1.5", "", "99999", "1e2"])
def test_top_out_of_bounds(raw: str) -> None:
    _, errors = parse_top(raw)
    assert [error.field for error in errors] == ["top"]


def test_continuation_round_trip() -> None:
    lead_id = new_lead_id(NOW)
    assert decode_continuation(encode_continuation(after_lead(lead_id))) == (after_lead(lead_id), [])
    assert decode_continuation(None) == (None, [])


def _token(body: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "!!!!",
        "",
        _token([1, 2]),
        _token({"v": 2, "after": FIXED_ID}),
        _token({"v": 2, "o": "c", "k": "lead|" + FIXED_ID}),
        _token({"v": 2, "o": "x", "k": "lead|" + FIXED_ID, "i": False}),
        _token({"v": 2, "o": "e", "k": "lead|" + FIXED_ID, "i": False}),
        _token({"v": 2, "o": "w", "k": "word|EVA|" + FIXED_ID, "i": False}),
        _token({"v": 2, "o": "w", "k": "word|a b|" + FIXED_ID, "i": False}),
        _token({"v": 1}),
        _token({"v": 1, "after": 5}),
        _token({"v": 1, "after": "x' or PartitionKey ne 'x"}),
        _token({"v": 1, "after": "lead}"}),
        "A" * 500,
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_forged_continuation_tokens_are_refused(token: str) -> None:
    after, errors = decode_continuation(token)
    assert after is None
    assert [error.field for error in errors] == ["continuationToken"]


TWELVE_COUNTRIES = "NL,DE,BE,FR,ES,IT,PT,AT,CH,DK,SE,NO"


def test_storage_filters_stay_within_the_comparisons_azure_allows() -> None:
    # 12 countries + 2 statuses + the marketplace tab's qualification are 15 values; with the
    # partition and the RowKey range that is 18 comparisons, 3 over Azure's 15.
    query, errors = parse_lead_query({"country": TWELVE_COUNTRIES, "status": "Received,Accepted"})
    assert errors == []
    assert sum(map(len, query.column_filters().values())) == 15

    in_storage = query.storage_filters(12)

    assert sum(map(len, in_storage.values())) <= 12
    # The fewest values go first; what does not fit is left whole to the in-process test.
    assert in_storage == {
        "Qualification": frozenset({"Direct"}),
        "Status": frozenset({"Received", "Accepted"}),
    }
    assert query.storage_filters(15) == query.column_filters()
    assert query.storage_filters(0) == {}


def test_a_filter_left_out_of_storage_is_still_applied_in_process() -> None:
    query, _ = parse_lead_query({"country": TWELVE_COUNTRIES, "status": "Received,Accepted"})
    assert "Country" not in query.storage_filters(12)
    dutch = map_marketplace_lead(marketplace_lead("contoso", country="NL")).to_lead(
        new_lead_id(NOW), now=NOW, expiry_days=14
    )
    american = map_marketplace_lead(marketplace_lead("contoso", country="US")).to_lead(
        new_lead_id(NOW), now=NOW, expiry_days=14
    )
    columns = {"Qualification": "Direct", "Status": "Received"}
    assert query.matches(dutch, {**columns, "Country": "NL"})
    assert not query.matches(american, {**columns, "Country": "US"})
