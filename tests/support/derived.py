"""A contributor of derived rows for tests of the mechanism itself."""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.derived_rows import IndexRow, Tally
from shared.domain.lead import Lead


class ByStage:
    """A row and a count per stage, and a per-country count with two shards."""

    def index_rows(self, lead: Lead) -> Iterable[IndexRow]:
        yield IndexRow(f"stage|{lead.stage.value}|{lead.id}", {"Company": lead.customer.company})

    def tallies(self, lead: Lead) -> Iterable[Tally]:
        yield Tally("count|all", {lead.stage.value: 1, "All": 1})
        yield Tally(f"count|country|{lead.customer.country}", {"All": 1}, shards=2)
