"""The storage clients give up within seconds when storage is unreachable, queues like tables.

The queue SDK's default policy waits 15 s and more between its attempts (over a minute in all),
which held an intake request for more than a minute before its 503.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import AzureError

from shared.adapters.storage_clients import LEADS_TABLE, StorageClients
from shared.config import StorageSettings
from shared.domain.queues import MARKETPLACE_LEADS_QUEUE
from tests.faults.conftest import Link
from tests.faults.proxy import Mode

# 3 attempts and about 1 s of back-off; generous for a loaded machine, far below a minute.
GIVES_UP_WITHIN_SECONDS = 8


def seconds_to_fail(call: Callable[[], Any]) -> float:
    started = time.monotonic()
    with pytest.raises(AzureError):
        call()
    return time.monotonic() - started


def test_queue_and_table_calls_fail_within_seconds_while_storage_resets_every_connection(link: Link) -> None:
    clients = StorageClients(StorageSettings(link.connection_string, None, None, None))
    queue = clients.queue(MARKETPLACE_LEADS_QUEUE)
    table = clients.table(LEADS_TABLE)
    attempts_before = link.queue.connections + link.table.connections

    link.set_mode(Mode.RESET)

    assert seconds_to_fail(lambda: queue.send_message("{}")) < GIVES_UP_WITHIN_SECONDS
    assert seconds_to_fail(lambda: table.get_entity("p", "r")) < GIVES_UP_WITHIN_SECONDS
    # Each gave up after retrying, not at the first error.
    assert link.queue.connections + link.table.connections - attempts_before >= 4

    link.set_mode(Mode.UP)
    queue.send_message("{}")  # the same clients work again at once
