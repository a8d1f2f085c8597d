"""Queue triggers against a real Azurite: decoding, retries, poison queue, parallelism."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient

from devhost.azurite import Azurite
from devhost.process import HostProcess
from tests.conftest import wait_for
from tests.devhost.support import CONCURRENCY_MESSAGES, PARALLEL_MESSAGES, encoded, queue_client

Records = Callable[..., list[dict[str, Any]]]


def test_base64_message_reaches_the_function_decoded(azurite: Azurite, records: Records) -> None:
    text = f"hello {uuid.uuid4()} ✓"
    queue_client(azurite, "sample-records").send_message(text)
    [record] = records("record_message", where=lambda r: r["body"] == text)
    assert record["dequeue_count"] == 1


def poisoned_messages(azurite: Azurite, queue: str, expected: str, timeout: float = 10) -> list[str]:
    """The texts on `<queue>-poison`, once `expected` is among them (or after `timeout`)."""
    poison = QueueClient.from_connection_string(azurite.connection_string, f"{queue}-poison")
    deadline = time.monotonic() + timeout
    poisoned: list[str] = []
    while time.monotonic() < deadline and expected not in poisoned:
        # The host creates the poison queue when it first needs it.
        with contextlib.suppress(ResourceNotFoundError):
            poisoned = [message.content for message in poison.peek_messages(max_messages=32)]
        time.sleep(0.05)
    return poisoned


NOT_BASE64 = {
    "text": "not base64! {}",
    "json": '{{"LeadId": "{}"}}',  # a producer that forgot to encode
    "bad padding": "YWJj{}=",
}


@pytest.mark.parametrize("text", NOT_BASE64.values(), ids=NOT_BASE64.keys())
def test_message_that_is_not_base64_goes_to_poison_without_running(
    azurite: Azurite, records: Records, host: HostProcess, text: str
) -> None:
    # As the Storage Queues extension: never handed to the function, moved at its first delivery.
    marker = str(uuid.uuid4())
    raw = text.format(marker.replace("-", ""))
    queue_client(azurite, "sample-records", base64_encoded=False).send_message(raw)
    assert raw in poisoned_messages(azurite, "sample-records", raw), host.log_text()
    # The reason is logged (just after the move).
    wait_for(lambda: "not valid base64" in host.log_text(), timeout=5)
    # A valid message sent after it runs, so the listener went on and the bad one is long gone.
    after = f"after {marker}"
    queue_client(azurite, "sample-records").send_message(after)
    records("record_message", where=lambda r: r["body"] == after)
    assert not records("record_message", 0, where=lambda r: marker.replace("-", "") in r["body"])


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

    # The original text as stored, still base64.
    assert encoded(text) in poisoned_messages(azurite, "sample-doomed", encoded(text)), host.log_text()
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


def test_a_queue_function_runs_batch_size_plus_new_batch_threshold_at_once(records: Records) -> None:
    # Queued before the host started (see conftest and sample_app.concurrency).
    results = records("concurrency", CONCURRENCY_MESSAGES, timeout=60)
    assert sorted(result["body"] for result in results) == sorted(
        f"concurrency-{index}" for index in range(CONCURRENCY_MESSAGES)
    )
    # batchSize 16 + newBatchThreshold 8 in the test host.json: never more, and reached.
    assert max(result["peak"] for result in results) == 16 + 8
