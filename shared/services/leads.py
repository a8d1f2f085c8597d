"""Use cases of the HTTP API: reading leads, favorites, transitions, history, actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from shared.adapters.lead_repository import RowRange, Step, StoredLead
from shared.domain import action_center, lead_counters, lead_index, lifecycle
from shared.domain.enums import Tab
from shared.domain.errors import invalid_transition, not_found, precondition_failed
from shared.domain.lead import Lead, Owner
from shared.domain.lead_ids import is_lead_id
from shared.domain.lead_index import EXPIRY_PREFIX
from shared.domain.lead_query import (
    LEAD_ROW_PREFIX,
    LeadQuery,
    ListRequest,
    Position,
    ReadOrder,
    ReadPlan,
    SortOrder,
    read_plan,
)
from shared.domain.principal import Principal
from shared.services import lead_changes, related
from shared.services.container import Services

_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lead-read")

# Table Storage returns at most 1,000 rows per request.
STORAGE_PAGE_SIZE = 1000
# A list request reads at most this many lead rows (at most 5 storage requests: pages of
# top+1 rows doubling up to the rest), ...
LEAD_ROWS_PER_REQUEST = 1000
# ... or this many index rows and the leads they name (fetched 14 per query): 224 index rows
# are at most 3 index pages and 16 lead queries.
INDEX_ROWS_PER_REQUEST = 224

Decide = Callable[[Lead, datetime], lifecycle.Change | None]


@dataclass(frozen=True)
class LeadView:
    body: dict[str, Any]
    etag: str


@dataclass(frozen=True)
class LeadPage:
    leads: list[dict[str, Any]]
    # Where the next page's read begins; None: the list has no more.
    resume: Position | None


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


def _steps(
    services: Services,
    partner_id: str,
    query: LeadQuery,
    plan: ReadPlan,
    favorites: Future[set[str]],
    *,
    start: Position | None,
    budget: int | None,
    first_page: int,
    page_size: int = STORAGE_PAGE_SIZE,
) -> Iterator[Step]:
    """The rows `plan` reads from `start` on, each with its lead when it is one the list shows."""
    repo = services.leads
    favorites_only = query.tab is Tab.FAVORITES

    def shown(stored: StoredLead) -> bool:
        return query.matches(stored.lead, stored.columns) and (
            not favorites_only or stored.lead.id in favorites.result()
        )

    if plan.order is ReadOrder.EXPIRY:
        return repo.scan_index(
            partner_id,
            ReadOrder.EXPIRY,
            RowRange(EXPIRY_PREFIX, EXPIRY_PREFIX[:-1] + "}"),
            lambda key, stored: lead_index.is_current_expiry_row(key, stored.lead) and shown(stored),
            start=start,
            budget=budget,
            first_page=first_page,
        )
    if plan.order is ReadOrder.WORDS:
        prefix = cast(str, plan.prefix)
        lo, hi = lead_index.prefix_range(prefix)
        return repo.scan_index(
            partner_id,
            ReadOrder.WORDS,
            RowRange(lo, hi),
            lambda key, stored: lead_index.is_first_word_row(key, stored.lead, prefix) and shown(stored),
            start=start,
            budget=budget,
            first_page=first_page,
        )
    if favorites_only:
        return _favorite_steps(services, partner_id, favorites, start=start, budget=budget, shown=shown)
    return repo.scan_leads(
        partner_id, query, start=start, budget=budget, first_page=first_page, page_size=page_size
    )


def _favorite_steps(
    services: Services,
    partner_id: str,
    favorites: Future[set[str]],
    *,
    start: Position | None,
    budget: int | None,
    shown: Callable[[StoredLead], bool],
) -> Iterator[Step]:
    """The caller's favorites, newest first, read by key (at most `budget` of them)."""
    after = start.row_key[len(LEAD_ROW_PREFIX) :] if start is not None else None
    wanted = sorted(
        lead_id
        for lead_id in favorites.result()
        if after is None or lead_id > after or (start is not None and start.inclusive and lead_id == after)
    )
    taken = wanted if budget is None else wanted[:budget]
    found = {stored.lead.id: stored for stored in services.leads.get_many(partner_id, taken)}
    for index, lead_id in enumerate(taken):
        stored = found.get(lead_id)
        last = index == len(taken) - 1
        resume = (
            Position(ReadOrder.CREATED, LEAD_ROW_PREFIX + lead_id)
            if not last or len(wanted) > len(taken)
            else None
        )
        yield Step(stored if stored is not None and shown(stored) else None, resume)


def matching_leads(
    services: Services,
    principal: Principal,
    query: LeadQuery,
    *,
    page_size: int = STORAGE_PAGE_SIZE,
) -> Matches:
    """Every one of the caller's leads matching `query` (newest first; with a search, in the
    order of the matched words), and the caller's favorite ids.

    The favorites are read on another thread while the leads' first page is read, so the
    two round trips overlap. `page_size` is how many rows each storage round trip reads at
    most: an export trades a few round trips for bounded memory.
    """
    favorites = _pool.submit(services.leads.favorite_ids, principal.partner_id, principal.user_id)
    query = query.for_caller(principal.user_id)
    if query.matches_nothing:
        return Matches(iter(()), favorites)
    plan = read_plan(query, SortOrder.CREATED)
    steps = _steps(
        services,
        principal.partner_id,
        query,
        plan,
        favorites,
        start=None,
        budget=None,
        first_page=min(page_size, 64),
        page_size=page_size,
    )
    return Matches((step.stored for step in steps if step.stored is not None), favorites)


def list_leads(services: Services, principal: Principal, request: ListRequest) -> LeadPage:
    """One page of the list: at most `top` leads, from a bounded read.

    Each request reads at most `LEAD_ROWS_PER_REQUEST` lead rows (or `INDEX_ROWS_PER_REQUEST`
    index rows and their leads), whatever the partner has stored; the page holds what that
    read found, and `resume` says where the next request goes on, found or not.
    """
    query = request.query.for_caller(principal.user_id)
    favorites = _pool.submit(services.leads.favorite_ids, principal.partner_id, principal.user_id)
    if query.matches_nothing:
        return LeadPage([], None)
    budget = LEAD_ROWS_PER_REQUEST if request.plan.order is ReadOrder.CREATED else INDEX_ROWS_PER_REQUEST
    steps = _steps(
        services,
        principal.partner_id,
        query,
        request.plan,
        favorites,
        start=request.position,
        budget=budget,
        # One more than the page shows: a page that ends the range then says so.
        first_page=request.top + 1,
    )
    found: list[StoredLead] = []
    resume: Position | None = None
    for step in steps:
        resume = step.resume
        if step.stored is not None:
            found.append(step.stored)
            if len(found) == request.top:
                break
    ids = favorites.result()
    page = [_view(services, stored.lead, stored.etag, stored.lead.id in ids).body for stored in found]
    marked = related.with_related(services, principal.partner_id, [stored.lead for stored in found])
    for body in page:
        body["hasRelatedLeads"] = body["id"] in marked
    return LeadPage(page, resume)


# Leads a filtered count tests at most: one storage request (a page holds at most 1,000 rows),
# whatever the partner has stored.
COUNT_BUDGET = 1000
# A favorites count with filters reads the leads themselves, 14 per storage request.
FAVORITES_COUNT_BUDGET = 140


@dataclass(frozen=True)
class LeadCount:
    count: int
    # False: the count stopped after its budget of rows and is a lower bound.
    exact: bool


def count_leads(services: Services, principal: Principal, query: LeadQuery) -> LeadCount:
    """How many leads the list would show for `query`.

    A tab alone (or a tab and a stage filter) is read from the tab's counter: exact, and one
    request however many leads are stored. Other filters are tested on a bounded window of
    the newest leads, so the answer may be a lower bound.
    """
    partner_id = principal.partner_id
    query = query.for_caller(principal.user_id)
    counted = lead_counters.counter_for(query)
    if counted is not None:
        if query.tab is Tab.FAVORITES:
            return LeadCount(services.leads.favorite_count(partner_id, principal.user_id), True)
        stages = query.columns.get("Stage")
        sums = services.leads.tally(partner_id, lead_counters.tab_counter_key(counted))
        return LeadCount(lead_counters.count_of(sums, stages), True)
    if query.tab is Tab.FAVORITES:
        favorites = sorted(services.leads.favorite_ids(partner_id, principal.user_id))
        window = favorites[:FAVORITES_COUNT_BUDGET]
        found = services.leads.get_many(partner_id, window)
        count = sum(1 for stored in found if query.matches(stored.lead, stored.columns))
        return LeadCount(count, len(window) == len(favorites))
    matches, exhausted = services.leads.lead_window(partner_id, query, COUNT_BUDGET)
    return LeadCount(len(matches), exhausted)


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
            lambda stored, now: lifecycle.by_person(decide(stored.lead, now), principal.name),
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


def recommended_actions(
    services: Services, principal: Principal, *, top: int, after: action_center.SortKey | None
) -> action_center.ActionPage:
    """The action center: read from the index rows of the leads that need doing, never the leads."""
    now = services.clock()
    rows = services.leads.open_actions(principal.partner_id, action_center.open_ranges(now))
    return action_center.action_page(
        rows, now=now, urgency_hours=services.settings.urgency_hours, top=top, after=after
    )


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
