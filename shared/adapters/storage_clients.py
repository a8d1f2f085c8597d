"""Table and queue clients from the storage settings.

Locally a connection string (Azurite); in Azure the host's identity-based
settings (`AzureWebJobsStorage__tableServiceUri`, `__queueServiceUri`,
`__clientId`) with a managed identity, so no account key exists anywhere.
"""

from __future__ import annotations

import contextlib
import threading
from functools import cache
from typing import Any

import requests
from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceExistsError
from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableClient, TableServiceClient
from azure.storage.queue import QueueClient, TextBase64DecodePolicy
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.adapters.azure_limits import LimitedTextBase64EncodePolicy, enforce_azure_limits
from shared.config import StorageSettings

CONNECTION_POOL_SIZE = 32

LEADS_TABLE = "Leads"
DUE_TABLE = "Due"
NOTIFICATIONS_TABLE = "Notifications"
PARTNERS_TABLE = "Partners"
TABLES = (LEADS_TABLE, DUE_TABLE, NOTIFICATIONS_TABLE, PARTNERS_TABLE)

MARKETPLACE_LEADS_QUEUE = "marketplace-leads"
REFERRALS_QUEUE = "referrals"
CONTACT_VALIDATION_QUEUE = "contact-validation"
LEAD_NOTIFICATIONS_QUEUE = "lead-notifications"
LEAD_EVENTS_QUEUE = "lead-events"
QUEUES = (
    MARKETPLACE_LEADS_QUEUE,
    REFERRALS_QUEUE,
    CONTACT_VALIDATION_QUEUE,
    LEAD_NOTIFICATIONS_QUEUE,
    LEAD_EVENTS_QUEUE,
)


def poison_queue_name(queue: str) -> str:
    return f"{queue}-poison"


def managed_identity_credential(client_id: str | None) -> TokenCredential:
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=client_id) if client_id else ManagedIdentityCredential()


class StorageClients:
    """Creates clients once per process; tables and queues are created on first use."""

    def __init__(self, storage: StorageSettings) -> None:
        self._storage = storage
        self._lock = threading.Lock()
        self._tables: dict[str, TableClient] = {}
        self._queues: dict[str, QueueClient] = {}
        self._credential: TokenCredential | None = None
        self._session: requests.Session | None = None

    def _identity(self) -> TokenCredential:
        if self._credential is None:
            self._credential = managed_identity_credential(self._storage.managed_identity_client_id)
        return self._credential

    def _transport(self) -> RequestsTransport:
        # One connection pool for every client, sized for the host's 16 concurrent messages:
        # the SDK's default pool of 10 per client drops and reopens connections under load.
        if self._session is None:
            session = requests.Session()
            adapter = HTTPAdapter(
                pool_connections=8,
                pool_maxsize=CONNECTION_POOL_SIZE,
                max_retries=Retry(total=False, redirect=False, raise_on_status=False),
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            # Refuse what Azure refuses (Azurite takes it): see azure_limits.
            enforce_azure_limits(session)
            self._session = session
        return RequestsTransport(session=self._session, session_owner=False)

    def table_service(self) -> TableServiceClient:
        if self._storage.connection_string:
            return TableServiceClient.from_connection_string(
                self._storage.connection_string, transport=self._transport()
            )
        assert self._storage.table_service_uri is not None
        return TableServiceClient(
            endpoint=self._storage.table_service_uri, credential=self._identity(), transport=self._transport()
        )

    def _new_queue_client(self, name: str) -> QueueClient:
        # Base64, the Functions host's default messageEncoding; the service client
        # does not pass encoding policies on to its queue clients, so build directly.
        policies: dict[str, Any] = {
            "message_encode_policy": LimitedTextBase64EncodePolicy(),
            "message_decode_policy": TextBase64DecodePolicy(),
        }
        if self._storage.connection_string:
            return QueueClient.from_connection_string(self._storage.connection_string, name, **policies)
        assert self._storage.queue_service_uri is not None
        return QueueClient(self._storage.queue_service_uri, name, credential=self._identity(), **policies)

    def table(self, name: str) -> TableClient:
        with self._lock:
            client = self._tables.get(name)
            if client is None:
                service = self.table_service()
                service.create_table_if_not_exists(name)
                client = self._tables[name] = service.get_table_client(name)
            return client

    def queue(self, name: str) -> QueueClient:
        with self._lock:
            client = self._queues.get(name)
            if client is None:
                client = self._new_queue_client(name)
                with contextlib.suppress(ResourceExistsError):
                    client.create_queue()
                self._queues[name] = client
            return client


@cache
def clients_for(storage: StorageSettings) -> StorageClients:
    return StorageClients(storage)
