"""The tab counters: how many leads each list tab holds, in total and per stage (contract §5).

A count of a tab must cost the same however many leads a partner has, so it is a sum kept
beside the leads (`derived_rows`): each lead adds one to its tab's `All` column and to the
column of its stage, and a change that moves it between stages or tabs moves the one. The
marketplace tab takes in leads in bursts from several intake workers at once, so each tab's
counter is spread over `SHARDS` rows that racing writers seldom share.

The favorites tab is per user and changes with the user's favorite rows, not with the lead:
the repository moves that counter in the same transaction as the favorite row.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.derived_rows import IndexRow, Tally
from shared.domain.enums import Qualification, Stage, Tab
from shared.domain.lead import Lead
from shared.domain.lead_query import LeadQuery

# Shard rows per tab counter: more lets more intake workers add at once; a read sums them all.
SHARDS = 8
# The column counting every lead of the tab; the others are named after a stage.
TOTAL = "All"
COUNTER_PREFIX = "count|"
# The tallies of a user's favorites count (`count|fav|<user key>`, one shard: a user's own clicks).
FAVORITES_PREFIX = f"{COUNTER_PREFIX}fav|"


def tab_of(qualification: Qualification) -> Tab:
    """The list tab a lead of this qualification is listed on (besides favorites)."""
    return Tab.MARKETPLACE if qualification is Qualification.DIRECT else Tab.QUALIFIED


def tab_counter_key(tab: Tab) -> str:
    return f"{COUNTER_PREFIX}{tab.value}"


def favorites_counter_key(user_key: str) -> str:
    return f"{FAVORITES_PREFIX}{user_key}"


# The counters a partner's leads add to (the recount rewrites exactly these).
LEAD_COUNTER_KEYS = (tab_counter_key(Tab.MARKETPLACE), tab_counter_key(Tab.QUALIFIED))


def counter_tally(qualification: Qualification, stage: Stage) -> Tally:
    """What one lead of this qualification and stage adds to its tab's counter."""
    return Tally(tab_counter_key(tab_of(qualification)), {TOTAL: 1, stage.value: 1}, shards=SHARDS)


def count_of(sums: dict[str, int | float], stages: Iterable[str] | None = None) -> int:
    """A counter's value: every lead, or those in `stages` (a stage filter on a tab)."""
    if stages is None:
        return int(sums.get(TOTAL, 0))
    return int(sum(sums.get(stage, 0) for stage in set(stages)))


class TabCounters:
    """The derived-rows contributor of the tab counters: no index rows, one tally per lead."""

    def index_rows(self, lead: Lead) -> Iterable[IndexRow]:
        return ()

    def tallies(self, lead: Lead) -> Iterable[Tally]:
        yield counter_tally(lead.qualification, lead.stage)


def counter_for(query: LeadQuery) -> Tab | None:
    """The tab whose counter answers `query` exactly; None when a filter needs the leads read.

    The tab counters hold a total and a column per stage; the favorites counter only a total.
    A query equal to its tab and stage filter alone has no other filter, whatever filters
    `LeadQuery` may gain.
    """
    stage_only = {column: values for column, values in query.columns.items() if column == "Stage"}
    if query.tab is None or query != LeadQuery(tab=query.tab, columns=stage_only):
        return None
    if query.tab is Tab.FAVORITES and stage_only:
        return None
    return query.tab
