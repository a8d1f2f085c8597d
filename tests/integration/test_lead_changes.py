"""The one change path on Azurite: lost races, If-Match, giving up, and what it publishes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from shared.adapters.lead_repository import LeadRepository, StoredLead
from shared.domain import lifecycle
from shared.domain.commands import AcceptBody, TeamMemberBody
from shared.domain.errors import ServiceError
from shared.domain.intake_mapping import map_referral
from shared.domain.lead import Lead
from shared.domain.lead_ids import new_lead_id
from shared.services import lead_changes
from shared.services.container import Services
from tests.support.leads import accept_body, referral, unique_partner

ACCEPT = AcceptBody.model_validate(accept_body())


class RacedLeads(LeadRepository):
    """The real repository; before each of its first `races` saves, `other_writer` changes the lead."""

    def __init__(self, inner: LeadRepository, other_writer: Callable[[], None], races: int) -> None:
        super().__init__(inner._table)
        self._other_writer = other_writer
        self._races = races
        self.saves = 0

    def save(self, change: lifecycle.Change, stored: StoredLead) -> str:
        self.saves += 1
        if self.saves <= self._races:
            self._other_writer()
        return super().save(change, stored)


def new_lead(services: Services) -> Lead:
    """A stored lead with no validation queued: the session's host would otherwise validate it
    mid-test and be one more writer in the race the test counts."""
    new = map_referral(referral(unique_partner(), created=services.clock()))
    now = services.clock()
    lead = new.to_lead(
        new_lead_id(new.created_date_time or now), now=now, expiry_days=services.settings.lead_expiry_days
    )
    created = lifecycle.created(lead)
    services.leads.create(created, new.idempotency_key)
    lead_changes.publish(services, created)
    return lead


def add_member(name: str) -> lead_changes.Decide:
    body = TeamMemberBody.model_validate({"name": name, "email": f"{name}@p.example"})

    def decide(stored: StoredLead, now: datetime) -> lifecycle.Change:
        return lifecycle.add_team_member(stored.lead, body, actor="u", now=now)

    return decide


def accept(stored: StoredLead, now: datetime) -> lifecycle.Change:
    return lifecycle.accept(stored.lead, ACCEPT, actor="u", now=now)


def race_on_saves(services: Services, lead: Lead, other: lead_changes.Decide, races: int) -> RacedLeads:
    """Make `services` save through a repository that lets another writer change the lead first."""
    writer = Services.build(services.settings, clock=services.clock)
    raced = RacedLeads(
        services.leads, lambda: lead_changes.change(writer, lead.partner_id, lead.id, other), races=races
    )
    services.leads = raced
    return raced


def test_a_lost_race_is_decided_again_on_the_fresh_lead(services: Services) -> None:
    lead = new_lead(services)
    lead_changes.change(services, lead.partner_id, lead.id, accept)
    raced = race_on_saves(services, lead, add_member("Ann"), races=3)

    outcome = lead_changes.change(services, lead.partner_id, lead.id, add_member("Bo"))

    assert outcome is not None and outcome.change is not None
    assert raced.saves == 4  # three lost races, then the fourth attempt landed
    stored = services.leads.get(lead.partner_id, lead.id)
    assert stored is not None and stored.etag == outcome.stored.etag
    assert sorted(member.name for member in stored.lead.team) == ["Ann", "Ann", "Ann", "Bo"]


def test_with_if_match_a_lost_race_is_412_at_once(services: Services) -> None:
    lead = new_lead(services)
    stored = services.leads.get(lead.partner_id, lead.id)
    assert stored is not None
    raced = race_on_saves(services, lead, accept, races=1)

    with pytest.raises(ServiceError) as refused:
        lead_changes.change(services, lead.partner_id, lead.id, accept, if_match=stored.etag)

    assert refused.value.status == 412
    assert raced.saves == 1


def test_a_change_that_keeps_losing_gives_up_after_the_policy_s_attempts(services: Services) -> None:
    lead = new_lead(services)
    lead_changes.change(services, lead.partner_id, lead.id, accept)
    raced = race_on_saves(services, lead, add_member("Ann"), races=99)
    policy = lead_changes.RetryPolicy(attempts=3, step_seconds=0.0, max_pause_seconds=0.0)

    with pytest.raises(lead_changes.ChangeContention):
        lead_changes.change(services, lead.partner_id, lead.id, add_member("Bo"), retry=policy)

    assert raced.saves == 3
    stored = services.leads.get(lead.partner_id, lead.id)
    assert stored is not None and "Bo" not in {member.name for member in stored.lead.team}


def test_nothing_to_change_and_no_such_lead(services: Services) -> None:
    lead = new_lead(services)
    before = services.leads.get(lead.partner_id, lead.id)
    assert before is not None

    unchanged = lead_changes.change(services, lead.partner_id, lead.id, lambda _stored, _now: None)

    assert unchanged is not None and unchanged.change is None and unchanged.stored.etag == before.etag
    assert lead_changes.change(services, unique_partner(), lead.id, accept) is None


def test_a_stored_change_is_published_and_leaves_no_outbox_row(services: Services) -> None:
    lead = new_lead(services)

    outcome = lead_changes.change(services, lead.partner_id, lead.id, accept)

    assert outcome is not None and outcome.change is not None and outcome.change.event is not None
    assert services.leads.pending_events(lead.partner_id, lead.id) == []
