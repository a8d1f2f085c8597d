"""The composition root on real Azurite: what `Services` builds, and the stage runner's plain inputs."""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid

import pytest

from shared.adapters.mail_domain_resolver import MailDomainResolver
from shared.adapters.storage_clients import PARTNERS_TABLE
from shared.domain.intake_mapping import UnprocessableLead
from shared.domain.queues import poison_queue_name
from shared.services.container import Services
from shared.services.queue_stage import run_stage
from tests.support.leads import unique_partner


def test_a_partner_is_written_once_per_services_instance_and_again_by_a_new_one(services: Services) -> None:
    partner = unique_partner()
    table = services.clients.table(PARTNERS_TABLE)
    services.register_partner(partner)
    table.delete_entity("partner", partner)

    services.register_partner(partner)  # remembered: no second write
    assert partner not in services.partner_ids()

    rebuilt = Services.build(services.settings, clock=services.clock)
    rebuilt.register_partner(partner)  # a new process's memory starts empty
    assert partner in services.partner_ids()


def test_the_mail_domain_check_is_built_only_when_the_setting_asks_for_it(services: Services) -> None:
    assert services.domain_lookup is None  # the tests run with EMAIL_DELIVERABILITY_CHECK=off
    with_dns = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, email_deliverability_check="dns")
    )
    assert isinstance(with_dns.domain_lookup, MailDomainResolver)
    assert with_dns.domain_lookup is with_dns.domain_lookup  # one resolver, one answer cache


def test_a_stage_gets_the_services_and_the_body_and_poisons_what_can_never_succeed(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    queue = f"wiring-{uuid.uuid4().hex[:12]}"
    seen: list[tuple[Services, bytes]] = []

    def refuse(given: Services, body: bytes) -> None:
        seen.append((given, body))
        raise UnprocessableLead("not a lead")

    with caplog.at_level(logging.INFO, logger="leads.pipeline"):
        run_stage(services, queue, b'{"x": 1}', refuse, message_id="m-1", dequeue_count=1)

    assert seen == [(services, b'{"x": 1}')]
    poison = services.clients.queue(poison_queue_name(queue))
    try:
        (parked,) = poison.peek_messages(max_messages=5)
        assert parked.content == '{"x": 1}'
    finally:
        poison.delete_queue()
    (record,) = [json.loads(r.getMessage().removeprefix("message ")) for r in caplog.records]
    assert record == {
        "queue": queue,
        "messageId": "m-1",
        "dequeueCount": 1,
        "outcome": "poisoned",
        "reason": "not a lead",
    }
