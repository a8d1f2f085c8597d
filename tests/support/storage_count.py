"""Counting what a Table client asks storage for: requests sent and entity rows answered.

Installed as azure-core's per-client `raw_request_hook` / `raw_response_hook`, so it sees every
request on the wire (retries included) through the real SDK and Azurite.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.data.tables import TableClient


class StorageCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.rows = 0

    def on_request(self, request: PipelineRequest[Any]) -> None:
        with self._lock:
            self.requests += 1

    def on_response(self, response: PipelineResponse[Any, Any]) -> None:
        http = response.http_response
        if response.http_request.method != "GET" or http.status_code != 200:
            return
        try:
            body = json.loads(http.text() or "{}")
        except ValueError:
            return
        with self._lock:
            # A query answers {"value": [rows]}; a point read answers the entity itself.
            self.rows += len(body["value"]) if isinstance(body.get("value"), list) else 1

    def reset(self) -> None:
        with self._lock:
            self.requests = self.rows = 0

    def snapshot(self) -> tuple[int, int]:
        with self._lock:
            return self.requests, self.rows


def counted_table(connection_string: str, table_name: str, counter: StorageCounter) -> TableClient:
    return TableClient.from_connection_string(
        connection_string,
        table_name,
        raw_request_hook=counter.on_request,
        raw_response_hook=counter.on_response,
    )
