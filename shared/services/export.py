"""CSV export of the filtered lead list (contract §6).

The export runs the list's own filter code (`matching_leads`) over every page, so
it holds exactly the leads the list shows. Rows are read from storage a page at a
time and encoded into the response body as they arrive: memory grows with the
document, and the body is the only copy of it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from shared.domain import csv_export
from shared.domain.lead import Lead
from shared.domain.lead_query import LeadQuery
from shared.domain.principal import Principal
from shared.services.container import Services
from shared.services.leads import matching_leads

log = logging.getLogger(__name__)

# Rows held in memory per storage round trip: small enough that the page is a few MiB
# next to the document, large enough that round trips stay a small share of the time.
EXPORT_PAGE_SIZE = 500


@dataclass(frozen=True)
class CsvDocument:
    filename: str
    body: bytes
    rows: int


def export_csv(services: Services, principal: Principal, query: LeadQuery) -> CsvDocument:
    matches = matching_leads(services, principal, query, page_size=EXPORT_PAGE_SIZE)
    now = services.clock()
    rows = 0

    def with_favorite() -> Iterator[tuple[Lead, bool]]:
        nonlocal rows
        favorites: set[str] | None = None
        for stored in matches.leads:
            # Asked for once the first page is in, so both reads overlap.
            favorites = matches.favorites() if favorites is None else favorites
            rows += 1
            yield stored.lead, stored.lead.id in favorites

    body = csv_export.render(with_favorite())
    log.info(
        "leads exported",
        extra={"partner_id": principal.partner_id, "rows": rows, "bytes": len(body), "tab": query.tab},
    )
    return CsvDocument(csv_export.filename(now), body, rows)
