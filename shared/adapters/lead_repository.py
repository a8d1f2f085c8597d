"""Leads in Azure Table Storage, one partition per partner.

Rows of the `Leads` table, PartitionKey = partner id:
- `lead|<leadId>`   the lead: its JSON in `Data*` columns in the stored format named by
                    `FormatVersion` (`lead_format`), plus indexed columns for filters;
- `key|<key>`       the idempotency key of an inbound message, written with the lead it made;
- `hist|<leadId>|<seq>` audit entries, written with the change they record;
- `out|<eventId>`   events waiting to be published (a transactional outbox);
- `fav|<userId>|<leadId>` a user's favorites;
- index rows and tally shards derived from each lead (`derived_rows`), written with it.

Every query names the partition and is built with parameter substitution.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
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
from shared.domain.derived_rows import (
    DERIVED_ROWS_VERSION,
    Contributor,
    DerivedChange,
    TallyDelta,
    derived_change,
)
from shared.domain.enums import HistoryAction, Status
from shared.domain.lead import Lead
from shared.domain.lead_ids import id_bound
from shared.domain.lead_query import LeadQuery
from shared.domain.lifecycle import Change, HistoryEntry, LeadEvent

LEAD_PREFIX = "lead|"
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
        self, partner_id: str, query: LeadQuery, *, after: str | None = None, page_size: int = 1000
    ) -> Iterator[StoredLead]:
        """Leads of one partner matching `query`, newest first, after lead id `after`."""
        conditions = ["PartitionKey eq @pk", "RowKey gt @lo", "RowKey lt @hi"]
        parameters: dict[str, Any] = {"pk": partner_id, "lo": LEAD_PREFIX, "hi": "lead}"}
        if query.created_to is not None:
            parameters["lo"] = LEAD_PREFIX + id_bound(query.created_to)
        if after is not None:
            parameters["lo"] = max(parameters["lo"], lead_row_key(after))
        if query.created_from is not None:
            parameters["hi"] = LEAD_PREFIX + id_bound(query.created_from)
        # Filters that do not fit in Azure's 15 comparisons are applied by `query.matches` below.
        in_storage = query.storage_filters(MAX_FILTER_COMPARISONS - filter_comparisons(_filter(conditions)))
        for column_index, (column, values) in enumerate(sorted(in_storage.items())):
            alternatives = []
            for value_index, value in enumerate(sorted(values)):
                name = f"c{column_index}v{value_index}"
                parameters[name] = value
                alternatives.append(f"{column} eq @{name}")
            # The SDK substitutes only whitespace-separated @names, hence the spaced parentheses.
            conditions.append("( " + " or ".join(alternatives) + " )")
        for row in self._pages(_filter(conditions), parameters, page_size):
            stored = _lead_from_entity(row)
            if query.matches(stored.lead, stored.columns):
                yield stored

    def _pages(self, filter_text: str, parameters: dict[str, Any], page_size: int) -> Iterator[Any]:
        """Rows page by page, the first page small and each next one twice as large.

        A list page needs ~50 rows and an export needs them all: starting small keeps the
        first answer fast (storage does not read and send 1,000 leads to show 50), and
        doubling keeps the number of round trips of a long read logarithmic.
        """
        size = min(_FIRST_PAGE, page_size)
        token: Any = None
        while True:
            pages = self._table.query_entities(
                filter_text, parameters=parameters, results_per_page=size
            ).by_page(continuation_token=token)
            yield from next(pages)
            # by_page is typed as a plain iterator; the object is the SDK's PageIterator.
            token = cast(PageIterator[TableEntity], pages).continuation_token
            _release_page(pages)
            if not token:
                return
            size = min(size * 2, page_size)

    def get_many(self, partner_id: str, lead_ids: list[str]) -> Iterator[StoredLead]:
        """The stored leads among `lead_ids`, in id order (newest first)."""
        ordered = sorted(set(lead_ids))
        for start in range(0, len(ordered), IDS_PER_QUERY):
            batch = ordered[start : start + IDS_PER_QUERY]
            rows = self._rows_by_key(partner_id, [lead_row_key(lead_id) for lead_id in batch])
            found = sorted((_lead_from_entity(row) for row in rows), key=lambda stored: stored.lead.id)
            yield from found

    # -- favorites ----------------------------------------------------------

    def set_favorite(self, partner_id: str, user_id: str, lead_id: str, at: datetime) -> None:
        self._table.upsert_entity(
            {"PartitionKey": partner_id, "RowKey": f"fav|{_user_key(user_id)}|{lead_id}", "At": at},
            mode=UpdateMode.REPLACE,
        )

    def remove_favorite(self, partner_id: str, user_id: str, lead_id: str) -> None:
        self._table.delete_entity(partner_id, f"fav|{_user_key(user_id)}|{lead_id}")

    def favorite_ids(self, partner_id: str, user_id: str) -> set[str]:
        prefix = f"fav|{_user_key(user_id)}|"
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": prefix, "hi": prefix[:-1] + "}"},
            select=["RowKey"],
        )
        return {row["RowKey"][len(prefix) :] for row in rows}

    def is_favorite(self, partner_id: str, user_id: str, lead_id: str) -> bool:
        try:
            self._table.get_entity(partner_id, f"fav|{_user_key(user_id)}|{lead_id}", select=["RowKey"])
        except ResourceNotFoundError:
            return False
        return True

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
