"""Claim rows of the Notifications table, read into typed records."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.adapters.notification_log import (
    ClaimRecord,
    ClaimState,
    digest_batch_of,
    digest_claim_key,
    new_lead_claim_key,
)

DAY = date(2026, 11, 20)


def test_a_digest_claim_row_reads_into_its_record() -> None:
    row_key = digest_claim_key(DAY, "Admin@Partner.example", 12)
    record = ClaimRecord.from_entity(
        {
            "PartitionKey": "p",
            "RowKey": row_key,
            "Kind": "Digest",
            "State": "Pending",
            "LeadIds": '["b", "a"]',
            "ClaimedAt": datetime(2026, 11, 21, 7, 0, tzinfo=UTC),
        }
    )
    assert record == ClaimRecord(
        row_key=row_key,
        state=ClaimState.PENDING,
        lead_ids=("b", "a"),
        claimed_at=datetime(2026, 11, 21, 7, 0, tzinfo=UTC),
        digest_batch=12,
    )


def test_a_new_lead_claim_has_no_batch_and_a_naive_time_is_utc() -> None:
    record = ClaimRecord.from_entity(
        {
            "RowKey": new_lead_claim_key("lead-1", "a@p.example"),
            "State": "Sent",
            "ClaimedAt": "2026-11-21T07:00:00",
        }
    )
    assert (record.state, record.lead_ids, record.digest_batch) == (ClaimState.SENT, (), None)
    assert record.claimed_at == datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("batch", [0, 1, 199, 9999])
def test_the_batch_number_reads_back_from_its_row_key(batch: int) -> None:
    assert digest_batch_of(digest_claim_key(DAY, "a@p.example", batch)) == batch


def test_a_claim_in_an_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="Lost"):
        ClaimRecord.from_entity(
            {"RowKey": "mail|NewLead|x|y", "State": "Lost", "ClaimedAt": "2026-11-21T07:00:00"}
        )
