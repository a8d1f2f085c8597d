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
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableClient, TableServiceClient
from azure.storage.queue import LinearRetry, QueueClient, TextBase64DecodePolicy
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.adapters.azure_limits import LimitedTextBase64EncodePolicy, enforce_azure_limits
from shared.config import StorageSettings
from shared.domain.queues import MARKETPLACE_LEADS_QUEUE

CONNECTION_POOL_SIZE = 32

# One bounded policy for every storage call, so an outage fails a call within seconds (an HTTP
# caller gets its 503, a queue message goes back to be retried by the host) instead of the
# SDKs' defaults: the queue client's retries wait 15 s and more between attempts (over a minute
# in all), and a transport without timeouts waits 300 s for a silent connection.
# Refused or reset: 3 attempts, about 1 s in all. Silent: at most 3 x (connect or read timeout) + 1 s.
# The read timeout is the longest wait between two reads of an answer: storage answers, or throttles
# with a 503, well within it; the emulator on a loaded machine sometimes stalls past 5 s.
STORAGE_RETRIES = 2
STORAGE_RETRY_BACKOFF_SECONDS = 0.5
STORAGE_CONNECT_TIMEOUT_SECONDS = 2
STORAGE_READ_TIMEOUT_SECONDS = 10

LEADS_TABLE = "Leads"
DUE_TABLE = "Due"
NOTIFICATIONS_TABLE = "Notifications"
PARTNERS_TABLE = "Partners"
# Partner Center sync state: the pull's watermark and the webhook signatures already seen.
PARTNER_CENTER_TABLE = "PartnerCenterSync"
TABLES = (LEADS_TABLE, DUE_TABLE, NOTIFICATIONS_TABLE, PARTNERS_TABLE, PARTNER_CENTER_TABLE)


def managed_identity_credential(client_id: str | None) -> TokenCredential:
    from azure.identity import ManagedIdentityCredential

    return ManagedIdentityCredential(client_id=client_id) if client_id else ManagedIdentityCredential()


# A health probe's storage call: one attempt, short timeouts.
_PROBE: dict[str, Any] = {"retry_total": 0, "connection_timeout": 2, "read_timeout": 2}


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
        return RequestsTransport(
            session=self._session,
            session_owner=False,
            connection_timeout=STORAGE_CONNECT_TIMEOUT_SECONDS,
            read_timeout=STORAGE_READ_TIMEOUT_SECONDS,
        )

    @staticmethod
    def _table_retry() -> dict[str, Any]:
        # azure-core's exponential back-off: no wait before the first retry, then factor x 2^n.
        return {
            "retry_total": STORAGE_RETRIES,
            "retry_backoff_factor": STORAGE_RETRY_BACKOFF_SECONDS,
            "retry_backoff_max": 2 * STORAGE_RETRY_BACKOFF_SECONDS,
        }

    @staticmethod
    def _queue_retry() -> dict[str, Any]:
        # The queue SDK builds its own transport from these timeouts.
        return {
            "retry_policy": LinearRetry(
                backoff=STORAGE_RETRY_BACKOFF_SECONDS,  # type: ignore[arg-type]  # seconds; a float works
                retry_total=STORAGE_RETRIES,
                random_jitter_range=STORAGE_RETRY_BACKOFF_SECONDS / 2,  # type: ignore[arg-type]
            ),
            "connection_timeout": STORAGE_CONNECT_TIMEOUT_SECONDS,
            "read_timeout": STORAGE_READ_TIMEOUT_SECONDS,
        }

    def table_service(self) -> TableServiceClient:
        if self._storage.connection_string:
            return TableServiceClient.from_connection_string(
                self._storage.connection_string, transport=self._transport(), **self._table_retry()
            )
        assert self._storage.table_service_uri is not None
        return TableServiceClient(
            endpoint=self._storage.table_service_uri,
            credential=self._identity(),
            transport=self._transport(),
            **self._table_retry(),
        )

    def _new_queue_client(self, name: str) -> QueueClient:
        # Base64, the Functions host's default messageEncoding; the service client
        # does not pass encoding policies on to its queue clients, so build directly.
        policies: dict[str, Any] = {
            "message_encode_policy": LimitedTextBase64EncodePolicy(),
            "message_decode_policy": TextBase64DecodePolicy(),
            **self._queue_retry(),
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

    def probe(self) -> None:
        """Raise unless both services the pipeline needs answer: the lead table and the intake queue.

        One attempt with short timeouts, so a health probe answers within seconds whatever
        state storage is in.
        """
        with contextlib.suppress(ResourceNotFoundError):  # not found is an answer all the same
            self.table(LEADS_TABLE).get_entity("health", "0", **_PROBE)
        self.queue(MARKETPLACE_LEADS_QUEUE).get_queue_properties(**_PROBE)


@cache
def clients_for(storage: StorageSettings) -> StorageClients:
    return StorageClients(storage)
