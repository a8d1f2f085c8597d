"""The features that keep rows beside each lead (see `derived_rows`), in one list.

The lead repository writes every contributor's rows with each lead change; the backfill
builds them for leads stored before a contributor existed.
"""

from __future__ import annotations

from shared.domain.action_center import ActionIndex
from shared.domain.customer_keys import RelatedLeads
from shared.domain.derived_rows import Contributor
from shared.domain.insights import InsightsContributor
from shared.domain.lead_counters import TabCounters
from shared.domain.lead_index import ExpiryOrder, SearchWords
from shared.domain.partner_center_writeback import PendingWriteBackRows

CONTRIBUTORS: tuple[Contributor, ...] = (
    TabCounters(),
    ActionIndex(),
    SearchWords(),
    ExpiryOrder(),
    InsightsContributor(),
    RelatedLeads(),
    PendingWriteBackRows(),
)
