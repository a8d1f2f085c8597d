"""The tab counters as derived rows: what a lead adds, and what a change moves."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.domain.derived_rows import TallyDelta, derived_change
from shared.domain.enums import Qualification, Stage, Status, Tab
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead import Lead
from shared.domain.lead_counters import SHARDS, TabCounters, count_of, counter_for, tab_of
from shared.domain.lead_ids import new_lead_id
from shared.domain.lead_query import TAB_QUALIFICATIONS, LeadQuery, parse_lead_query
from tests.support.leads import marketplace_lead

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def lead(**update: object) -> Lead:
    mapped = map_marketplace_lead(marketplace_lead("p1", action_code="PLT", created=NOW))
    return mapped.to_lead(new_lead_id(NOW), now=NOW, expiry_days=14).model_copy(update=update)


def test_each_qualification_counts_on_the_tab_that_lists_it() -> None:
    for tab in (Tab.MARKETPLACE, Tab.QUALIFIED):
        for qualification in TAB_QUALIFICATIONS[tab]:
            assert tab_of(qualification) is tab


def test_a_new_lead_adds_one_to_its_tab_total_and_stage() -> None:
    change = derived_change(None, lead(), [TabCounters()])
    assert change.put == () and change.delete == ()
    assert change.tallies == (TallyDelta("count|marketplace", {"All": 1, "Received": 1}, SHARDS),)


def test_a_transition_moves_the_lead_between_stages_and_keeps_the_total() -> None:
    before = lead()
    after = before.model_copy(update={"stage": Stage.ACCEPTED, "status": Status.ACCEPTED})
    change = derived_change(before, after, [TabCounters()])
    assert change.tallies == (TallyDelta("count|marketplace", {"Accepted": 1, "Received": -1}, SHARDS),)
    assert derived_change(after, after, [TabCounters()]).tallies == ()


def test_a_lead_requalified_moves_between_tabs() -> None:
    before = lead()
    after = before.model_copy(update={"qualification": Qualification.SALES_QUALIFIED})
    change = derived_change(before, after, [TabCounters()])
    assert change.tallies == (
        TallyDelta("count|marketplace", {"All": -1, "Received": -1}, SHARDS),
        TallyDelta("count|qualified", {"All": 1, "Received": 1}, SHARDS),
    )


def test_a_count_is_the_total_or_the_sum_of_the_chosen_stages() -> None:
    sums: dict[str, int | float] = {"All": 9, "Received": 4, "Accepted": 2, "Archived": 3}
    assert count_of(sums) == 9
    assert count_of(sums, {"Received", "Archived"}) == 7
    assert count_of({}, {"Won"}) == 0


def test_only_a_tab_or_a_tab_and_stage_is_answered_from_the_counters() -> None:
    def counter(params: dict[str, str]) -> Tab | None:
        query, errors = parse_lead_query(params)
        assert errors == []
        return counter_for(query)

    assert counter({}) is Tab.MARKETPLACE
    assert counter({"tab": "qualified", "stage": "Received,Accepted"}) is Tab.QUALIFIED
    assert counter({"tab": "favorites"}) is Tab.FAVORITES
    assert counter({"tab": "favorites", "stage": "Received"}) is None
    for other in (
        {"country": "NL"},
        {"customerName": "fab"},
        {"createdFrom": "2026-01-01"},
        {"status": "Won"},
    ):
        assert counter(other) is None, other
    assert counter_for(LeadQuery(tab=None)) is None
