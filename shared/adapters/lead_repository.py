"""Leads in Azure Table Storage, one partition per partner.

Rows of the `Leads` table, PartitionKey = partner id:
- `lead|<leadId>`   the lead: its JSON in `Data*` columns in the stored format named by
                    `FormatVersion` (`lead_format`), plus indexed columns for filters;
- `key|<key>`       the idempotency key of an inbound message, written with the lead it made;
- `hist|<leadId>|<seq>` audit entries, written with the change they record;
- `out|<eventId>`   events waiting to be published (a transactional outbox);
- `fav|<userId>|<leadId>` a user's favorites, with `count|fav|<userId>|0` their number;
- index rows and tally shards derived from each lead (`derived_rows`), written with it.

Every query names the partition and is built with parameter substitution.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.core.paging import PageIterator
from azure.data.tables import (
    EdmType,
    EntityProperty,
    TableClient,
    TableEntity,
    TableTransactionError,
    UpdateMode,
)

from shared.adapters.azure_limits import MAX_BATCH_OPERATIONS, MAX_FILTER_COMPARISONS, filter_comparisons
from shared.adapters.lead_format import FORMAT_VERSION_COLUMN, lead_from_json, lead_to_json
from shared.domain import lead_rows
from shared.domain.action_center import ROW_COLUMNS, KeyRange
from shared.domain.derived_rows import (
    DERIVED_ROWS_VERSION,
    Contributor,
    DerivedChange,
    TallyDelta,
    derived_change,
)
from shared.domain.enums import HistoryAction, Qualification, Stage, Status
from shared.domain.lead import Lead
from shared.domain.lead_counters import TOTAL, favorites_counter_key
from shared.domain.lead_ids import id_bound
from shared.domain.lead_index import lead_id_of_key
from shared.domain.lead_query import LEAD_ROW_PREFIX, LeadQuery, Position, ReadOrder
from shared.domain.lifecycle import Change, HistoryEntry, LeadEvent

LEAD_PREFIX = LEAD_ROW_PREFIX
# Table Storage holds at most 32K UTF-16 code units (64 KiB) in one string property, and
# 1 MiB in one entity. A character outside the BMP (an emoji) takes two code units, so
# 15,000 characters always fit in one property, whatever the text.
_CHUNK = 15_000
_MAX_CHUNKS = 30
_SAFE_USER = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
# Rows of the first storage page of a list query (a list page shows 50 by default).
_FIRST_PAGE = 64
# Leads fetched per `PartitionKey eq ... and ( RowKey eq ... or ... )` query when reading a
# known set: one comparison for the partition, the rest of Azure's 15 for the ids.
IDS_PER_QUERY = MAX_FILTER_COMPARISONS - 1
# The lead entity's column naming the version its derived rows were written under.
DERIVED_ROWS_COLUMN = "DerivedRows"
# A new lead's transaction can also lose a race on a tally shard; it is read and tried again.
_CREATE_ATTEMPTS = 30
# Table Storage returns at most 1,000 rows per request.
_MAX_PAGE = 1000
# Leads named by index rows are fetched this many at a time (four queries of 14, at once).
_FETCH_CHUNK = 4 * IDS_PER_QUERY
_fetch_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lead-fetch")


@dataclass(frozen=True)
class Step:
    """One row of a bounded read: the lead it yields (None: no lead to show for this row) and
    where reading continues after it (None: nothing is left in the range)."""

    stored: StoredLead | None
    resume: Position | None


@dataclass(frozen=True)
class RowRange:
    """Row keys from `lo` (inclusive unless `after`) up to `hi` (exclusive), in key order."""

    lo: str
    hi: str
    after: bool = False

    def resumed(self, position: Position | None) -> RowRange:
        """The range from `position` on, or this range if the position lies before it."""
        if position is None or position.row_key < self.lo:
            return self
        if position.row_key == self.lo:
            return RowRange(self.lo, self.hi, self.after or not position.inclusive)
        return RowRange(position.row_key, self.hi, not position.inclusive)


# A turn counter is one row every routed lead of a rule writes: one racer wins per round, so it
# takes more rounds under a burst (each lost round means another lead was stored).
_TURN_ATTEMPTS = 100


class ConcurrentUpdate(Exception):
    """The lead changed since it was read (storage answered 412)."""


class DuplicateLead(Exception):
    def __init__(self, lead_id: str) -> None:
        super().__init__(lead_id)
        self.lead_id = lead_id


@dataclass(frozen=True)
class StoredLead:
    lead: Lead
    etag: str
    columns: dict[str, str | None]
    # The `DERIVED_ROWS_VERSION` its derived rows were written under; None: it has none yet.
    derived_version: int | None = DERIVED_ROWS_VERSION

    @property
    def lead_with_derived_rows(self) -> Lead | None:
        """The lead whose derived rows are stored, as `derived_change` takes it."""
        return self.lead if self.derived_version == DERIVED_ROWS_VERSION else None


@dataclass(frozen=True)
class Turn:
    """A turn counter taken in a new lead's own creation transaction (round-robin routing).

    `row_key` names the counter row in the partner's partition; `decide` turns the turn number
    the counter stands at into the change to store. The counter moves on exactly when the lead
    is stored: a lost race is decided again on the fresh count, a duplicate takes no turn, and
    a crash before the transaction takes none either, so turns are exact.
    """

    row_key: str
    decide: Callable[[int], Change]


def lead_row_key(lead_id: str) -> str:
    return LEAD_PREFIX + lead_id


def _user_key(user_id: str) -> str:
    return user_id if _SAFE_USER.match(user_id) else "h-" + hashlib.sha256(user_id.encode()).hexdigest()


def _favorite_key(user_key: str, lead_id: str) -> str:
    return f"fav|{user_key}|{lead_id}"


def index_columns(lead: Lead) -> dict[str, str | None]:
    """The lead's values that list filters match on, stored as plain columns."""
    return {
        "Qualification": lead.qualification.value,
        "LeadType": lead.lead_type.value,
        "LeadSource": lead.lead_source.value if lead.lead_source else None,
        "CallToAction": lead.call_to_action.value if lead.call_to_action else None,
        "Country": lead.customer.country,
        "Quality": lead.quality.value if lead.quality else None,
        "Stage": lead.stage.value,
        "Status": lead.status.value if lead.status else None,
        "EmailValidity": lead.email_validity.value if lead.email_validity else None,
        "PhoneValidity": lead.phone_validity.value if lead.phone_validity else None,
        "Owner": lead.owner.user_id if lead.owner else None,
    }


def lead_entity(lead: Lead) -> dict[str, Any]:
    version, data = lead_to_json(lead)
    chunks = [data[i : i + _CHUNK] for i in range(0, len(data), _CHUNK)]
    if len(chunks) > _MAX_CHUNKS:
        raise ValueError("lead is too large to store")
    entity: dict[str, Any] = {
        "PartitionKey": lead.partner_id,
        "RowKey": lead_row_key(lead.id),
        FORMAT_VERSION_COLUMN: version,
        "Chunks": len(chunks),
        **{f"Data{i}": chunk for i, chunk in enumerate(chunks)},
        DERIVED_ROWS_COLUMN: DERIVED_ROWS_VERSION,
    }
    entity.update({name: value for name, value in index_columns(lead).items() if value is not None})
    return entity


def _lead_from_entity(entity: TableEntity) -> StoredLead:
    data = "".join(entity[f"Data{i}"] for i in range(int(entity["Chunks"])))
    lead = lead_from_json(data, entity.get(FORMAT_VERSION_COLUMN))
    etag = cast(str, entity.metadata["etag"])  # Optional in the SDK's types; a read entity has one.
    columns = {name: entity.get(name) for name in index_columns(lead)}
    derived_version = entity.get(DERIVED_ROWS_COLUMN)
    return StoredLead(lead, etag, columns, int(derived_version) if derived_version is not None else None)


def _history_entity(partner_id: str, lead_id: str, entry: HistoryEntry) -> dict[str, Any]:
    return {
        "PartitionKey": partner_id,
        "RowKey": f"hist|{lead_id}|{entry.sequence:05d}",
        "At": entry.at,
        "Actor": entry.actor,
        "ActorName": entry.actor_name,
        "Action": entry.action.value,
        "FromStatus": entry.from_status.value if entry.from_status else None,
        "ToStatus": entry.to_status.value if entry.to_status else None,
        "Details": json.dumps(entry.details, ensure_ascii=False),
    }


def _history_rewrite(
    partner_id: str, lead_id: str, entry: HistoryEntry
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """An existing history row's new details (an expiry scrubbing the contact out of them)."""
    entity = _history_entity(partner_id, lead_id, entry)
    details = {key: entity[key] for key in ("PartitionKey", "RowKey", "Details")}
    return ("update", details, {"mode": UpdateMode.MERGE})


def _history_from_entity(entity: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        sequence=int(entity["RowKey"].rsplit("|", 1)[1]),
        at=entity["At"],
        actor=entity["Actor"],
        actor_name=entity.get("ActorName"),
        action=HistoryAction(entity["Action"]),
        from_status=Status(entity["FromStatus"]) if entity.get("FromStatus") else None,
        to_status=Status(entity["ToStatus"]) if entity.get("ToStatus") else None,
        details=json.loads(entity.get("Details") or "{}"),
    )


def outbox_row_key(event: LeadEvent) -> str:
    return f"out|{event.event_id}"


def event_message(event: LeadEvent) -> str:
    """The `lead-events` message text, as the outbox row holds it."""
    return json.dumps(event.to_message())


def _event_entity(event: LeadEvent) -> dict[str, Any]:
    return {"PartitionKey": event.partner_id, "RowKey": outbox_row_key(event), "Event": event_message(event)}


def _change_operations(change: Change) -> list[tuple[str, dict[str, Any]]]:
    lead = change.lead
    operations: list[tuple[str, dict[str, Any]]] = [
        ("create", _history_entity(lead.partner_id, lead.id, change.history))
    ]
    if change.event is not None:
        operations.append(("create", _event_entity(change.event)))
    return operations


def _amount(value: Any) -> int | float:
    """A tally column as read: the SDK returns Int64 columns wrapped in an EntityProperty."""
    return cast(int | float, value.value if isinstance(value, EntityProperty) else value)


def _stored_amount(value: int | float) -> Any:
    # Int64 always: a sum in minor units outgrows Int32 (21 million in cents).
    return EntityProperty(value, EdmType.INT64) if isinstance(value, int) else float(value)


def _is_conflict(error: TableTransactionError | HttpResponseError) -> bool:
    return getattr(error, "status_code", None) in (409, 412) or getattr(error, "error_code", None) in (
        "EntityAlreadyExists",
        "UpdateConditionNotSatisfied",
        "ConditionNotMet",
    )


def _resume(order: ReadOrder, page: list[TableEntity], index: int, more: bool) -> Position | None:
    """Where a read goes on after row `index` of a page: just after it, unless nothing follows."""
    if index < len(page) - 1 or more:
        return Position(order, page[index]["RowKey"])
    return None


# A range read's own conditions; list filters are added after them.
_RANGE_CONDITIONS = ("PartitionKey eq @pk", "RowKey gt @lo", "RowKey lt @hi")


def _filter(conditions: Iterable[str]) -> str:
    return " and ".join(conditions)


def _release_page(pages: Any) -> None:
    """Let a read page be freed now rather than by the cycle collector.

    The SDK's page iterator refers to itself through its own bound methods, so the page
    it holds (every entity, and the response they came from) becomes cyclic garbage that
    waits for a full collection; on a long read (the export) it piles up page after page.
    """
    for attribute in ("_response", "_current_page"):
        if hasattr(pages, attribute):
            setattr(pages, attribute, None)


class LeadRepository:
    def __init__(self, table: TableClient, contributors: tuple[Contributor, ...] | None = None) -> None:
        self._table = table
        self._contributors = lead_rows.CONTRIBUTORS if contributors is None else contributors

    # -- single leads -------------------------------------------------------

    def create(self, change: Change, idempotency_key: str, *, turn: Turn | None = None) -> Change:
        """Store a new lead with its key, first history entry and event, atomically; returns the
        change stored (with a `turn`, the one it decided on the count it took).

        Raises DuplicateLead with the existing lead's id when the key was seen before.
        """
        partner_id = change.lead.partner_id
        key_entity = {
            "PartitionKey": partner_id,
            "RowKey": f"key|{idempotency_key}",
            "LeadId": change.lead.id,
        }
        attempts = _CREATE_ATTEMPTS if turn is None else _TURN_ATTEMPTS
        for attempt in range(1, attempts + 1):
            turn_operations: list[Any] = []
            if turn is not None:
                change, turn_operations = self._take_turn(partner_id, turn)
            lead = change.lead
            operations = [
                ("create", key_entity),
                ("create", lead_entity(lead)),
                *_change_operations(change),
                *turn_operations,
                *self._derived_operations(lead.partner_id, derived_change(None, lead, self._contributors)),
            ]
            try:
                self._table.submit_transaction(operations)
                return change
            except (TableTransactionError, ResourceExistsError) as error:
                if not _is_conflict(error):
                    raise
                existing = self.lead_id_for_key(lead.partner_id, idempotency_key)
                if existing is not None:
                    raise DuplicateLead(existing) from None
                if attempt == attempts:
                    raise
                # Not a duplicate: a tally shard or the turn changed since it was read. Read again.
                time.sleep(random.uniform(0.0, min(0.01 * attempt, 0.05)))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _take_turn(self, partner_id: str, turn: Turn) -> tuple[Change, list[Any]]:
        """The change for the turn the counter stands at, and the operation that moves it on."""
        try:
            row: TableEntity | None = self._table.get_entity(partner_id, turn.row_key)
        except ResourceNotFoundError:
            row = None
        taken = int(_amount(row["Next"])) if row is not None else 0
        entity = {"PartitionKey": partner_id, "RowKey": turn.row_key, "Next": _stored_amount(taken + 1)}
        if row is None:
            return turn.decide(taken), [("create", entity)]
        conditions = {
            "mode": UpdateMode.REPLACE,
            "etag": row.metadata["etag"],
            "match_condition": MatchConditions.IfNotModified,
        }
        return turn.decide(taken), [("update", entity, conditions)]

    def turn_count(self, partner_id: str, row_key: str) -> int:
        """How many turns a counter has given (0 for one never used)."""
        try:
            return int(_amount(self._table.get_entity(partner_id, row_key)["Next"]))
        except ResourceNotFoundError:
            return 0

    def lead_id_for_key(self, partner_id: str, idempotency_key: str) -> str | None:
        try:
            entity = self._table.get_entity(partner_id, f"key|{idempotency_key}")
        except ResourceNotFoundError:
            return None
        return cast(str, entity["LeadId"])

    def lead_ids_for_keys(self, partner_id: str, idempotency_keys: Iterable[str]) -> dict[str, str]:
        """The lead of each of these idempotency keys that has one, by key (14 keys to a query)."""
        rows = self._rows_by_key(partner_id, sorted({f"key|{key}" for key in idempotency_keys}))
        return {row["RowKey"].removeprefix("key|"): cast(str, row["LeadId"]) for row in rows}

    def get(self, partner_id: str, lead_id: str) -> StoredLead | None:
        try:
            return _lead_from_entity(self._table.get_entity(partner_id, lead_row_key(lead_id)))
        except ResourceNotFoundError:
            return None

    def save(self, change: Change, stored: StoredLead) -> str:
        """Write a change to the lead as `stored` read it, if it is unchanged since; returns the
        new ETag. Its derived rows and tallies move with it in the same transaction."""
        lead = change.lead
        update = (
            "update",
            lead_entity(lead),
            {
                "mode": UpdateMode.REPLACE,
                "etag": stored.etag,
                "match_condition": MatchConditions.IfNotModified,
            },
        )
        derived = derived_change(stored.lead_with_derived_rows, lead, self._contributors)
        operations: list[Any] = [
            update,
            *_change_operations(change),
            *self._derived_operations(lead.partner_id, derived),
        ]
        rewrites = [_history_rewrite(lead.partner_id, lead.id, entry) for entry in change.rewritten_history]
        # Rewrites that fit go with the change; the oldest of any beyond that go first, on their
        # own. A crash or a lost race between the two leaves earlier entries rewritten and the
        # lead unchanged: the next attempt rewrites what is left (a rewrite is idempotent).
        split = max(0, len(rewrites) - (MAX_BATCH_OPERATIONS - len(operations)))
        for start in range(0, split, MAX_BATCH_OPERATIONS):
            self._table.submit_transaction(rewrites[start : min(split, start + MAX_BATCH_OPERATIONS)])
        operations.extend(rewrites[split:])
        try:
            results = self._table.submit_transaction(operations)
        except (TableTransactionError, HttpResponseError) as error:
            if _is_conflict(error):
                raise ConcurrentUpdate(lead.id) from None
            raise
        return cast(str, results[0]["etag"])

    # -- derived rows ---------------------------------------------------------

    def write_derived_rows(self, stored: StoredLead) -> bool:
        """Give a lead stored before its derived rows existed all of them, conditional on its ETag.

        False when it has them already. Raises ConcurrentUpdate when the lead changed since it
        was read (that change wrote the rows, or the caller reads it again and retries).
        """
        if stored.derived_version == DERIVED_ROWS_VERSION:
            return False
        lead = stored.lead
        mark = {
            "PartitionKey": lead.partner_id,
            "RowKey": lead_row_key(lead.id),
            DERIVED_ROWS_COLUMN: DERIVED_ROWS_VERSION,
        }
        conditions = {
            "mode": UpdateMode.MERGE,
            "etag": stored.etag,
            "match_condition": MatchConditions.IfNotModified,
        }
        derived = derived_change(None, lead, self._contributors)
        operations: list[Any] = [
            ("update", mark, conditions),
            *self._derived_operations(lead.partner_id, derived),
        ]
        try:
            self._table.submit_transaction(operations)
        except (TableTransactionError, HttpResponseError) as error:
            if _is_conflict(error):
                raise ConcurrentUpdate(lead.id) from None
            raise
        return True

    def _derived_operations(self, partner_id: str, derived: DerivedChange) -> list[Any]:
        """The transaction operations that write a lead change's derived rows and tallies."""
        if derived.operation_count > MAX_BATCH_OPERATIONS - 3:
            raise ValueError(
                f"a lead change derives {derived.operation_count} rows; too many for one transaction"
            )
        operations: list[Any] = [
            (
                "upsert",
                {"PartitionKey": partner_id, "RowKey": row.row_key, **row.columns},
                {"mode": UpdateMode.REPLACE},
            )
            for row in derived.put
        ]
        operations.extend(("delete", {"PartitionKey": partner_id, "RowKey": key}) for key in derived.delete)
        operations.extend(self.tally_operations(partner_id, derived.tallies))
        return operations

    def tally_operations(self, partner_id: str, tallies: Iterable[TallyDelta]) -> list[Any]:
        """Operations adding `tallies` to one shard row each, conditional on the row as read now.

        A shard written by someone else before the transaction lands fails it with 412 (or 409
        for a shard created meanwhile): the caller's lost race, tried again from a fresh read.
        """
        chosen = {f"{tally.key}|{random.randrange(tally.shards)}": tally for tally in tallies}
        current = {row["RowKey"]: row for row in self._rows_by_key(partner_id, list(chosen))}
        operations: list[Any] = []
        for row_key, tally in chosen.items():
            row = current.get(row_key)
            if row is None:
                amounts = dict(tally.amounts)
                entity = {"PartitionKey": partner_id, "RowKey": row_key}
                entity.update({column: _stored_amount(amount) for column, amount in amounts.items()})
                operations.append(("create", entity))
                continue
            entity = {"PartitionKey": partner_id, "RowKey": row_key}
            for column, amount in tally.amounts.items():
                entity[column] = _stored_amount(_amount(row.get(column, 0)) + amount)
            conditions = {"mode": UpdateMode.MERGE, "etag": row.metadata["etag"]}
            operations.append(
                ("update", entity, {**conditions, "match_condition": MatchConditions.IfNotModified})
            )
        return operations

    def tally(self, partner_id: str, key: str) -> dict[str, int | float]:
        """A tally's sums over all its shard rows (one query, however many leads it counts)."""
        prefix = f"{key}|"
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": prefix, "hi": prefix[:-1] + "}"},
        )
        sums: dict[str, int | float] = {}
        for row in rows:
            for column, value in row.items():
                if column not in ("PartitionKey", "RowKey"):
                    sums[column] = sums.get(column, 0) + _amount(value)
        return sums

    def tally_rows(self, partner_id: str, low: str, high: str) -> Iterator[tuple[str, dict[str, int]]]:
        """Tally shard rows with RowKey in [low, high), each with its columns (a range of a
        feature's tallies, e.g. insights' day rows; pages of 1,000 rows)."""
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": low, "hi": high},
            results_per_page=1000,
        )
        for row in rows:
            amounts = {
                column: int(_amount(value))
                for column, value in row.items()
                if column not in ("PartitionKey", "RowKey")
            }
            yield row["RowKey"], amounts

    def put_rows(self, partner_id: str, row_keys: list[str]) -> None:
        """Upsert empty marker rows (idempotent), in transactions of at most 100."""
        keys = sorted(set(row_keys))
        for start in range(0, len(keys), MAX_BATCH_OPERATIONS):
            self._table.submit_transaction(
                [
                    ("upsert", {"PartitionKey": partner_id, "RowKey": key}, {"mode": UpdateMode.REPLACE})
                    for key in keys[start : start + MAX_BATCH_OPERATIONS]
                ]
            )

    def existing_rows(self, partner_id: str, row_keys: list[str]) -> set[str]:
        """Which of these rows exist, read by exact key (14 to a query)."""
        return {row["RowKey"] for row in self._rows_by_key(partner_id, sorted(set(row_keys)))}

    def indexed_lead_ids(self, partner_id: str, prefix: str, limit: int) -> list[str]:
        """The lead ids of index rows `<prefix><leadId>`, newest first, at most `limit` (one request)."""
        pages = self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": prefix, "hi": prefix[:-1] + chr(ord(prefix[-1]) + 1)},
            select=["RowKey"],
            results_per_page=limit,
        ).by_page()
        first: Iterable[TableEntity] = next(pages, [])
        return [row["RowKey"][len(prefix) :] for row in first][:limit]

    def _rows_by_key(self, partner_id: str, row_keys: list[str]) -> Iterator[TableEntity]:
        for start in range(0, len(row_keys), IDS_PER_QUERY):
            batch = row_keys[start : start + IDS_PER_QUERY]
            parameters: dict[str, Any] = {"pk": partner_id}
            alternatives = []
            for index, row_key in enumerate(batch):
                parameters[f"r{index}"] = row_key
                alternatives.append(f"RowKey eq @r{index}")
            yield from self._table.query_entities(
                f"PartitionKey eq @pk and ( {' or '.join(alternatives)} )", parameters=parameters
            )

    def history(self, partner_id: str, lead_id: str) -> list[HistoryEntry]:
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": f"hist|{lead_id}|", "hi": f"hist|{lead_id}}}"},
        )
        return [_history_from_entity(row) for row in rows]

    # -- the list -----------------------------------------------------------

    def query(
        self, partner_id: str, query: LeadQuery, *, after: str | None = None, page_size: int = _MAX_PAGE
    ) -> Iterator[StoredLead]:
        """Every lead of one partner matching `query`, newest first, after lead id `after`."""
        start = Position(ReadOrder.CREATED, lead_row_key(after)) if after is not None else None
        for step in self.scan_leads(partner_id, query, start=start, page_size=page_size):
            if step.stored is not None:
                yield step.stored

    def scan_leads(
        self,
        partner_id: str,
        query: LeadQuery,
        *,
        start: Position | None = None,
        budget: int | None = None,
        first_page: int = _FIRST_PAGE,
        page_size: int = _MAX_PAGE,
    ) -> Iterator[Step]:
        """The lead rows from `start` on, newest first, at most `budget` rows (None: all).

        Each row read is a step, its lead given when it matches `query`: the caller stops when
        it has enough, and continues later from the step's `resume`. `query.matches` tests every
        filter. A full read (no budget) also hands the exact-match filters to storage while they
        fit in Azure's 15 comparisons, so fewer rows travel. A bounded read must not: it resumes
        after the last row it saw, and with a filter in storage a page can come back empty with
        nothing but storage's opaque continuation to go on (Azure stops a query after 5 s).
        """
        lo = LEAD_PREFIX + id_bound(query.created_to) if query.created_to is not None else LEAD_PREFIX
        hi = LEAD_PREFIX + id_bound(query.created_from) if query.created_from is not None else "lead}"
        rows = RowRange(lo, hi, after=lo == LEAD_PREFIX).resumed(start)
        conditions: list[str] = []
        parameters: dict[str, Any] = {}
        comparisons_left = MAX_FILTER_COMPARISONS - filter_comparisons(_filter(_RANGE_CONDITIONS))
        in_storage = query.storage_filters(comparisons_left) if budget is None else {}
        for column_index, (column, values) in enumerate(sorted(in_storage.items())):
            alternatives = []
            for value_index, value in enumerate(sorted(values)):
                name = f"c{column_index}v{value_index}"
                parameters[name] = value
                alternatives.append(f"{column} eq @{name}")
            # The SDK substitutes only whitespace-separated @names, hence the spaced parentheses.
            conditions.append("( " + " or ".join(alternatives) + " )")
        pages = self._range(
            partner_id,
            rows,
            conditions,
            parameters,
            budget=budget,
            first_page=first_page,
            page_size=page_size,
        )
        for page, more in pages:
            for index, row in enumerate(page):
                stored = _lead_from_entity(row)
                shown = stored if query.matches(stored.lead, stored.columns) else None
                yield Step(shown, _resume(ReadOrder.CREATED, page, index, more))

    def scan_index(
        self,
        partner_id: str,
        order: ReadOrder,
        rows: RowRange,
        shows: Callable[[str, StoredLead], bool],
        *,
        start: Position | None = None,
        budget: int | None = None,
        first_page: int = _FIRST_PAGE,
    ) -> Iterator[Step]:
        """Index rows (`<kind>|...|<leadId>`) in key order from `start` on, at most `budget` of them
        (None: all), each a step with its lead when `shows(row_key, lead)`.

        The leads are fetched by key, 56 at a time in four parallel queries of 14 ids.
        """
        pages = self._range(
            partner_id, rows.resumed(start), [], {}, budget=budget, first_page=first_page, select=["RowKey"]
        )
        for page, more in pages:
            keys = [row["RowKey"] for row in page]
            for chunk_start in range(0, len(keys), _FETCH_CHUNK):
                chunk = keys[chunk_start : chunk_start + _FETCH_CHUNK]
                leads = self._fetch(partner_id, [lead_id_of_key(key) for key in chunk])
                for offset, key in enumerate(chunk):
                    stored = leads.get(lead_id_of_key(key))
                    shown = stored if stored is not None and shows(key, stored) else None
                    yield Step(shown, _resume(order, page, chunk_start + offset, more))

    def _fetch(self, partner_id: str, lead_ids: list[str]) -> dict[str, StoredLead]:
        batches = [lead_ids[i : i + IDS_PER_QUERY] for i in range(0, len(lead_ids), IDS_PER_QUERY)]
        found = _fetch_pool.map(lambda batch: list(self.get_many(partner_id, batch)), batches)
        return {stored.lead.id: stored for batch in found for stored in batch}

    def _range(
        self,
        partner_id: str,
        rows: RowRange,
        conditions: list[str],
        parameters: dict[str, Any],
        *,
        budget: int | None,
        first_page: int,
        page_size: int = _MAX_PAGE,
        select: list[str] | None = None,
    ) -> Iterator[tuple[list[TableEntity], bool]]:
        """Rows of a range page by page, each with whether storage has more after it.

        The first page is small and each next one twice as large: a list page needs ~50 rows
        and an export needs them all; starting small keeps the first answer fast, doubling keeps
        the round trips of a long read logarithmic. At most `budget` rows are read in all, so a
        list request costs the same whatever the partner has stored.
        """
        size = max(1, min(first_page, page_size, budget if budget is not None else page_size))
        lower = "RowKey gt @lo" if rows.after else "RowKey ge @lo"
        filter_text = _filter(["PartitionKey eq @pk", lower, "RowKey lt @hi", *conditions])
        query_parameters = {**parameters, "pk": partner_id, "lo": rows.lo, "hi": rows.hi}
        token: Any = None
        read = 0
        while True:
            pages = self._table.query_entities(
                filter_text, parameters=query_parameters, results_per_page=size, select=select
            ).by_page(continuation_token=token)
            page = list(next(pages))
            # by_page is typed as a plain iterator; the object is the SDK's PageIterator.
            token = cast(PageIterator[TableEntity], pages).continuation_token
            _release_page(pages)
            read += len(page)
            yield page, bool(token)
            if not token or (budget is not None and read >= budget):
                return
            size = min(size * 2, page_size, budget - read if budget is not None else page_size)

    def get_many(self, partner_id: str, lead_ids: list[str]) -> Iterator[StoredLead]:
        """The stored leads among `lead_ids`, in id order (newest first)."""
        ordered = sorted(set(lead_ids))
        for start in range(0, len(ordered), IDS_PER_QUERY):
            batch = ordered[start : start + IDS_PER_QUERY]
            rows = self._rows_by_key(partner_id, [lead_row_key(lead_id) for lead_id in batch])
            found = sorted((_lead_from_entity(row) for row in rows), key=lambda stored: stored.lead.id)
            yield from found

    # -- favorites ----------------------------------------------------------

    def set_favorite(self, partner_id: str, user_id: str, lead_id: str, at: datetime) -> bool:
        """Mark a favorite; False when it was one already. The user's favorites counter moves
        in the same transaction, so a repeated or racing PUT counts once."""
        user_key = _user_key(user_id)
        row_key = _favorite_key(user_key, lead_id)
        entity = {"PartitionKey": partner_id, "RowKey": row_key, "At": at}
        return self._change_favorite(partner_id, user_key, row_key, +1, lambda _row: ("create", entity))

    def remove_favorite(self, partner_id: str, user_id: str, lead_id: str) -> bool:
        """Unmark a favorite; False when it was none. The counter moves with the row."""
        user_key = _user_key(user_id)
        row_key = _favorite_key(user_key, lead_id)

        def delete(row: TableEntity) -> Any:
            conditions = {"etag": row.metadata["etag"], "match_condition": MatchConditions.IfNotModified}
            return ("delete", {"PartitionKey": partner_id, "RowKey": row_key}, conditions)

        return self._change_favorite(partner_id, user_key, row_key, -1, delete)

    def _change_favorite(
        self, partner_id: str, user_key: str, row_key: str, step: int, operation: Callable[[Any], Any]
    ) -> bool:
        """Write the favorite row's operation and move the counter by `step`, if it changes anything.

        Read the row, act only when it is not already as wanted, and write conditionally (a
        create fails on a row created meanwhile, a delete on one changed or gone): a lost race
        is read again, so racing PUTs and DELETEs leave the counter equal to the rows.
        """
        tally = TallyDelta(favorites_counter_key(user_key), {TOTAL: step}, 1)
        for attempt in range(1, _CREATE_ATTEMPTS + 1):
            row = self._row(partner_id, row_key)
            if (row is not None) == (step > 0):
                return False
            try:
                self._table.submit_transaction([operation(row), *self.tally_operations(partner_id, [tally])])
                return True
            except (TableTransactionError, HttpResponseError) as error:
                if not (_is_conflict(error) or getattr(error, "status_code", None) == 404):
                    raise
            time.sleep(random.uniform(0.0, min(0.01 * attempt, 0.05)))
        raise ConcurrentUpdate(row_key)

    def _row(self, partner_id: str, row_key: str) -> TableEntity | None:
        try:
            return self._table.get_entity(partner_id, row_key)
        except ResourceNotFoundError:
            return None

    def favorite_count(self, partner_id: str, user_id: str) -> int:
        """How many favorites the user has: the counter kept with them (one query)."""
        return int(self.tally(partner_id, favorites_counter_key(_user_key(user_id))).get(TOTAL, 0))

    def favorite_ids(self, partner_id: str, user_id: str) -> set[str]:
        prefix = _favorite_key(_user_key(user_id), "")
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": prefix, "hi": prefix[:-1] + "}"},
            select=["RowKey"],
        )
        return {row["RowKey"][len(prefix) :] for row in rows}

    def favorites_by_user(self, partner_id: str) -> dict[str, int]:
        """Every user's number of favorite rows, by user key (the recount's source)."""
        counts: dict[str, int] = {}
        for row in self._key_range(partner_id, KeyRange("fav|", "fav}"), select=["RowKey"]):
            user_key = row["RowKey"].split("|")[1]
            counts[user_key] = counts.get(user_key, 0) + 1
        return counts

    def is_favorite(self, partner_id: str, user_id: str, lead_id: str) -> bool:
        try:
            self._table.get_entity(partner_id, _favorite_key(_user_key(user_id), lead_id), select=["RowKey"])
        except ResourceNotFoundError:
            return False
        return True

    # -- reads from derived rows ---------------------------------------------

    def _key_range(
        self, partner_id: str, keys: KeyRange, select: list[str] | None = None
    ) -> Iterator[TableEntity]:
        return iter(
            self._table.query_entities(
                "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
                parameters={"pk": partner_id, "lo": keys.low, "hi": keys.high},
                select=select,
            )
        )

    def open_actions(self, partner_id: str, ranges: Iterable[KeyRange]) -> list[TableEntity]:
        """The action center's index rows in `ranges`: only the leads that may need doing."""
        return [row for keys in ranges for row in self._key_range(partner_id, keys, select=list(ROW_COLUMNS))]

    def lead_window(self, partner_id: str, query: LeadQuery, budget: int) -> tuple[list[StoredLead], bool]:
        """The leads among the newest `budget` of the query's creation range that match it, and
        whether that read reached the range's end. One storage request whatever is stored: the
        filters are tested in process, so storage never scans past the budget for a rare match."""
        low, high = LEAD_PREFIX, "lead}"
        if query.created_to is not None:
            low = LEAD_PREFIX + id_bound(query.created_to)
        if query.created_from is not None:
            high = LEAD_PREFIX + id_bound(query.created_from)
        pages = self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": low, "hi": high},
            results_per_page=budget,
        ).by_page()
        rows = [_lead_from_entity(row) for row in next(pages, [])]
        exhausted = not cast(PageIterator[TableEntity], pages).continuation_token
        _release_page(pages)
        return [stored for stored in rows if query.matches(stored.lead, stored.columns)], exhausted

    # -- the recount ----------------------------------------------------------

    def tally_snapshot(self, partner_id: str, prefix: str) -> dict[str, TableEntity]:
        """Every tally shard row under `prefix`, with its ETag, by row key."""
        return {
            row["RowKey"]: row for row in self._key_range(partner_id, KeyRange(prefix, prefix[:-1] + "}"))
        }

    def counted_leads(self, partner_id: str) -> Iterator[tuple[Qualification, Stage]]:
        """Qualification and stage of every lead whose derived rows are written (the ones the
        tab counters count), read as three columns, not the leads."""
        rows = self._key_range(
            partner_id, KeyRange(LEAD_PREFIX, "lead}"), select=["Qualification", "Stage", DERIVED_ROWS_COLUMN]
        )
        for row in rows:
            if row.get(DERIVED_ROWS_COLUMN) == DERIVED_ROWS_VERSION:
                yield Qualification(row["Qualification"]), Stage(row["Stage"])

    def rewrite_tallies(
        self,
        partner_id: str,
        snapshot: dict[str, TableEntity],
        sums: dict[str, dict[str, int]],
        shards: Mapping[str, int],
    ) -> None:
        """Replace the shard rows of the tallies in `sums` and `shards` and of every row in
        `snapshot`: each tally's sums in its shard 0, zeros in its other shards, each write
        conditional on the row as the snapshot read it (or on its absence). Raises
        ConcurrentUpdate when any of them changed since: a lead or favorite change landed, so the
        sums are stale.

        Every one of a tally's `shards` rows is written, also those the snapshot did not hold: a
        lead stored after the snapshot may have created one, and left in place its one would be
        counted twice, there and in the sums."""
        operations: list[Any] = []
        written: set[str] = set()
        for key in sorted(set(sums) | set(shards)):
            for shard in range(shards.get(key, 1)):
                row_key = f"{key}|{shard}"
                written.add(row_key)
                amounts = sums.get(key, {}) if shard == 0 else {}
                operations.append(self._replace_shard(partner_id, row_key, amounts, snapshot))
        for row_key in sorted(set(snapshot) - written):
            operations.append(self._replace_shard(partner_id, row_key, {}, snapshot))
        for start in range(0, len(operations), MAX_BATCH_OPERATIONS):
            try:
                self._table.submit_transaction(operations[start : start + MAX_BATCH_OPERATIONS])
            except (TableTransactionError, HttpResponseError) as error:
                if _is_conflict(error):
                    raise ConcurrentUpdate(partner_id) from None
                raise

    @staticmethod
    def _replace_shard(
        partner_id: str, row_key: str, amounts: dict[str, int], snapshot: dict[str, TableEntity]
    ) -> Any:
        entity: dict[str, Any] = {"PartitionKey": partner_id, "RowKey": row_key}
        old = snapshot.get(row_key)
        columns = set(amounts) | ({c for c in old if c not in ("PartitionKey", "RowKey")} if old else set())
        entity.update({column: _stored_amount(amounts.get(column, 0)) for column in sorted(columns)})
        if old is None:
            return ("create", entity)
        conditions = {"etag": old.metadata["etag"], "match_condition": MatchConditions.IfNotModified}
        return ("update", entity, {"mode": UpdateMode.REPLACE, **conditions})

    # -- the event outbox ---------------------------------------------------

    def pending_events(self, partner_id: str, lead_id: str | None = None) -> list[dict[str, Any]]:
        prefix = f"out|{lead_id}-" if lead_id else "out|"
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": prefix, "hi": prefix[:-1] + chr(ord(prefix[-1]) + 1)},
        )
        return [{"row_key": row["RowKey"], "message": row["Event"]} for row in rows]

    def delete_event(self, partner_id: str, row_key: str) -> None:
        self._table.delete_entity(partner_id, row_key)
