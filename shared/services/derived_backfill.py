"""Derived rows for leads stored before they existed: an idempotent, resumable backfill.

An operator runs it once after an upgrade that adds derived rows (counters, index rows,
insights figures), through the `backfill_derived_rows` function. It walks each partner's
leads in chunks; each chunk is one queue message that queues the next, so no single run
meets the Functions time limit however many leads a partner has. A lead that has its rows
is skipped, so running it again, or after a crash halfway, does no harm. A lead changed
while the backfill reads it gets its rows from that change.

The same queue repairs counters: `{"recount": "<partnerId>"}` recomputes that partner's tab
counters from its leads and its users' favorites counters from their favorite rows, and
rewrites their shard rows (`recount`). A partner's last backfill chunk queues one, so the
favorites counted before counters existed are counted too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.adapters.lead_repository import ConcurrentUpdate, StoredLead
from shared.domain import lead_counters
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


def _message_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise UnprocessableLead("not JSON") from None
    if not isinstance(body, dict):
        raise UnprocessableLead("expected {}, {partnerId, after} or {recount}")
    return body


def recount_message(raw: bytes) -> str | None:
    """The partner a `{"recount": "<partnerId>"}` message names; None for a backfill message."""
    body = _message_body(raw)
    if "recount" not in body:
        return None
    partner_id = body["recount"]
    if set(body) != {"recount"} or not isinstance(partner_id, str) or not is_valid_partner_id(partner_id):
        raise UnprocessableLead("recount is not a valid partner id")
    return partner_id


def backfill_message(raw: bytes) -> tuple[str | None, str | None]:
    """`(partnerId, after)` of a backfill message; `{}` starts every partner."""
    body = _message_body(raw)
    partner_id, after = body.get("partnerId"), body.get("after")
    if partner_id is not None and (not isinstance(partner_id, str) or not is_valid_partner_id(partner_id)):
        raise UnprocessableLead("partnerId is not a valid partner id")
    if after is not None and (not isinstance(after, str) or not is_lead_id(after)):
        raise UnprocessableLead("after is not a lead id")
    return partner_id, after


def run(services: Services, raw: bytes) -> BackfillResult | RecountResult:
    """One message's work: fan out to every partner, one chunk of one partner's leads, or a recount."""
    recount_partner = recount_message(raw)
    if recount_partner is not None:
        return recount(services, recount_partner)
    partner_id, after = backfill_message(raw)
    if partner_id is None:
        for known in services.partners.partner_ids():
            services.queues.send(LEAD_BACKFILL_QUEUE, {"partnerId": known})
        return BackfillResult(None, 0, 0, None)
    result = backfill_chunk(services, partner_id, after)
    if result.next_after is not None:
        services.queues.send(LEAD_BACKFILL_QUEUE, {"partnerId": partner_id, "after": result.next_after})
    else:
        services.queues.send(LEAD_BACKFILL_QUEUE, {"recount": partner_id})
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


# Each attempt reads every lead's two columns; a change landing meanwhile makes it start over.
RECOUNT_ATTEMPTS = 5


@dataclass(frozen=True)
class RecountResult:
    partner_id: str
    counters: dict[str, dict[str, int]]
    attempts: int


def recount(services: Services, partner_id: str) -> RecountResult:
    """Recompute a partner's counters from its leads and favorites and rewrite their rows.

    The shard rows are read first and written back conditional on that read, after the leads
    were counted: a lead or favorite change in between also changed a shard (in its own
    transaction), so the rewrite fails and the count starts over rather than lose that change.
    Running it again gives the same rows, so it is safe to repeat.
    """
    prefixes = [f"{key}|" for key in lead_counters.LEAD_COUNTER_KEYS] + [lead_counters.FAVORITES_PREFIX]
    attempt = 0
    while True:
        attempt += 1
        snapshot = {
            row_key: row
            for prefix in prefixes
            for row_key, row in services.leads.tally_snapshot(partner_id, prefix).items()
        }
        sums: dict[str, dict[str, int]] = {}
        for qualification, stage in services.leads.counted_leads(partner_id):
            tally = lead_counters.counter_tally(qualification, stage)
            amounts = sums.setdefault(tally.key, {})
            for column, amount in tally.amounts.items():
                amounts[column] = amounts.get(column, 0) + int(amount)
        for user_key, count in services.leads.favorites_by_user(partner_id).items():
            sums[lead_counters.favorites_counter_key(user_key)] = {lead_counters.TOTAL: count}
        try:
            shards = dict.fromkeys(lead_counters.LEAD_COUNTER_KEYS, lead_counters.SHARDS)
            services.leads.rewrite_tallies(partner_id, snapshot, sums, shards)
        except ConcurrentUpdate:
            if attempt == RECOUNT_ATTEMPTS:
                raise
            continue
        return RecountResult(partner_id, sums, attempt)
