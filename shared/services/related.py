"""Related leads (contract §11): the partner's other leads of the same customer.

Found through the `cust|<key>|<leadId>` index rows each lead keeps (`customer_keys`), never by
scanning: a lead has at most three keys, each read is one request for at most
`MAX_RELATED_PER_KEY` rows, and the leads are then read by id. So the cost is the same whatever
the partner has stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from shared.adapters.lead_repository import StoredLead
from shared.domain.customer_keys import customer_keys, customer_row_prefix, related_mark_key
from shared.domain.lead import Lead, Owner
from shared.services.container import Services

# Related leads listed per customer key (newest first); a customer with more shows the newest.
MAX_RELATED_PER_KEY = 50
# Within this long only a customer's first lead is emailed one by one, and it lends its owner.
FOLLOW_UP_WINDOW = timedelta(days=7)


def related_ids(services: Services, lead: Lead) -> list[str]:
    """Ids of the lead's related leads, newest first."""
    found: set[str] = set()
    for key in customer_keys(lead):
        found.update(
            services.leads.indexed_lead_ids(lead.partner_id, customer_row_prefix(key), MAX_RELATED_PER_KEY)
        )
    found.discard(lead.id)
    return sorted(found)


def related_leads(services: Services, lead: Lead) -> list[StoredLead]:
    """The lead's related leads, newest first."""
    return list(services.leads.get_many(lead.partner_id, related_ids(services, lead)))


def _arrival(lead: Lead) -> datetime:
    return lead.arrived_date_time or lead.created_date_time


def _earlier(other: Lead, lead: Lead, arrived: datetime) -> bool:
    """`other` came first: it arrived before, or at the same moment and was created before."""
    other_arrived = _arrival(other)
    return other_arrived < arrived or (other_arrived == arrived and other.id > lead.id)


def _earlier_in_window(found: Iterable[Lead], lead: Lead, arrived: datetime) -> list[Lead]:
    """The customer's lifecycle leads that came before `lead` within the window, earliest first."""
    earlier = [
        other
        for other in found
        if not other.is_informational
        and arrived - FOLLOW_UP_WINDOW <= _arrival(other)
        and _earlier(other, lead, arrived)
    ]
    # Earliest arrival first; at the same moment the one created first (the larger id).
    return sorted(sorted(earlier, key=lambda other: other.id, reverse=True), key=_arrival)


def _first_owner(found: Iterable[Lead], lead: Lead, arrived: datetime) -> Owner | None:
    earlier = _earlier_in_window(found, lead, arrived)
    return earlier[0].owner if earlier else None


def is_follow_up(services: Services, lead: Lead) -> bool:
    """A lifecycle lead whose customer had another one within the window: it goes to the digest."""
    if lead.is_informational:
        return False
    found = [stored.lead for stored in related_leads(services, lead)]
    return bool(_earlier_in_window(found, lead, _arrival(lead)))


def with_related(services: Services, partner_id: str, leads: Iterable[Lead]) -> set[str]:
    """Which of these leads have related leads: those marked `relof|<leadId>` (read by key, so
    bounded by the page, not by the leads stored)."""
    marks = {related_mark_key(lead.id): lead.id for lead in leads}
    return {marks[key] for key in services.leads.existing_rows(partner_id, list(marks))}


def mark_related(services: Services, lead: Lead) -> None:
    """Mark a stored lead and its customer's other leads as having related leads.

    Run after the lead is stored (and again on a redelivery; marks are idempotent): of two of a
    customer's leads stored at the same moment, the one stored second finds the first here,
    whichever order their lookups ran in, so both are marked. Marks are never taken back: a lead
    once related stays marked, even if the other lead's contact details later expire.
    """
    found = related_ids(services, lead)
    if found:
        services.leads.put_rows(lead.partner_id, [related_mark_key(lead_id) for lead_id in [lead.id, *found]])


def inherited_owner(services: Services, lead: Lead, arrived: datetime) -> Owner | None:
    """For a new lifecycle lead: the owner of the customer's first lead within the window."""
    if lead.is_informational:
        return None
    return _first_owner([stored.lead for stored in related_leads(services, lead)], lead, arrived)
