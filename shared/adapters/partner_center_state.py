"""What the Partner Center sync remembers between runs: its watermark, and webhook signatures seen.

Table `PartnerCenterSync`: PartitionKey `watermark`, RowKey the partner id, column `Watermark`
(the `updatedDateTime` of the last referral the pull stored); PartitionKey `seen|<day>`, RowKey
the SHA-256 of an event's signature, for each webhook event accepted that day.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from shared.adapters.storage_clients import PARTNER_CENTER_TABLE, StorageClients

_WATERMARK = "watermark"


class PartnerCenterState:
    def __init__(self, clients: StorageClients) -> None:
        self._clients = clients

    def watermark(self, partner_id: str) -> datetime | None:
        try:
            row = self._clients.table(PARTNER_CENTER_TABLE).get_entity(_WATERMARK, partner_id)
        except ResourceNotFoundError:
            return None
        return datetime.fromisoformat(str(row["Watermark"])).astimezone(UTC)

    def set_watermark(self, partner_id: str, moment: datetime) -> None:
        self._clients.table(PARTNER_CENTER_TABLE).upsert_entity(
            {
                "PartitionKey": _WATERMARK,
                "RowKey": partner_id,
                "Watermark": moment.astimezone(UTC).isoformat(),
            }
        )

    def first_sighting(self, signature: str, day: datetime) -> bool:
        """Record a webhook signature; False when it was recorded before (a replay).

        The insert is the check, so two deliveries of one event racing each other cannot both
        pass. Keyed by the event's day, so a day's rows can be dropped once events of that day
        are too old to be accepted at all.
        """
        digest = hashlib.sha256(signature.encode()).hexdigest()
        try:
            self._clients.table(PARTNER_CENTER_TABLE).create_entity(
                {"PartitionKey": f"seen|{day.astimezone(UTC):%Y-%m-%d}", "RowKey": digest}
            )
        except ResourceExistsError:
            return False
        return True

    def forget(self, signature: str, day: datetime) -> None:
        """Undo `first_sighting` for an event that was not accepted after all."""
        digest = hashlib.sha256(signature.encode()).hexdigest()
        self._clients.table(PARTNER_CENTER_TABLE).delete_entity(
            f"seen|{day.astimezone(UTC):%Y-%m-%d}", digest
        )
