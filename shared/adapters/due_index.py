"""What falls due when: the index the sweeps read instead of scanning every lead.

Table `Due`, PartitionKey = the hour the row falls due (`YYYYMMDDHH`, UTC),
RowKey = `<kind>|<partnerId>|<leadId>`, column `DueAt`. A sweep reads only the
hours up to now, so its cost grows with what is due, not with what is stored.
The row and the lead live in different partitions and cannot be written
together: sweeps re-check the lead and tolerate a row whose lead moved on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from azure.data.tables import TableClient, UpdateMode


class DueKind(StrEnum):
    EXPIRE = "expire"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class DueRow:
    kind: DueKind
    partner_id: str
    lead_id: str
    due_at: datetime
    bucket: str

    @property
    def row_key(self) -> str:
        return f"{self.kind.value}|{self.partner_id}|{self.lead_id}"


def bucket_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H")


class DueIndex:
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def schedule(self, kind: DueKind, partner_id: str, lead_id: str, due_at: datetime) -> None:
        self._table.upsert_entity(
            {
                "PartitionKey": bucket_of(due_at),
                "RowKey": f"{kind.value}|{partner_id}|{lead_id}",
                "DueAt": due_at,
            },
            mode=UpdateMode.REPLACE,
        )

    def due(self, kind: DueKind, now: datetime) -> Iterator[DueRow]:
        """Rows of `kind` due at or before `now`, oldest hour first."""
        rows = self._table.query_entities(
            "PartitionKey le @bucket and RowKey ge @lo and RowKey lt @hi",
            parameters={"bucket": bucket_of(now), "lo": f"{kind.value}|", "hi": f"{kind.value}}}"},
        )
        for row in rows:
            due_at = row["DueAt"]
            if due_at > now:
                continue
            _, partner_id, lead_id = row["RowKey"].split("|", 2)
            yield DueRow(kind, partner_id, lead_id, due_at, row["PartitionKey"])

    def done(self, row: DueRow) -> None:
        self._table.delete_entity(row.bucket, row.row_key)
