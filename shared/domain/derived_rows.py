"""Rows kept beside a lead so that reads can answer by key instead of scanning the partition.

Table Storage answers by PartitionKey and RowKey; a count, a search, a sort other than the
lead id's or an aggregate would otherwise read every lead of the partner. So each lead also
owns a set of rows in its partner's partition, written in the same entity-group transaction
as the lead itself:

- **index rows**: a row per thing a read looks up (`word|<token>|<leadId>` for search,
  `exp|<expiry>|<leadId>` for the expiry sort, ...). A lead's index rows are a pure function
  of the lead, so a change writes the rows the new lead has and deletes those it lost.
- **tallies**: numbers summed over leads (the tab counters, the insights figures). What one
  lead adds to each tally is a pure function of the lead too, so a change adds the
  difference between what the new lead and the old lead contribute. The store keeps each
  tally in a few shard rows, merged with ETags, so racing writers seldom meet.

Each feature that needs such rows is a `Contributor`; `lead_rows.CONTRIBUTORS` lists them.
Because both kinds are functions of the lead alone, rebuilding them for a lead stored
before they existed (a backfill) is the same computation as a live change from "nothing".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from shared.domain.lead import Lead

# What a lead's rows were derived under. A lead stored without this version (before these
# rows existed) has none of them yet: its next change, or the backfill, writes them all.
DERIVED_ROWS_VERSION = 1

ColumnValue = str | int | float | bool | datetime | None
Amount = int | float


@dataclass(frozen=True)
class IndexRow:
    """One row in the lead's partition that exists exactly while the lead has this property."""

    row_key: str
    columns: Mapping[str, ColumnValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Tally:
    """What one lead adds to a sum kept in the partition.

    `key` names the sum (its rows are `<key>|<shard>`); `amounts` are per column. `shards` is
    how many rows the sum is spread over: more shards let more writers change it at once,
    and make reading it cost more rows. Column names must be valid Table property names.
    Amounts should be integers (money in minor units): sums of many increments and
    decrements stay exact only then.
    """

    key: str
    amounts: Mapping[str, Amount]
    shards: int = 1


class Contributor(Protocol):
    """A feature's rows for a lead: pure functions of the lead."""

    def index_rows(self, lead: Lead) -> Iterable[IndexRow]: ...

    def tallies(self, lead: Lead) -> Iterable[Tally]: ...


@dataclass(frozen=True)
class TallyDelta:
    key: str
    amounts: Mapping[str, Amount]
    shards: int


@dataclass(frozen=True)
class DerivedChange:
    """What to write beside a lead change: rows to put, row keys to delete, sums to move."""

    put: tuple[IndexRow, ...] = ()
    delete: tuple[str, ...] = ()
    tallies: tuple[TallyDelta, ...] = ()

    @property
    def operation_count(self) -> int:
        return len(self.put) + len(self.delete) + len(self.tallies)


def _rows(lead: Lead | None, contributors: Iterable[Contributor]) -> dict[str, IndexRow]:
    if lead is None:
        return {}
    rows: dict[str, IndexRow] = {}
    for contributor in contributors:
        for row in contributor.index_rows(lead):
            rows[row.row_key] = row
    return rows


def _tallies(
    lead: Lead | None, contributors: Iterable[Contributor]
) -> dict[str, tuple[int, dict[str, Amount]]]:
    totals: dict[str, tuple[int, dict[str, Amount]]] = {}
    if lead is None:
        return totals
    for contributor in contributors:
        for tally in contributor.tallies(lead):
            _, amounts = totals.setdefault(tally.key, (tally.shards, {}))
            for column, amount in tally.amounts.items():
                amounts[column] = amounts.get(column, 0) + amount
    return totals


def derived_change(
    before: Lead | None, after: Lead | None, contributors: Iterable[Contributor]
) -> DerivedChange:
    """The rows and sums that turn `before`'s derived rows into `after`'s.

    `before` None: the lead had no derived rows (it is new, or was stored before they existed).
    `after` None: the lead's rows go (nothing removes leads today; the backfill's tests use it).
    """
    contributors = tuple(contributors)
    old_rows, new_rows = _rows(before, contributors), _rows(after, contributors)
    put = tuple(row for key, row in sorted(new_rows.items()) if old_rows.get(key) != row)
    delete = tuple(sorted(key for key in old_rows if key not in new_rows))
    old_tallies, new_tallies = _tallies(before, contributors), _tallies(after, contributors)
    deltas: list[TallyDelta] = []
    for key in sorted(old_tallies.keys() | new_tallies.keys()):
        shards, new_amounts = new_tallies.get(key, (0, {}))
        old_shards, old_amounts = old_tallies.get(key, (0, {}))
        amounts = {
            column: new_amounts.get(column, 0) - old_amounts.get(column, 0)
            for column in sorted(new_amounts.keys() | old_amounts.keys())
        }
        amounts = {column: amount for column, amount in amounts.items() if amount != 0}
        if amounts:
            deltas.append(TallyDelta(key, amounts, max(shards, old_shards, 1)))
    return DerivedChange(put, delete, tuple(deltas))
