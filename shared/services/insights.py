"""`GET /api/insights` (contract §12): the day rows of the range, rolled up to the periods.

One RowKey range query per calendar month of the range (pages of 1,000 rows), for the
groupBy asked: the cost grows with the days and groups asked for, never with the leads.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.domain import insights
from shared.domain.insights import DayRow, InsightsRequest
from shared.domain.principal import Principal
from shared.services.container import Services


def day_rows(services: Services, partner_id: str, request: InsightsRequest) -> list[DayRow]:
    rows: list[DayRow] = []
    for first, last in insights.month_ranges(request.start, request.end):
        low = insights.row_key_prefix(request.group_by, first)
        high = insights.row_key_prefix(request.group_by, last + timedelta(days=1))
        for row_key, amounts in services.leads.tally_rows(partner_id, low, high):
            parsed = insights.parse_row_key(row_key)
            if parsed is not None:
                rows.append(DayRow(*parsed, amounts))
    return rows


def insights_report(services: Services, principal: Principal, request: InsightsRequest) -> dict[str, Any]:
    """Whoever may read leads may read their figures; only the caller's partner's rows."""
    principal.require_lead_access()
    return insights.report(request, day_rows(services, principal.partner_id, request))
