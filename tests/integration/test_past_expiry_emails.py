"""A lead past its expiry is never emailed with its contact, whatever order the stages and timers
run in (contract §7, §8): expired before anyone is emailed, and no `ContactOverdue` about it."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from shared.domain.enums import NotificationKind, Status
from shared.services import notifications, sweeps
from shared.services.container import Services
from tests.conftest import Clock
from tests.integration.test_expiry_privacy import ALMOST, TRACES, ingest, stored, validate
from tests.integration.test_notifications import CountingSender, set_recipients
from tests.support.leads import unique_partner

Step = Callable[[Services, str, str, CountingSender], object]


def _notify(services: Services, partner: str, lead_id: str, sender: CountingSender) -> object:
    message = json.dumps({"partnerId": partner, "leadId": lead_id}).encode()
    return notifications.notify_lead(services, message, sender)


def _overdue_sweep(services: Services, _partner: str, _lead_id: str, sender: CountingSender) -> object:
    return sweeps.flag_overdue_contact_requests(
        services, remind=lambda s, found: notifications.remind_contact_overdue(s, found, sender)
    )


STEPS: dict[str, Step] = {
    "validate": lambda services, partner, lead_id, _sender: validate(services, partner, lead_id),
    "notify": _notify,
    "expire": lambda services, _partner, _lead_id, _sender: sweeps.expire_leads(services),
    "overdue": _overdue_sweep,
}
# The notification message exists only once validation has sent it.
ORDERS = [order for order in itertools.permutations(STEPS) if order.index("validate") < order.index("notify")]


def _assert_no_contact_in(sender: CountingSender, lead_id: str) -> None:
    """No email about the lead holds its contact, and none reminds of it. The sweeps go over every
    partner the storage knows, so the emails they send about other tests' leads are left out."""
    about = [message for message in sender.sent if lead_id in message.lead_ids]
    for message in about:
        content = "\n".join((message.subject, message.text, message.html)).casefold()
        found = [trace for trace in TRACES if trace.casefold() in content]
        assert found == [], (message.kind, found)
    assert NotificationKind.CONTACT_OVERDUE not in [message.kind for message in about]


@pytest.mark.parametrize("order", ORDERS, ids="-".join)
def test_a_lead_arriving_past_its_expiry_is_never_emailed_with_its_contact(
    services: Services, tmp_path: Path, order: tuple[str, ...]
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, "sales@partner.example")
    sender = CountingSender(tmp_path / "outbox")
    lead_id = ingest(services, partner, age=timedelta(days=15))

    for name in order:
        STEPS[name](services, partner, lead_id, sender)

    assert stored(services, partner, lead_id).lead.status is Status.EXPIRED
    _assert_no_contact_in(sender, lead_id)


@pytest.mark.parametrize("order", list(itertools.permutations(["notify", "expire", "overdue"])), ids="-".join)
def test_a_lead_whose_expiry_passes_after_validation_is_not_emailed_with_its_contact(
    services: Services, clock: Clock, tmp_path: Path, order: tuple[str, ...]
) -> None:
    partner = unique_partner()
    set_recipients(services, partner, "sales@partner.example")
    sender = CountingSender(tmp_path / "outbox")
    lead_id = ingest(services, partner, age=ALMOST)
    validate(services, partner, lead_id)
    assert stored(services, partner, lead_id).lead.status is Status.RECEIVED
    clock.advance(minutes=2)  # its expiry passes before its email is sent

    for name in order:
        STEPS[name](services, partner, lead_id, sender)

    assert stored(services, partner, lead_id).lead.status is Status.EXPIRED
    _assert_no_contact_in(sender, lead_id)
