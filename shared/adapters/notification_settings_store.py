"""A partner's notification recipients, one row per partner in the `Notifications` table."""

from __future__ import annotations

import json
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

# The row beside the partner's claim rows (whose keys start with a notification kind).
_SETTINGS_ROW = "settings"


class NotificationSettingsStore:
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def recipients(self, partner_id: str) -> list[dict[str, Any]]:
        """`[{"email", "name"}, ...]` as stored; none for a partner who never saved any."""
        try:
            row = self._table.get_entity(partner_id, _SETTINGS_ROW)
        except ResourceNotFoundError:
            return []
        recipients: list[dict[str, Any]] = json.loads(row["Recipients"])
        return recipients

    def replace(self, partner_id: str, recipients: list[dict[str, Any]]) -> None:
        self._table.upsert_entity(
            {
                "PartitionKey": partner_id,
                "RowKey": _SETTINGS_ROW,
                "Recipients": json.dumps(recipients, ensure_ascii=False),
            },
            mode=UpdateMode.REPLACE,
        )
