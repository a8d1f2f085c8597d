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
from shared.domain.customer_keys import customer_count_key, customer_keys, customer_row_prefix
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


def earlier_in_window(services: Services, lead: Lead, arrived: datetime) -> list[Lead]:
    """The customer's lifecycle leads that came before `lead` within the window, earliest first."""
    earlier = [
        stored.lead
        for stored in related_leads(services, lead)
        if not stored.lead.is_informational
        and arrived - FOLLOW_UP_WINDOW <= _arrival(stored.lead)
        and _earlier(stored.lead, lead, arrived)
    ]
    # Earliest arrival first; at the same moment the one created first (the larger id).
    return sorted(sorted(earlier, key=lambda other: other.id, reverse=True), key=_arrival)


def is_follow_up(services: Services, lead: Lead) -> bool:
    """A lifecycle lead whose customer had another one within the window: it goes to the digest."""
    return not lead.is_informational and bool(earlier_in_window(services, lead, _arrival(lead)))


def inherited_owner(services: Services, lead: Lead, arrived: datetime) -> Owner | None:
    """The owner of the customer's first lead within the window, for a new lifecycle lead."""
    if lead.is_informational:
        return None
    earlier = earlier_in_window(services, lead, arrived)
    return earlier[0].owner if earlier else None


def with_related(services: Services, partner_id: str, leads: Iterable[Lead]) -> set[str]:
    """Which of these leads have related leads: a key that more than one lead shares (one read
    of the per-key counts per 14 keys, so bounded by the page, not by the leads stored)."""
    keys_of = {lead.id: customer_keys(lead) for lead in leads}
    keys = sorted({key for keys in keys_of.values() for key in keys})
    counts = services.leads.tallies_of(partner_id, [customer_count_key(key) for key in keys])
    shared = {key for key in keys if counts.get(customer_count_key(key), {}).get("Leads", 0) > 1}
    return {lead_id for lead_id, keys in keys_of.items() if shared.intersection(keys)}
