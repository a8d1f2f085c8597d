"""Queue triggers: poll each trigger queue and run its function on the messages, as the real host does.

- Messages are fetched `batchSize` at a time; the next batch is fetched once the messages in flight
  drop to `newBatchThreshold`, so up to `batchSize + newBatchThreshold` run at once per function.
- An empty queue is polled again after 100 ms, doubling up to `maxPollingInterval`.
- Success deletes the message. A failure makes it visible again after `visibilityTimeout`, unless
  it has been dequeued `maxDequeueCount` times: then its original text goes to `<queue>-poison`.
- With base64 encoding, a message that is not valid base64 goes to `<queue>-poison` unchanged on its
  first delivery, without running the function (the Storage Queues extension does the same).
- Storage errors while polling are logged and retried with back-off; the listener never gives up.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import ResourceExistsError
from azure.functions.queue import QueueMessage
from azure.storage.queue import ExponentialRetry, QueueClient
from azure.storage.queue import QueueMessage as StorageQueueMessage

from devhost.config import QueueOptions, resolve_setting_references
from devhost.functions import FunctionSpec, Invoker

logger = logging.getLogger("devhost.queues")

MIN_POLLING_INTERVAL = timedelta(milliseconds=100)
# A received message stays invisible to other pollers this long while its function runs; a message
# whose host died (or lost storage) mid-run comes back after it. Tests of crashes shorten it.
RECEIVE_VISIBILITY_SECONDS = 60
RECEIVE_VISIBILITY_SETTING = "DEVHOST_RECEIVE_VISIBILITY_SECONDS"
# The storage service returns at most 32 messages per receive.
MAX_MESSAGES_PER_RECEIVE = 32
POLLER_STOP_SECONDS = 2.0


def _short_retry() -> ExponentialRetry:
    # The SDK's default waits 15 s and more between attempts; the poller backs off on its own, and
    # stopping the host must not wait behind a long SDK retry.
    return ExponentialRetry(initial_backoff=0, increment_base=1, retry_total=1, random_jitter_range=0)


class NotBase64Error(ValueError):
    """A message on a base64 queue whose text is not base64: it can never be delivered."""


_ASCII_WHITESPACE = str.maketrans("", "", " \t\r\n")


def decode_body(content: str, encoding: str) -> bytes:
    """The message body the function sees: base64-decoded, or the text itself with `none` encoding.

    Raises NotBase64Error for base64 encoding and text that is not base64 (whitespace is ignored,
    padding is required, as .NET's decoder does).
    """
    if encoding.lower() != "base64":
        return content.encode("utf-8")
    try:
        return base64.b64decode(content.translate(_ASCII_WHITESPACE), validate=True)
    except (binascii.Error, ValueError):
        raise NotBase64Error("the message is not valid base64") from None


def to_function_message(message: StorageQueueMessage, body: bytes) -> QueueMessage:
    return QueueMessage(
        id=message.id,
        body=body,
        dequeue_count=message.dequeue_count,
        expiration_time=message.expires_on,
        insertion_time=message.inserted_on,
        time_next_visible=message.next_visible_on,
        pop_receipt=message.pop_receipt,
    )


class QueueListener:
    """Polls one trigger queue on its own thread and runs messages on a pool of
    `batchSize + newBatchThreshold` threads."""

    def __init__(self, spec: FunctionSpec, options: QueueOptions, invoker: Invoker) -> None:
        assert spec.queue_name is not None and spec.connection is not None
        self.spec = spec
        self.options = options
        self.invoker = invoker
        self.queue_name = resolve_setting_references(spec.queue_name)
        self._stopping = threading.Event()
        self._capacity_changed = threading.Condition()
        self._in_flight = 0
        self._batch_size = max(1, min(options.batch_size, MAX_MESSAGES_PER_RECEIVE))
        self._threshold = max(0, options.effective_new_batch_threshold)
        self._pool = ThreadPoolExecutor(
            max_workers=self._batch_size + self._threshold, thread_name_prefix=f"queue-{spec.name}"
        )
        self._thread = threading.Thread(target=self._run, name=f"poll-{spec.name}", daemon=True)
        self._queue: QueueClient | None = None
        self._poison: QueueClient | None = None
        self._poison_ready = False

    def start(self) -> None:
        connection_string = os.environ.get(self.spec.connection or "")
        if not connection_string:
            raise RuntimeError(f"function {self.spec.name!r}: setting {self.spec.connection!r} is not set")
        self._queue = QueueClient.from_connection_string(
            connection_string, self.queue_name, retry_policy=_short_retry()
        )
        self._poison = QueueClient.from_connection_string(
            connection_string, f"{self.queue_name}-poison", retry_policy=_short_retry()
        )
        self._thread.start()

    def request_stop(self) -> None:
        """Stop polling; messages already received still run to the end."""
        self._stopping.set()
        with self._capacity_changed:
            self._capacity_changed.notify_all()

    def join(self, timeout: float = POLLER_STOP_SECONDS) -> None:
        """Wait for the messages in flight to finish.

        The poller runs no function code, so it is waited for only `timeout` seconds: a receive
        stuck on unreachable storage must not hold up stopping.
        """
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def stop(self, timeout: float = POLLER_STOP_SECONDS) -> None:
        self.request_stop()
        self.join(timeout)

    def _run(self) -> None:
        interval = MIN_POLLING_INTERVAL
        queue_ready = False
        while not self._stopping.is_set():
            # As the real host: a whole new batch once no more than the threshold are in flight.
            with self._capacity_changed:
                while self._in_flight > self._threshold and not self._stopping.is_set():
                    self._capacity_changed.wait()
            if self._stopping.is_set():
                return
            try:
                if not queue_ready:
                    self._create_if_missing(self._queue)
                    queue_ready = True
                messages = self._receive(self._batch_size)
            except Exception as error:
                logger.warning(
                    "polling queue %r failed, retrying in %s: %s", self.queue_name, interval, error
                )
                self._stopping.wait(interval.total_seconds())
                interval = min(interval * 2, self.options.max_polling_interval)
                continue
            if not messages:
                self._stopping.wait(interval.total_seconds())
                interval = min(interval * 2, self.options.max_polling_interval)
                continue
            interval = MIN_POLLING_INTERVAL
            with self._capacity_changed:
                self._in_flight += len(messages)
            for message in messages:
                try:
                    self._pool.submit(self._process, message)
                except RuntimeError:
                    return  # stopping: the pool is shut down; the message becomes visible again later

    def _receive(self, count: int) -> list[StorageQueueMessage]:
        assert self._queue is not None
        pages = self._queue.receive_messages(
            messages_per_page=count,
            max_messages=count,
            visibility_timeout=int(os.environ.get(RECEIVE_VISIBILITY_SETTING, RECEIVE_VISIBILITY_SECONDS)),
        )
        return list(pages)

    def _process(self, message: StorageQueueMessage) -> None:
        try:
            if message.dequeue_count > self.options.max_dequeue_count:
                # Already failed as often as allowed (e.g. the host died mid-run): straight to poison.
                self._move_to_poison(message, reason=f"it was dequeued {message.dequeue_count} times")
                return
            try:
                body = decode_body(message.content or "", self.options.message_encoding)
            except NotBase64Error:
                # Never runs the function, and retrying cannot help.
                self._move_to_poison(message, reason="it is not valid base64")
                return
            function_message = to_function_message(message, body)
            try:
                self.invoker.invoke(
                    self.spec,
                    function_message,
                    trigger_details=f"Id={message.id}, DequeueCount={message.dequeue_count}",
                )
            except Exception:
                self._after_failure(message)
            else:
                self._delete(message)
        except Exception:
            logger.exception("handling message %s of queue %r failed", message.id, self.queue_name)
        finally:
            with self._capacity_changed:
                self._in_flight -= 1
                self._capacity_changed.notify_all()

    def _after_failure(self, message: StorageQueueMessage) -> None:
        assert self._queue is not None
        if message.dequeue_count >= self.options.max_dequeue_count:
            self._move_to_poison(message, reason=f"it failed {message.dequeue_count} times")
            return
        self._queue.update_message(
            message.id,
            message.pop_receipt,
            visibility_timeout=int(self.options.visibility_timeout.total_seconds()),
        )

    def _move_to_poison(self, message: StorageQueueMessage, *, reason: str) -> None:
        assert self._poison is not None
        if not self._poison_ready:
            self._create_if_missing(self._poison)
            self._poison_ready = True
        # The original text, as stored: the client has no encode policy, so it is sent unchanged.
        self._poison.send_message(message.content or "")
        self._delete(message)
        logger.warning("message %s moved to %r: %s", message.id, f"{self.queue_name}-poison", reason)

    def _delete(self, message: StorageQueueMessage) -> None:
        assert self._queue is not None
        self._queue.delete_message(message.id, message.pop_receipt)

    @staticmethod
    def _create_if_missing(queue: QueueClient | None) -> None:
        assert queue is not None
        with contextlib.suppress(ResourceExistsError):
            queue.create_queue()


def admin_queue_message(body: str) -> QueueMessage:
    """The message a queue function gets when run through the admin endpoint."""
    now = datetime.now(UTC)
    return QueueMessage(
        id=str(uuid.uuid4()),
        body=body.encode("utf-8"),
        dequeue_count=1,
        insertion_time=now,
        time_next_visible=now,
        expiration_time=now + timedelta(days=7),
        pop_receipt=None,
    )
