"""The insights figures: what each lead adds to which day, the roll-up, and the histogram's bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.azure_limits import MAX_BATCH_OPERATIONS
from shared.domain import insights, lifecycle
from shared.domain.commands import AcceptBody, CloseBody, DealUpdateBody, DeclineBody
from shared.domain.derived_rows import derived_change
from shared.domain.insights import (
    ABSOLUTE_ERROR_HOURS,
    RELATIVE_ERROR,
    DayRow,
    GroupBy,
    InsightsContributor,
    InsightsRequest,
    Interval,
    Sums,
)
from shared.domain.intake_mapping import map_marketplace_lead, map_referral
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from tests.support.leads import marketplace_lead, referral

CREATED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
CONTRIBUTOR = InsightsContributor()


def offer_lead(created: datetime = CREATED, **extra: object) -> Lead:
    mapped = map_marketplace_lead(marketplace_lead("p1", action_code="PLT", created=created, **extra))
    return mapped.to_lead(new_lead_id(created), now=created, expiry_days=14)


def accepted(lead: Lead, at: datetime, value: float = 1234.5, currency: str = "EUR") -> Lead:
    body = AcceptBody.model_validate(
        {
            "dealName": "Seats",
            "estimatedValue": value,
            "currency": currency,
            "estimatedCloseDate": "2027-01-31",
            "notes": "Demo booked.",
        }
    )
    return lifecycle.accept(lead, body, actor="u1", now=at).lead


def closed(lead: Lead, at: datetime, outcome: str, final_value: float | None = None) -> Lead:
    body: dict[str, object] = {"outcome": outcome}
    if final_value is not None:
        body["finalValue"] = final_value
    return lifecycle.close(lead, CloseBody.model_validate(body), actor="u1", now=at).lead


def declined(lead: Lead, at: datetime, reason: str = "BudgetNotAdequate") -> Lead:
    return lifecycle.decline(lead, DeclineBody.model_validate({"reason": reason}), actor="u1", now=at).lead


def test_a_new_lead_counts_as_received_on_its_creation_day_in_every_grouping() -> None:
    lead = offer_lead()

    tallies = list(CONTRIBUTOR.tallies(lead))

    assert {t.amounts["received"] for t in tallies} == {1}
    assert {t.key.split("|")[1] for t in tallies} == {g.value for g in GroupBy}
    assert {t.key.split("|")[2] for t in tallies} == {"2026-11-02"}
    by_group = {t.key.split("|")[1]: insights.parse_row_key(t.key + "|0") for t in tallies}
    assert by_group["leadSource"] == (GroupBy.LEAD_SOURCE, date(2026, 11, 2), "AppSource")
    assert by_group["country"] == (GroupBy.COUNTRY, date(2026, 11, 2), "NL")
    assert by_group["offer"] == (GroupBy.OFFER, date(2026, 11, 2), "contoso-crm")
    assert by_group["owner"] == (GroupBy.OWNER, date(2026, 11, 2), None)


def test_an_accept_counts_on_its_day_with_the_response_time_and_the_open_pipeline() -> None:
    lead = accepted(offer_lead(), CREATED + timedelta(hours=30))

    days = insights.contributions(lead)

    assert days[date(2026, 11, 2)] == {"received": 1}
    answer_day = days[date(2026, 11, 3)]
    assert answer_day["accepted"] == 1
    assert answer_day["pipelineValue_EUR"] == 123450
    assert "answered24h" not in answer_day  # 30 h is not within 24 h
    assert answer_day[insights.bucket_column(insights.bucket_of(30))] == 1
    assert answer_day["contactClosed"] == 1 and answer_day["contactAnswered72h"] == 1


def test_won_moves_the_value_from_the_pipeline_to_the_close_day() -> None:
    open_lead = accepted(offer_lead(), CREATED + timedelta(hours=2), value=1000, currency="JPY")
    won = closed(open_lead, CREATED + timedelta(days=20), "Won", final_value=1500)

    change = derived_change(open_lead, won, [CONTRIBUTOR])

    moved = {(d.key.split("|")[1], d.key.split("|")[2]): dict(d.amounts) for d in change.tallies}
    assert moved[("none", "2026-11-02")] == {"pipelineValue_JPY": -1000}
    assert moved[("none", "2026-11-22")] == {"won": 1, "wonValue_JPY": 1500}
    assert len(change.tallies) == 2 * len(GroupBy)


def test_decline_counts_its_reason_and_expiry_counts_on_the_expiry_day() -> None:
    lead = declined(offer_lead(), CREATED + timedelta(hours=5), "TimelineTooShort")
    day = insights.contributions(lead)[date(2026, 11, 2)]
    assert day["declined"] == 1 and day["declined_TimelineTooShort"] == 1 and day["answered24h"] == 1

    expired = lifecycle.expire(offer_lead(), now=CREATED + timedelta(days=15)).lead
    days = insights.contributions(expired)
    assert days[date(2026, 11, 16)] == {"expired": 1, "contactClosed": 1}


def test_a_validation_or_team_change_moves_nothing() -> None:
    lead = accepted(offer_lead(), CREATED + timedelta(hours=1))
    renamed = lifecycle.update_deal(
        lead, DealUpdateBody.model_validate({"dealName": "More seats"}), actor="u1", now=CREATED
    ).lead

    assert derived_change(lead, renamed, [CONTRIBUTOR]).tallies == ()


def test_the_owner_groups_leads_once_leads_have_one_and_none_before() -> None:
    lead = offer_lead()
    assert insights.owner_id(lead) is None

    class WithOwner:
        def __init__(self, owner: object) -> None:
            self.owner = owner

    assert insights.owner_id(WithOwner({"userId": "u7", "name": "Ann"})) == "u7"  # type: ignore[arg-type]

    class Owner:
        user_id = "u8"

    assert insights.owner_id(WithOwner(Owner())) == "u8"  # type: ignore[arg-type]


def test_the_worst_change_fits_one_transaction() -> None:
    """A Won lead written whole (the backfill): three event days in seven groupings."""
    lead = closed(accepted(offer_lead(), CREATED + timedelta(days=1)), CREATED + timedelta(days=9), "Won")

    change = derived_change(None, lead, [CONTRIBUTOR])

    assert change.operation_count == 3 * len(GroupBy) == 21
    # The lead, its history entry and its event beside them, with room for other features.
    assert change.operation_count + 3 <= MAX_BATCH_OPERATIONS - 50


def test_profile_leads_group_under_null_source_and_unsafe_groups_round_trip() -> None:
    mapped = map_referral(referral("p1", created=CREATED))
    lead = mapped.to_lead(new_lead_id(CREATED), now=CREATED, expiry_days=14)
    keys = {t.key.split("|")[1]: t.key for t in CONTRIBUTOR.tallies(lead)}
    assert insights.parse_row_key(keys["leadSource"] + "|0") == (GroupBy.LEAD_SOURCE, CREATED.date(), None)
    for group in ("a|b", "Zoë/#?", "x" * 300, "plain-1.0"):
        segment = insights.encode_group(group)
        assert "|" not in segment and "/" not in segment and "#" not in segment
        assert insights.decode_group(segment) == group[: insights.MAX_GROUP_LENGTH]


def test_money_is_in_minor_units_of_each_currency() -> None:
    assert insights.minor_units(Decimal("12.345"), "EUR") == 1234
    assert insights.minor_units(Decimal("1000"), "JPY") == 1000
    assert insights.minor_units(Decimal("1.2345"), "KWD") == 1234
    assert insights.from_minor_units(1234, "KWD") == 1.234


def test_days_roll_up_to_iso_weeks_and_months_within_the_range() -> None:
    def row(day: date, group: str | None, **amounts: int) -> DayRow:
        return DayRow(GroupBy.LEAD_SOURCE, day, group, amounts)

    rows = [
        row(date(2026, 11, 1), "AppSource", received=1),  # a Sunday: before the range
        row(date(2026, 11, 2), "AppSource", received=2, accepted=1, declined=1),
        row(date(2026, 11, 8), "AppSource", received=1),  # Sunday: still the first week
        row(date(2026, 11, 9), None, received=4, won=1, lost=3, wonValue_EUR=1050),
        row(date(2026, 11, 9), None, received=1),  # another shard of the same day
    ]
    request = InsightsRequest(date(2026, 11, 2), date(2026, 11, 15), Interval.WEEK, GroupBy.LEAD_SOURCE)

    answer = insights.report(request, rows)

    assert answer["totals"]["received"] == 8
    assert answer["totals"]["acceptanceRate"] == 0.5 and answer["totals"]["winRate"] == 0.25
    assert answer["totals"]["wonValue"] == {"EUR": 10.5}
    cells = {(s["group"], s["period"]): s["received"] for s in answer["series"]}
    assert cells == {
        (None, "2026-11-02"): 0,
        (None, "2026-11-09"): 5,
        ("AppSource", "2026-11-02"): 3,
        ("AppSource", "2026-11-09"): 0,
    }
    months = insights.report(
        InsightsRequest(date(2026, 10, 15), date(2027, 1, 10), Interval.MONTH, GroupBy.NONE), []
    )
    assert [s["period"] for s in months["series"]] == ["2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01"]
    assert months["totals"]["medianResponseHours"] is None and months["totals"]["acceptanceRate"] is None


def test_a_year_is_read_as_thirteen_month_ranges_at_most() -> None:
    ranges = list(insights.month_ranges(date(2025, 11, 30), date(2026, 11, 29)))
    assert len(ranges) == 13
    assert ranges[0] == (date(2025, 11, 30), date(2025, 11, 30))
    assert ranges[-1] == (date(2026, 11, 1), date(2026, 11, 29))


def test_bad_parameters_name_the_field() -> None:
    def fields(**params: str) -> list[str]:
        return [error.field for error in insights.parse_insights_request(params)[1]]

    assert fields(**{"from": "2026-11-01", "to": "2026-11-30"}) == []
    assert fields(**{"from": "2026-13-01", "to": "2026-11-30"}) == ["from"]
    assert fields(**{"from": "2026-11-01"}) == ["to"]
    assert fields(**{"from": "2026-11-01", "to": "2026-11-30", "interval": "hour"}) == ["interval"]
    assert fields(**{"from": "2026-11-01", "to": "2026-11-30", "groupBy": "city"}) == ["groupBy"]
    assert fields(**{"from": "2026-11-30", "to": "2026-11-01"}) == ["to"]
    assert fields(**{"from": "2020-01-01", "to": "2026-11-01"}) == ["to"]
    request, _ = insights.parse_insights_request(
        {"from": "2026-11-01", "to": "2026-11-30", "groupBy": "LEADSOURCE"}
    )
    assert request is not None and request.group_by is GroupBy.LEAD_SOURCE


def _nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, -(-int(q * 1_000_000) * len(ordered) // 1_000_000)) - 1]


@given(
    st.lists(st.floats(min_value=0, max_value=719.99, allow_nan=False), min_size=1, max_size=300),
    st.sampled_from([0.5, 0.9]),
)
def test_a_quantile_from_the_histogram_is_within_its_error_bound(hours: list[float], q: float) -> None:
    histogram: dict[int, int] = {}
    for value in hours:
        index = insights.bucket_of(value)
        histogram[index] = histogram.get(index, 0) + 1

    estimate = insights.quantile_hours(histogram, q)
    true = _nearest_rank(hours, q)

    assert estimate is not None
    assert abs(estimate - true) <= max(ABSOLUTE_ERROR_HOURS, RELATIVE_ERROR * true) + 0.001


@given(st.floats(min_value=0, max_value=5000, allow_nan=False))
def test_every_response_time_falls_in_the_bucket_whose_bounds_hold_it(hours: float) -> None:
    index = insights.bucket_of(hours)
    assert insights.BUCKET_BOUNDS[index] <= hours
    assert index == insights.BUCKETS - 1 or hours < insights.BUCKET_BOUNDS[index + 1]


def test_summed_histograms_give_the_figures() -> None:
    sums = Sums()
    sums.add(
        {
            insights.bucket_column(insights.bucket_of(1.0)): 9,
            insights.bucket_column(insights.bucket_of(100.0)): 1,
        }
    )
    sums.add({"accepted": 8, "declined": 2, "answered24h": 9, "contactClosed": 4, "contactAnswered72h": 3})

    figures = insights.figures(sums)

    assert abs(figures["medianResponseHours"] - 1.0) <= 0.12
    assert abs(figures["p90ResponseHours"] - 1.0) <= 0.12  # the 9th of 10 is still 1 h
    assert figures["answeredWithin24h"] == 0.9
    assert figures["contactRequestsAnsweredWithin72h"] == 0.75
