"""The service layer's dependencies, built once per process from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from shared.adapters.due_index import DueIndex
from shared.adapters.lead_repository import LeadRepository
from shared.adapters.message_queues import EventPublisher, MessageQueues
from shared.adapters.storage_clients import (
    DUE_TABLE,
    LEADS_TABLE,
    PARTNERS_TABLE,
    StorageClients,
    clients_for,
)
from shared.config import Settings, StorageSettings, settings

# Partners this process has registered, per storage account.
_registered_partners: set[tuple[StorageSettings, str]] = set()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    clients: StorageClients
    leads: LeadRepository
    due: DueIndex
    queues: MessageQueues
    events: EventPublisher
    clock: Callable[[], datetime] = utc_now

    @classmethod
    def build(cls, app_settings: Settings, clock: Callable[[], datetime] = utc_now) -> Services:
        clients = clients_for(app_settings.storage)
        leads = LeadRepository(clients.table(LEADS_TABLE))
        queues = MessageQueues(clients)
        return cls(
            settings=app_settings,
            clients=clients,
            leads=leads,
            due=DueIndex(clients.table(DUE_TABLE)),
            queues=queues,
            events=EventPublisher(leads, queues),
            clock=clock,
        )

    def register_partner(self, partner_id: str) -> None:
        """Remember partners, so timers can visit each partition without scanning the table.

        Once per partner and process, not once per lead: the row never changes.
        """
        key = (self.settings.storage, partner_id)
        if key in _registered_partners:
            return
        self.clients.table(PARTNERS_TABLE).upsert_entity({"PartitionKey": "partner", "RowKey": partner_id})
        _registered_partners.add(key)

    def partner_ids(self) -> list[str]:
        rows = self.clients.table(PARTNERS_TABLE).query_entities(
            "PartitionKey eq @pk", parameters={"pk": "partner"}, select=["RowKey"]
        )
        return [row["RowKey"] for row in rows]


@cache
def services() -> Services:
    return Services.build(settings())
