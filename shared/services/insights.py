"""`GET /api/insights` (contract §12): the day rows of the range, rolled up to the periods.

One RowKey range query per calendar month of the range (pages of 1,000 rows; four at a time), for the
groupBy asked: the cost grows with the days and groups asked for, never with the leads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from shared.domain import insights
from shared.domain.insights import DayRow, InsightsRequest
from shared.domain.principal import Principal
from shared.services.container import Services

# The months of a range are read side by side: a year is 13 short queries, not 13 in a row.
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="insights-read")


def _month_rows(
    services: Services, partner_id: str, request: InsightsRequest, first: date, last: date
) -> list[DayRow]:
    low = insights.row_key_prefix(request.group_by, first)
    high = insights.row_key_prefix(request.group_by, last + timedelta(days=1))
    rows: list[DayRow] = []
    for row_key, amounts in services.leads.tally_rows(partner_id, low, high):
        parsed = insights.parse_row_key(row_key)
        if parsed is not None:
            rows.append(DayRow(*parsed, amounts))
    return rows


def day_rows(services: Services, partner_id: str, request: InsightsRequest) -> list[DayRow]:
    months = insights.month_ranges(request.start, request.end)
    reads = [_pool.submit(_month_rows, services, partner_id, request, first, last) for first, last in months]
    return [row for read in reads for row in read.result()]


def insights_report(services: Services, principal: Principal, request: InsightsRequest) -> dict[str, Any]:
    """Whoever may read leads may read their figures; only the caller's partner's rows."""
    principal.require_lead_access()
    return insights.report(request, day_rows(services, principal.partner_id, request))
