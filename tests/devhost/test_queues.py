"""Queue triggers against a real Azurite: decoding, retries, poison queue, parallelism."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient

from devhost.azurite import Azurite
from devhost.process import HostProcess
from tests.devhost.support import PARALLEL_MESSAGES, encoded, queue_client

Records = Callable[..., list[dict[str, Any]]]


def test_base64_message_reaches_the_function_decoded(azurite: Azurite, records: Records) -> None:
    text = f"hello {uuid.uuid4()} ✓"
    queue_client(azurite, "sample-records").send_message(text)
    [record] = records("record_message", where=lambda r: r["body"] == text)
    assert record["dequeue_count"] == 1


def test_message_that_is_not_base64_reaches_the_function_as_raw_text(
    azurite: Azurite, records: Records
) -> None:
    text = f"not base64! {uuid.uuid4()}"
    queue_client(azurite, "sample-records", base64_encoded=False).send_message(text)
    assert records("record_message", where=lambda r: r["body"] == text)


def test_failed_message_is_retried_until_it_succeeds(azurite: Azurite, records: Records) -> None:
    text = f"flaky {uuid.uuid4()}"
    queue_client(azurite, "sample-flaky").send_message(text)
    [done] = records("flaky_done", where=lambda r: r["body"] == text)
    attempts = records("flaky_attempt", 3, where=lambda r: r["body"] == text)
    assert done["dequeue_count"] == 3
    assert sorted(attempt["dequeue_count"] for attempt in attempts) == [1, 2, 3]


def test_message_failing_five_times_lands_in_the_poison_queue(
    azurite: Azurite, records: Records, host: HostProcess
) -> None:
    text = f"doomed {uuid.uuid4()}"
    queue_client(azurite, "sample-doomed").send_message(text)
    attempts = records("doomed_attempt", 5, where=lambda r: r["body"] == text)
    assert sorted(attempt["dequeue_count"] for attempt in attempts) == [1, 2, 3, 4, 5]

    poison = QueueClient.from_connection_string(azurite.connection_string, "sample-doomed-poison")
    deadline = time.monotonic() + 10
    poisoned: list[str] = []
    while time.monotonic() < deadline and encoded(text) not in poisoned:
        # The host creates the poison queue when it first needs it.
        with contextlib.suppress(ResourceNotFoundError):
            poisoned = [message.content for message in poison.peek_messages(max_messages=32)]
        time.sleep(0.05)
    # The original text as stored, still base64.
    assert encoded(text) in poisoned, host.log_text()
    original = QueueClient.from_connection_string(azurite.connection_string, "sample-doomed")
    assert original.get_queue_properties().approximate_message_count == 0
    time.sleep(1)  # a sixth delivery would have happened by now
    assert len(records("doomed_attempt", where=lambda r: r["body"] == text)) == 5


def test_sixteen_messages_run_at_the_same_time(records: Records) -> None:
    # Queued before the host started (see conftest); each waits at a barrier of sixteen.
    results = records("parallel", PARALLEL_MESSAGES, timeout=20)
    assert len(results) == PARALLEL_MESSAGES
    assert all(result["passed"] for result in results)
    assert sorted(result["body"] for result in results) == sorted(
        f"parallel-{index}" for index in range(PARALLEL_MESSAGES)
    )
