"""The features that keep rows beside each lead (see `derived_rows`), in one list.

The lead repository writes every contributor's rows with each lead change; the backfill
builds them for leads stored before a contributor existed.
"""

from __future__ import annotations

from shared.domain.derived_rows import Contributor
from shared.domain.partner_center_writeback import PendingWriteBackRows

CONTRIBUTORS: tuple[Contributor, ...] = (PendingWriteBackRows(),)
