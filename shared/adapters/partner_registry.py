"""The partners that have leads, so timers can visit each partition without scanning `Leads`."""

from __future__ import annotations

from shared.adapters.storage_clients import PARTNERS_TABLE, StorageClients

_PARTITION = "partner"


class PartnerRegistry:
    def __init__(self, clients: StorageClients) -> None:
        # The table is looked up at each write, not here: a write that failed because the table
        # was not there yet is tried again on the message's redelivery.
        self._clients = clients
        self._registered: set[str] = set()

    def register(self, partner_id: str) -> None:
        """Once per partner for this registry's life (a process), not once per lead: the row
        never changes, so a repeat would only cost a request."""
        if partner_id in self._registered:
            return
        self._clients.table(PARTNERS_TABLE).upsert_entity({"PartitionKey": _PARTITION, "RowKey": partner_id})
        self._registered.add(partner_id)

    def partner_ids(self) -> list[str]:
        rows = self._clients.table(PARTNERS_TABLE).query_entities(
            "PartitionKey eq @pk", parameters={"pk": _PARTITION}, select=["RowKey"]
        )
        return [row["RowKey"] for row in rows]
