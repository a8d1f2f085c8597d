"""The pending write-back rows (`pcw|<leadId>`) of a partner, as the dispatcher reads them.

Each row is a derived row of its lead (`partner_center_writeback.PendingWriteBackRows`), written
and deleted in the lead's own transaction. The write-back function adds one column of its own,
`RetryAt`, when it puts a message back on the queue to wait out a throttle or an outage, so the
dispatcher knows a message is on its way and does not send another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.domain.partner_center_writeback import PENDING_ROW_PREFIX


@dataclass(frozen=True)
class PendingWriteBack:
    partner_id: str
    lead_id: str
    since: datetime
    retry_at: datetime | None

    @property
    def last_sent(self) -> datetime:
        """When a message for it was last put on the queue, or is due to be read."""
        return max(self.since, self.retry_at) if self.retry_at else self.since


class PendingWriteBackRows:
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def pending(self, partner_id: str) -> list[PendingWriteBack]:
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi",
            parameters={"pk": partner_id, "lo": PENDING_ROW_PREFIX, "hi": PENDING_ROW_PREFIX[:-1] + "}"},
        )
        return [
            PendingWriteBack(
                partner_id,
                row["RowKey"][len(PENDING_ROW_PREFIX) :],
                row["Since"],
                row.get("RetryAt"),
            )
            for row in rows
        ]

    def retry_at(self, partner_id: str, lead_id: str, when: datetime) -> None:
        """Note that a message for this lead is due at `when`; nothing when the row is gone."""
        entity: dict[str, Any] = {
            "PartitionKey": partner_id,
            "RowKey": f"{PENDING_ROW_PREFIX}{lead_id}",
            "RetryAt": when,
        }
        try:
            self._table.update_entity(entity, mode=UpdateMode.MERGE)
        except ResourceNotFoundError:
            return
