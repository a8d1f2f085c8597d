"""Derived rows for leads stored before they existed: an idempotent, resumable backfill.

An operator runs it once after an upgrade that adds derived rows (counters, index rows,
insights figures), through the `backfill_derived_rows` function. It walks each partner's
leads in chunks; each chunk is one queue message that queues the next, so no single run
meets the Functions time limit however many leads a partner has. A lead that has its rows
is skipped, so running it again, or after a crash halfway, does no harm. A lead changed
while the backfill reads it gets its rows from that change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from shared.adapters.lead_repository import ConcurrentUpdate, StoredLead
from shared.domain.intake_mapping import UnprocessableLead, is_valid_partner_id
from shared.domain.lead_ids import is_lead_id
from shared.domain.lead_query import LeadQuery
from shared.domain.queues import LEAD_BACKFILL_QUEUE
from shared.services.container import Services

# Leads per queue message: well inside one function run, and few enough that a chunk retried
# after a failure redoes little.
CHUNK = 500


@dataclass(frozen=True)
class BackfillResult:
    partner_id: str | None
    read: int
    written: int
    next_after: str | None


def backfill_message(raw: bytes) -> tuple[str | None, str | None]:
    """`(partnerId, after)` of a backfill message; `{}` starts every partner."""
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise UnprocessableLead("not JSON") from None
    if not isinstance(body, dict):
        raise UnprocessableLead("expected {} or {partnerId, after}")
    partner_id, after = body.get("partnerId"), body.get("after")
    if partner_id is not None and (not isinstance(partner_id, str) or not is_valid_partner_id(partner_id)):
        raise UnprocessableLead("partnerId is not a valid partner id")
    if after is not None and (not isinstance(after, str) or not is_lead_id(after)):
        raise UnprocessableLead("after is not a lead id")
    return partner_id, after


def run(services: Services, raw: bytes) -> BackfillResult:
    """One message's work: fan out to every partner, or one chunk of one partner's leads."""
    partner_id, after = backfill_message(raw)
    if partner_id is None:
        for known in services.partners.partner_ids():
            services.queues.send(LEAD_BACKFILL_QUEUE, {"partnerId": known})
        return BackfillResult(None, 0, 0, None)
    result = backfill_chunk(services, partner_id, after)
    if result.next_after is not None:
        services.queues.send(LEAD_BACKFILL_QUEUE, {"partnerId": partner_id, "after": result.next_after})
    return result


def backfill_chunk(
    services: Services, partner_id: str, after: str | None, limit: int = CHUNK
) -> BackfillResult:
    """Write the derived rows of up to `limit` leads after lead id `after` (newest first)."""
    read = written = 0
    last: str | None = None
    for stored in services.leads.query(partner_id, LeadQuery(tab=None), after=after, page_size=limit):
        read += 1
        last = stored.lead.id
        current: StoredLead | None = stored
        while current is not None:
            try:
                written += services.leads.write_derived_rows(current)
                break
            except ConcurrentUpdate:
                current = services.leads.get(partner_id, stored.lead.id)
        if read >= limit:
            return BackfillResult(partner_id, read, written, last)
    return BackfillResult(partner_id, read, written, None)
