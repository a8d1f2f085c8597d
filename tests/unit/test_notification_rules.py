"""The rules around notifications that need no storage: settings bodies, digest input, row keys."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from shared.adapters.notification_log import (
    digest_claim_key,
    digest_claim_prefix,
    new_lead_claim_key,
    overdue_claim_key,
    recipient_key,
)
from shared.domain.recipients import MAX_RECIPIENTS, NotificationSettingsBody
from shared.services.notifications import parse_digest_input, previous_utc_day

# Table Storage forbids these in a RowKey.
_ROW_KEY_FORBIDDEN = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")


def _body(*addresses: str) -> dict[str, object]:
    return {"recipients": [{"email": address, "name": None} for address in addresses]}


def test_a_partner_may_list_up_to_fifty_recipients() -> None:
    addresses = [f"admin{n}@partner.example" for n in range(MAX_RECIPIENTS)]
    assert len(NotificationSettingsBody.model_validate(_body(*addresses)).recipients) == 50
    with pytest.raises(ValidationError):
        NotificationSettingsBody.model_validate(_body(*addresses, "one-more@partner.example"))


def test_no_recipients_is_a_valid_setting() -> None:
    assert NotificationSettingsBody.model_validate({"recipients": []}).recipients == []


@pytest.mark.parametrize(
    "addresses",
    [
        ("admin@partner.example", "ADMIN@partner.example"),
        ("Admin@Partner.Example", "admin@partner.example"),
    ],
)
def test_an_address_listed_twice_in_any_letter_case_is_refused(addresses: tuple[str, str]) -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        NotificationSettingsBody.model_validate(_body(*addresses))


@pytest.mark.parametrize(
    "address", ["not-an-address", "a@b", "two@@partner.example", "", "x@partner.example\n"]
)
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError):
        NotificationSettingsBody.model_validate(_body(address))


def test_unknown_fields_and_wrong_types_are_refused() -> None:
    with pytest.raises(ValidationError):
        NotificationSettingsBody.model_validate({"recipients": [], "cc": []})
    with pytest.raises(ValidationError):
        NotificationSettingsBody.model_validate({"recipients": [{"email": 42}]})


def test_a_scheduled_digest_run_has_no_day_and_an_admin_run_names_one() -> None:
    assert parse_digest_input(None) is None
    assert parse_digest_input("") is None
    assert parse_digest_input('{"date": "2026-11-20"}') == date(2026, 11, 20)


@pytest.mark.parametrize("admin_input", ['{"date": "2026-13-01"}', '{"day": "2026-11-20"}', "[]", "tomorrow"])
def test_digest_input_that_names_no_day_is_an_error(admin_input: str) -> None:
    with pytest.raises(ValueError):
        parse_digest_input(admin_input)


def test_the_scheduled_digest_covers_the_previous_utc_day() -> None:
    assert previous_utc_day(datetime(2026, 11, 21, 7, 0, tzinfo=UTC)) == date(2026, 11, 20)
    assert previous_utc_day(datetime(2026, 3, 1, 0, 0, tzinfo=UTC)) == date(2026, 2, 28)


def test_recipient_keys_ignore_letter_case_and_are_row_key_safe() -> None:
    assert recipient_key("Sales@Partner.example") == recipient_key(" sales@partner.EXAMPLE ")
    assert recipient_key("a@partner.example") != recipient_key("b@partner.example")
    odd = "we/ird#?\\@partner.example"
    for key in (
        new_lead_claim_key("L1", odd),
        overdue_claim_key("L1", odd),
        digest_claim_key(date(2026, 1, 2), odd, 3),
    ):
        assert not _ROW_KEY_FORBIDDEN.search(key)


def test_each_kind_claims_its_own_row() -> None:
    recipient = "admin@partner.example"
    assert new_lead_claim_key("L1", recipient) != overdue_claim_key("L1", recipient)
    assert new_lead_claim_key("L1", recipient) != new_lead_claim_key("L2", recipient)
    first, second = (digest_claim_key(date(2026, 1, 2), recipient, n) for n in (0, 1))
    prefix = digest_claim_prefix(date(2026, 1, 2), recipient)
    assert first != second and first.startswith(prefix) and second.startswith(prefix)
    assert not digest_claim_key(date(2026, 1, 3), recipient, 0).startswith(prefix)
    # Batches sort in the order they were claimed.
    assert sorted([digest_claim_key(date(2026, 1, 2), recipient, n) for n in (10, 2)])[0].endswith("0002")
