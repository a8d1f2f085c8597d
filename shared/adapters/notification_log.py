"""Notification bookkeeping in the `Notifications` table, PartitionKey = partner id.

Rows (the partner's settings row, RowKey `settings`, lives in the same partition):
- `day|<YYYY-MM-DD>|count`          how many individual emails the day has used (ETag-guarded);
- `day|<YYYY-MM-DD>|lead|<leadId>`  the lead's delivery for its day of arrival: `Individual`
                                    (with its slot number) or `Digest`; written once, never changed;
- `day|<YYYY-MM-DD>|digest`         the day's digest run has started (`Started`) or finished (`Done`);
- `mail|<kind>|<subject>|<recipient>` one email's claim: `Pending`, then `Sent` or `Failed`.
  The subject is the lead id (`NewLead`, `ContactOverdue`) or `<day>|<batch>` (`Digest`).

The count row and the lead's delivery row change in one entity-group transaction, so a slot is
taken exactly when the lead's delivery row is created: a redelivered lead finds its row and never
takes a second slot, and a crash between the two cannot leak one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity, TableTransactionError, UpdateMode

# Contention on one partner's count row: one writer wins per round, so 16 workers need up
# to 16 rounds; beyond this the message is retried by the host.
_ASSIGN_ATTEMPTS = 64
# A released claim: its lease has long expired, so the next attempt takes it over at once.
_RELEASED = datetime(2000, 1, 1, tzinfo=UTC)


class Delivery(StrEnum):
    INDIVIDUAL = "Individual"
    DIGEST = "Digest"


class ClaimState(StrEnum):
    PENDING = "Pending"
    SENT = "Sent"
    FAILED = "Failed"


class ClaimOutcome(StrEnum):
    WON = "Won"  # a fresh claim: this caller sends
    TAKEN_OVER = "TakenOver"  # an abandoned Pending claim whose lease expired: this caller sends again
    DONE = "Done"  # already Sent or Failed: nothing to do
    IN_PROGRESS = "InProgress"  # another worker holds a live claim


@dataclass(frozen=True)
class Assignment:
    day: date
    lead_id: str
    delivery: Delivery
    slot: int | None


@dataclass(frozen=True)
class Claim:
    row_key: str
    outcome: ClaimOutcome
    lead_ids: tuple[str, ...]
    etag: str | None = None


@dataclass(frozen=True)
class ClaimRecord:
    """One email's claim row as stored: its state and the leads it was claimed for."""

    row_key: str
    state: ClaimState
    lead_ids: tuple[str, ...]
    claimed_at: datetime
    # The digest batch number the row key ends in; None for a claim of another kind.
    digest_batch: int | None

    @classmethod
    def from_entity(cls, entity: dict[str, Any]) -> ClaimRecord:
        row_key = entity["RowKey"]
        return cls(
            row_key=row_key,
            state=ClaimState(entity["State"]),
            lead_ids=tuple(json.loads(entity.get("LeadIds") or "[]")),
            claimed_at=_as_utc(entity["ClaimedAt"]),
            digest_batch=digest_batch_of(row_key),
        )


class AssignmentContention(Exception):
    """The day's count row kept changing under us; the message is retried later."""


def recipient_key(address: str) -> str:
    """A RowKey-safe, case-insensitive name for a recipient address."""
    return hashlib.sha256(address.strip().casefold().encode("utf-8")).hexdigest()[:32]


def _day_prefix(day: date) -> str:
    return f"day|{day.isoformat()}|"


def _is_conflict(error: Exception) -> bool:
    return getattr(error, "status_code", None) in (409, 412) or getattr(error, "error_code", None) in (
        "EntityAlreadyExists",
        "UpdateConditionNotSatisfied",
        "ConditionNotMet",
    )


def _as_utc(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class NotificationLog:
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def _get(self, partner_id: str, row_key: str) -> TableEntity | None:
        try:
            return self._table.get_entity(partner_id, row_key)
        except ResourceNotFoundError:
            return None

    # -- the day's individual emails and the digest ----------------------------------------

    def assignment(self, partner_id: str, day: date, lead_id: str) -> Assignment | None:
        row = self._get(partner_id, f"{_day_prefix(day)}lead|{lead_id}")
        if row is None:
            return None
        return Assignment(day, lead_id, Delivery(row["Delivery"]), row.get("Slot"))

    def assign(
        self, partner_id: str, day: date, lead_id: str, *, limit: int, now: datetime, to_digest: bool = False
    ) -> Assignment:
        """The lead's delivery for its day: one of the first `limit` slots, else the digest
        (`to_digest`: the digest, taking no slot).

        Race-free: the slot count and the lead's row change together or not at all.
        """
        prefix = _day_prefix(day)
        lead_row = {"PartitionKey": partner_id, "RowKey": f"{prefix}lead|{lead_id}", "AssignedAt": now}
        for _attempt in range(_ASSIGN_ATTEMPTS):
            existing = self.assignment(partner_id, day, lead_id)
            if existing is not None:
                return existing
            counter = self._get(partner_id, f"{prefix}count")
            used = int(counter["Count"]) if counter is not None else 0
            operations: list[Any] = []
            if used < limit and not to_digest:
                slot = used + 1
                count_row = {"PartitionKey": partner_id, "RowKey": f"{prefix}count", "Count": slot}
                if counter is None:
                    operations.append(("create", count_row))
                else:
                    operations.append(
                        (
                            "update",
                            count_row,
                            {
                                "mode": UpdateMode.REPLACE,
                                "etag": counter.metadata["etag"],
                                "match_condition": MatchConditions.IfNotModified,
                            },
                        )
                    )
                assignment = Assignment(day, lead_id, Delivery.INDIVIDUAL, slot)
            else:
                assignment = Assignment(day, lead_id, Delivery.DIGEST, None)
            operations.append(
                ("create", {**lead_row, "Delivery": assignment.delivery.value, "Slot": assignment.slot})
            )
            try:
                self._table.submit_transaction(operations)
            except (TableTransactionError, HttpResponseError) as error:
                if _is_conflict(error):
                    continue  # another lead took the slot, or another delivery of this lead won
                raise
            return assignment
        raise AssignmentContention(f"{partner_id} {day.isoformat()}")

    def digest_lead_ids(self, partner_id: str, day: date) -> list[str]:
        """Leads of the day that wait for the digest, in lead-id order (newest first)."""
        prefix = f"{_day_prefix(day)}lead|"
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi and Delivery eq @delivery",
            parameters={
                "pk": partner_id,
                "lo": prefix,
                "hi": prefix[:-1] + "}",
                "delivery": Delivery.DIGEST.value,
            },
            select=["RowKey"],
        )
        return sorted(row["RowKey"][len(prefix) :] for row in rows)

    def digest_state(self, partner_id: str, day: date) -> str | None:
        row = self._get(partner_id, f"{_day_prefix(day)}digest")
        return None if row is None else row["State"]

    def set_digest_state(self, partner_id: str, day: date, state: str, now: datetime) -> None:
        self._table.upsert_entity(
            {"PartitionKey": partner_id, "RowKey": f"{_day_prefix(day)}digest", "State": state, "At": now},
            mode=UpdateMode.MERGE,
        )

    # -- one email: claim, then Sent or Failed ------------------------------------------------

    def claim(
        self,
        partner_id: str,
        row_key: str,
        *,
        kind: str,
        recipient: str,
        lead_ids: tuple[str, ...],
        now: datetime,
        lease: timedelta,
    ) -> Claim:
        """Claim one email for sending. Exactly one caller wins a fresh claim; a Pending claim
        older than `lease` (its holder crashed, or released it after a transient failure) is
        taken over by exactly one caller, with the lead ids it was claimed for."""
        entity = {
            "PartitionKey": partner_id,
            "RowKey": row_key,
            "Kind": kind,
            "Recipient": recipient,
            "LeadIds": json.dumps(list(lead_ids)),
            "State": ClaimState.PENDING.value,
            "ClaimedAt": now,
            "Attempts": 1,
        }
        for _attempt in range(3):
            try:
                created = self._table.create_entity(entity)
                return Claim(row_key, ClaimOutcome.WON, lead_ids, created.get("etag"))
            except ResourceExistsError:
                pass
            row = self._get(partner_id, row_key)
            if row is None:
                continue  # deleted between our insert and our read: try the insert again
            existing = ClaimRecord.from_entity(row)
            claimed_ids = existing.lead_ids
            if existing.state is not ClaimState.PENDING:
                return Claim(row_key, ClaimOutcome.DONE, claimed_ids)
            if now - existing.claimed_at < lease:
                return Claim(row_key, ClaimOutcome.IN_PROGRESS, claimed_ids)
            try:
                updated = self._table.update_entity(
                    {
                        "PartitionKey": partner_id,
                        "RowKey": row_key,
                        "ClaimedAt": now,
                        "Attempts": int(row.get("Attempts") or 1) + 1,
                    },
                    mode=UpdateMode.MERGE,
                    etag=row.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
            except HttpResponseError as error:
                if _is_conflict(error):
                    return Claim(row_key, ClaimOutcome.IN_PROGRESS, claimed_ids)
                raise
            return Claim(row_key, ClaimOutcome.TAKEN_OVER, claimed_ids, updated.get("etag"))
        return Claim(row_key, ClaimOutcome.IN_PROGRESS, lead_ids)

    def finish(
        self, partner_id: str, claim: Claim, state: ClaimState, now: datetime, detail: str = ""
    ) -> None:
        self._table.update_entity(
            {
                "PartitionKey": partner_id,
                "RowKey": claim.row_key,
                "State": state.value,
                "FinishedAt": now,
                "Detail": detail[:1000],
            },
            mode=UpdateMode.MERGE,
        )

    def release(self, partner_id: str, claim: Claim) -> None:
        """Give a claim up after a transient failure: the next attempt takes it over at once,
        and sends the same email (same lead ids, same idempotency key)."""
        if claim.etag is None:
            return
        try:
            self._table.update_entity(
                {"PartitionKey": partner_id, "RowKey": claim.row_key, "ClaimedAt": _RELEASED},
                mode=UpdateMode.MERGE,
                etag=claim.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except HttpResponseError as error:
            if not _is_conflict(error):
                raise
            # Someone took the claim over meanwhile: it is theirs now.

    def claims(self, partner_id: str, prefix: str) -> list[ClaimRecord]:
        """The claim rows whose key starts with `prefix` (one recipient's digests of a day)."""
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": prefix, "hi": prefix[:-1] + "}"},
        )
        return [ClaimRecord.from_entity(row) for row in rows]


def new_lead_claim_key(lead_id: str, recipient: str) -> str:
    return f"mail|NewLead|{lead_id}|{recipient_key(recipient)}"


def overdue_claim_key(lead_id: str, recipient: str) -> str:
    return f"mail|ContactOverdue|{lead_id}|{recipient_key(recipient)}"


_DIGEST_KIND = "mail|Digest|"


def digest_claim_prefix(day: date, recipient: str) -> str:
    return f"{_DIGEST_KIND}{day.isoformat()}|{recipient_key(recipient)}|"


def digest_claim_key(day: date, recipient: str, batch: int) -> str:
    return f"{digest_claim_prefix(day, recipient)}{batch:04d}"


def digest_batch_of(row_key: str) -> int | None:
    """The batch number of a digest claim's row key (`digest_claim_key`); None for other claims."""
    if not row_key.startswith(_DIGEST_KIND):
        return None
    return int(row_key.rsplit("|", 1)[1])
