"""What a lead change writes beside the lead: index rows put and deleted, tallies moved."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.domain.derived_rows import DerivedChange, IndexRow, TallyDelta, derived_change
from shared.domain.enums import Stage
from shared.domain.intake_mapping import map_marketplace_lead
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from tests.support.derived import ByStage
from tests.support.leads import marketplace_lead

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def lead(**update: object) -> Lead:
    mapped = map_marketplace_lead(marketplace_lead("p1", action_code="PLT", created=NOW))
    return mapped.to_lead(new_lead_id(NOW), now=NOW, expiry_days=14).model_copy(update=update)


def test_a_new_lead_puts_every_row_and_adds_every_tally() -> None:
    new = lead()

    change = derived_change(None, new, [ByStage()])

    assert change.put == (IndexRow(f"stage|Received|{new.id}", {"Company": "Fabrikam BV"}),)
    assert change.delete == ()
    assert change.tallies == (
        TallyDelta("count|all", {"All": 1, "Received": 1}, 1),
        TallyDelta("count|country|NL", {"All": 1}, 2),
    )


def test_a_change_moves_rows_and_counts_and_leaves_the_rest_alone() -> None:
    before = lead()
    after = before.model_copy(update={"stage": Stage.ACCEPTED})

    change = derived_change(before, after, [ByStage()])

    assert [row.row_key for row in change.put] == [f"stage|Accepted|{before.id}"]
    assert change.delete == (f"stage|Received|{before.id}",)
    assert change.tallies == (TallyDelta("count|all", {"Accepted": 1, "Received": -1}, 1),)
    assert change.operation_count == 3


def test_nothing_that_a_contributor_sees_changed_writes_nothing() -> None:
    before = lead()
    after = before.model_copy(update={"customer_need": "Another need"})

    assert derived_change(before, after, [ByStage()]) == DerivedChange()


def test_a_changed_column_rewrites_the_row() -> None:
    before = lead()
    customer = before.customer.model_copy(update={"company": "Northwind"})

    change = derived_change(before, before.model_copy(update={"customer": customer}), [ByStage()])

    assert change.put == (IndexRow(f"stage|Received|{before.id}", {"Company": "Northwind"}),)
    assert change.delete == ()


def test_a_removed_lead_takes_back_what_it_added() -> None:
    old = lead()

    change = derived_change(old, None, [ByStage()])

    assert change.put == ()
    assert change.delete == (f"stage|Received|{old.id}",)
    assert {delta.key: dict(delta.amounts) for delta in change.tallies} == {
        "count|all": {"All": -1, "Received": -1},
        "count|country|NL": {"All": -1},
    }
