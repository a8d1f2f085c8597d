"""Use cases of the HTTP API: reading leads, favorites, transitions, history, actions."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.adapters.lead_repository import StoredLead
from shared.domain import action_center, lifecycle
from shared.domain.enums import Stage, Tab
from shared.domain.errors import invalid_transition, not_found, precondition_failed
from shared.domain.lead import Lead, Owner
from shared.domain.lead_ids import is_lead_id
from shared.domain.lead_query import LeadQuery
from shared.domain.principal import Principal
from shared.services import lead_changes, related
from shared.services.container import Services

_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lead-read")

# Table Storage returns at most 1,000 rows per request.
STORAGE_PAGE_SIZE = 1000

Decide = Callable[[Lead, datetime], lifecycle.Change | None]


@dataclass(frozen=True)
class LeadView:
    body: dict[str, Any]
    etag: str


@dataclass(frozen=True)
class LeadPage:
    leads: list[dict[str, Any]]
    last_id: str | None
    more: bool


def _view(services: Services, lead: Lead, etag: str, favorite: bool) -> LeadView:
    body = lead.to_resource(
        now=services.clock(), urgency_hours=services.settings.urgency_hours, favorite=favorite, etag=etag
    )
    return LeadView(body, etag)


def _stored(services: Services, principal: Principal, lead_id: str) -> StoredLead:
    stored = services.leads.get(principal.partner_id, lead_id) if is_lead_id(lead_id) else None
    if stored is None:
        raise not_found()
    return stored


def get_lead(services: Services, principal: Principal, lead_id: str) -> LeadView:
    if not is_lead_id(lead_id):
        raise not_found()
    favorite = _pool.submit(services.leads.is_favorite, principal.partner_id, principal.user_id, lead_id)
    stored = _stored(services, principal, lead_id)
    return _view(services, stored.lead, stored.etag, favorite.result())


@dataclass
class Matches:
    """The caller's matching leads (read as iterated) and, alongside, the caller's favorites."""

    leads: Iterator[StoredLead]
    _favorites: Future[set[str]]

    def favorites(self) -> set[str]:
        return self._favorites.result()


def matching_leads(
    services: Services,
    principal: Principal,
    query: LeadQuery,
    *,
    after: str | None = None,
    page_size: int = STORAGE_PAGE_SIZE,
) -> Matches:
    """The caller's leads matching `query`, newest first, and the caller's favorite ids.

    The favorites are read on another thread while the leads' first page is read, so the
    two round trips overlap. `page_size` is how many rows each storage round trip reads: a
    list page asks for little more than it shows, an export trades a few round trips for
    bounded memory.
    """
    favorites = _pool.submit(services.leads.favorite_ids, principal.partner_id, principal.user_id)
    query = query.for_caller(principal.user_id)
    if query.tab is Tab.FAVORITES:
        wanted = sorted(lead_id for lead_id in favorites.result() if after is None or lead_id > after)
        found = services.leads.get_many(principal.partner_id, wanted)
        return Matches((stored for stored in found if query.matches(stored.lead, stored.columns)), favorites)
    return Matches(
        services.leads.query(principal.partner_id, query, after=after, page_size=page_size), favorites
    )


def list_leads(
    services: Services, principal: Principal, query: LeadQuery, *, top: int, after: str | None
) -> LeadPage:
    # One more than the page shows tells whether there is a next page; a company-name
    # search is filtered in process, so it reads full pages.
    page_size = STORAGE_PAGE_SIZE if query.customer_name else top + 1
    matches = matching_leads(services, principal, query, after=after, page_size=page_size)
    rows = list(itertools.islice(matches.leads, top + 1))
    favorites = matches.favorites()
    page = [
        _view(services, stored.lead, stored.etag, stored.lead.id in favorites).body for stored in rows[:top]
    ]
    marked = related.with_related(services, principal.partner_id, [stored.lead for stored in rows[:top]])
    for body in page:
        body["hasRelatedLeads"] = body["id"] in marked
    return LeadPage(page, page[-1]["id"] if page else None, len(rows) > top)


def count_leads(services: Services, principal: Principal, query: LeadQuery) -> int:
    """How many leads the list would show for `query`, over all its pages."""
    return sum(1 for _stored in matching_leads(services, principal, query).leads)


def set_favorite(services: Services, principal: Principal, lead_id: str, favorite: bool) -> None:
    _stored(services, principal, lead_id)
    if favorite:
        services.leads.set_favorite(principal.partner_id, principal.user_id, lead_id, services.clock())
    else:
        services.leads.remove_favorite(principal.partner_id, principal.user_id, lead_id)


def change_lead(
    services: Services, principal: Principal, lead_id: str, decide: Decide, *, if_match: str | None
) -> LeadView:
    """Apply a lifecycle change: refused (409), stale (412), or stored with its history and event."""
    if not is_lead_id(lead_id):
        raise not_found()
    try:
        outcome = lead_changes.change(
            services,
            principal.partner_id,
            lead_id,
            lambda stored, now: decide(stored.lead, now),
            if_match=if_match,
        )
    except lifecycle.ChangeRefused as refused:
        raise invalid_transition(str(refused)) from None
    except lead_changes.ChangeContention:
        raise precondition_failed(
            "The lead is being changed by others right now; reload it and try again."
        ) from None
    if outcome is None:
        raise not_found()
    favorite = services.leads.is_favorite(principal.partner_id, principal.user_id, lead_id)
    return _view(services, outcome.stored.lead, outcome.stored.etag, favorite)


def history(services: Services, principal: Principal, lead_id: str) -> list[dict[str, Any]]:
    _stored(services, principal, lead_id)
    return [entry.to_resource() for entry in services.leads.history(principal.partner_id, lead_id)]


def recommended_actions(services: Services, principal: Principal) -> list[dict[str, Any]]:
    now = services.clock()
    query = LeadQuery(tab=None, columns={"Stage": frozenset({Stage.RECEIVED.value, Stage.ACCEPTED.value})})
    found: list[action_center.RecommendedAction] = []
    for stored in services.leads.query(principal.partner_id, query):
        found.extend(
            action_center.actions_for(stored.lead, now=now, urgency_hours=services.settings.urgency_hours)
        )
    return [action.to_resource() for action in action_center.ordered(found)]


def assign_owner(
    services: Services, principal: Principal, lead_id: str, owner: Owner | None, *, if_match: str | None
) -> LeadView:
    """Give the lead an owner or none (any user with a role may); unchanged when it has that owner."""
    return change_lead(
        services,
        principal,
        lead_id,
        lambda lead, now: lifecycle.assign_owner(
            lead, owner, actor=principal.user_id, actor_name=principal.name, now=now
        ),
        if_match=if_match,
    )


def related_leads(services: Services, principal: Principal, lead_id: str) -> list[dict[str, Any]]:
    """The lead's related leads (the same customer), newest first."""
    stored = _stored(services, principal, lead_id)
    favorites = _pool.submit(services.leads.favorite_ids, principal.partner_id, principal.user_id)
    found = related.related_leads(services, stored.lead)
    return [
        _view(services, other.lead, other.etag, other.lead.id in favorites.result()).body for other in found
    ]
