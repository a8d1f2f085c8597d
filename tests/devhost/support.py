"""Helpers shared by the local host's tests."""

from __future__ import annotations

import base64
import contextlib
from pathlib import Path

from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from devhost.azurite import Azurite

SAMPLE_DIR = Path(__file__).resolve().parent
# Must match the barrier size in sample_app.py.
PARALLEL_MESSAGES = 16
# More than sample_app.CONCURRENCY_LIMIT, so that a host that ran too many at once would show it.
CONCURRENCY_MESSAGES = 40


def queue_client(azurite: Azurite, name: str, *, base64_encoded: bool = True) -> QueueClient:
    policy = TextBase64EncodePolicy() if base64_encoded else None
    client = QueueClient.from_connection_string(azurite.connection_string, name, message_encode_policy=policy)
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    return client


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
