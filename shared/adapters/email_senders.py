"""Where notification emails go: Azure Communication Services Email, or `.eml` files in an outbox.

Both senders take a rendered `EmailMessage` and either deliver it or raise:
`TransientEmailError` (try again later: throttled, server error, network) or
`PermanentEmailError` (retrying the same message cannot help: rejected request, bad address).

Both are idempotent on `EmailMessage.idempotency_key`: the outbox names its file after it, so a
repeat overwrites; ACS gets it as the send operation's `Operation-Id`, so a retried send names the
same operation instead of starting a second one.
"""

from __future__ import annotations

import email.message
import email.policy
import email.utils
import hashlib
import logging
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from azure.communication.email import EmailClient
from azure.core.credentials import AzureKeyCredential, TokenCredential
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from shared.domain.notification_content import EmailMessage

if TYPE_CHECKING:
    from azure.core.rest import HttpResponse

    from shared.config import Settings

log = logging.getLogger(__name__)


class TransientEmailError(Exception):
    """The email was not sent, and trying again later may succeed."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentEmailError(Exception):
    """The email was refused; sending the same message again would be refused again."""


class EmailSender(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver the message; raises TransientEmailError or PermanentEmailError."""
        ...


# --- outbox ----------------------------------------------------------------------------------

_SAFE_FILE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")


def outbox_file_name(message: EmailMessage) -> str:
    """The file one message is written to: the same message always lands on the same file."""
    key = message.idempotency_key
    if not _SAFE_FILE_STEM.fullmatch(key):
        key = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"{key}.eml"


def _message_id(message: EmailMessage) -> str:
    # Stable like the file name, so a mail client also sees a repeat as the same message.
    domain = message.sender.rpartition("@")[2] or "localhost"
    stem = outbox_file_name(message).removesuffix(".eml")
    return f"<{stem}@{domain}>"


def to_mime(message: EmailMessage, *, sent_at: datetime) -> email.message.EmailMessage:
    """The message as RFC 5322 MIME: multipart/alternative, plain text first, then HTML."""
    mime = email.message.EmailMessage(policy=email.policy.SMTP)
    mime["From"] = message.sender
    mime["To"] = ", ".join(message.recipients)
    mime["Subject"] = message.subject
    mime["Date"] = email.utils.format_datetime(sent_at)
    mime["Message-ID"] = _message_id(message)
    for name, value in message.headers.items():
        mime[name] = value
    mime.set_content(message.text, charset="utf-8")
    mime.add_alternative(message.html, subtype="html", charset="utf-8")
    return mime


class OutboxSender:
    """Writes one `.eml` file per email into a directory, for local runs and tests.

    Each file is written to a temporary name and renamed into place, so a reader never
    sees half a message, and a repeat of the same message replaces the earlier file.
    """

    def __init__(
        self, directory: str | os.PathLike[str], *, now: Callable[[], datetime] | None = None
    ) -> None:
        self.directory = Path(directory)
        self._now = now or (lambda: datetime.now(UTC))

    def path_for(self, message: EmailMessage) -> Path:
        return self.directory / outbox_file_name(message)

    def send(self, message: EmailMessage) -> None:
        try:
            data = to_mime(message, sent_at=self._now()).as_bytes()
        except (ValueError, TypeError) as error:
            raise PermanentEmailError(f"message cannot be written as MIME: {error}") from error
        target = self.path_for(message)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".eml.tmp")
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise TransientEmailError(f"cannot write {target}: {error}") from error
        log.info("email %s written to %s", message.idempotency_key, target)

    def remove_older_than(self, cutoff: datetime) -> int:
        """Delete the emails (and any half-written file) last written before `cutoff`.

        The outbox stands in for a mail server, and its files hold the leads' contact details:
        they go once they are as old as a lead's expiry. Returns how many files went.
        """
        removed = 0
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return 0
        limit = cutoff.timestamp()
        for entry in entries:
            if not entry.name.endswith((".eml", ".eml.tmp")) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                if entry.stat(follow_symlinks=False).st_mtime < limit:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue  # removed meanwhile, or replaced by a rename: nothing left to do
        if removed:
            log.info("removed %d outbox files written before %s", removed, cutoff.isoformat())
        return removed


# --- Azure Communication Services ------------------------------------------------------------

# Fixed namespace for turning idempotency keys into the UUIDs ACS expects as operation ids.
_OPERATION_ID_NAMESPACE = uuid.UUID("6f1e3c52-8a4b-4d0e-9a57-3f3b1c2d7e90")
# Statuses worth another try: throttled, timed out, or the service failed.
_TRANSIENT_STATUS = frozenset({408, 429})
# A repeat of a send whose Operation-Id ACS already knows (still running, per its repeatable-request rules).
_OPERATION_EXISTS = 409


def acs_operation_id(message: EmailMessage) -> str:
    """The `Operation-Id` of a message's send: a UUID derived from its idempotency key."""
    return str(uuid.uuid5(_OPERATION_ID_NAMESPACE, message.idempotency_key))


def acs_payload(message: EmailMessage) -> dict[str, Any]:
    """The Email REST API's send body."""
    return {
        "senderAddress": message.sender,
        "recipients": {"to": [{"address": address} for address in message.recipients]},
        "content": {"subject": message.subject, "plainText": message.text, "html": message.html},
        "headers": dict(message.headers),
        # Link rewriting would send admins through a tracking redirect to their own portal.
        "userEngagementTrackingDisabled": True,
    }


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """The server's requested wait: `retry-after-ms`, `x-ms-retry-after-ms`, or `Retry-After`
    (seconds or an HTTP date), as azure-core reads them. None when absent or unreadable."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        if name in lowered:
            try:
                return max(0.0, float(lowered[name]) / 1000)
            except ValueError:
                pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _describe(error: HttpResponseError) -> str:
    code = getattr(getattr(error, "error", None), "code", None)
    return f"{error.status_code} {code or ''} {error.message}".strip()


def _classify(error: HttpResponseError) -> TransientEmailError | PermanentEmailError:
    status = error.status_code
    if status is None:
        # No response at all (for example a token that could not be fetched yet).
        return TransientEmailError(f"ACS request failed: {error.message}")
    if 200 <= status < 300:
        # The send was accepted, then the operation ended Failed or Canceled (for example
        # every recipient suppressed): ACS has already given up on this exact message.
        return PermanentEmailError(f"ACS reported the send failed: {_describe(error)}")
    # azure-core types `response` as a protocol without headers; every response it raises with has them.
    headers = cast("HttpResponse", error.response).headers if error.response is not None else {}
    if status in _TRANSIENT_STATUS or status >= 500:
        return TransientEmailError(
            f"ACS answered {_describe(error)}", retry_after=retry_after_seconds(headers)
        )
    return PermanentEmailError(f"ACS refused the email: {_describe(error)}")


def _default_credential(client_id: str | None) -> TokenCredential:
    # Imported here: only the managed-identity path needs azure.identity.
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    if client_id:
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential()


class AcsEmailSender:
    """Sends through the `azure-communication-email` SDK, retrying what is worth retrying.

    The SDK's own retry policy is switched off (`retry_total=0`) so that this class owns the
    whole retry loop: it honours `Retry-After`, waits through the injected `sleep` (tests record
    the wait instead of sleeping), and re-sends with the same `Operation-Id` every time.
    A server that asks for a wait longer than `max_wait_seconds` gets a TransientEmailError at
    once, so the caller's queue retries later instead of a function holding its slot.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        access_key: str | None = None,
        credential: TokenCredential | None = None,
        managed_identity_client_id: str | None = None,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        max_wait_seconds: float = 60.0,
        polling_interval_seconds: float = 2.0,
        timeout_seconds: float = 30.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        auth: AzureKeyCredential | TokenCredential
        if access_key:
            auth = AzureKeyCredential(access_key)
        else:
            if not endpoint.lower().startswith("https://"):
                # azure-core refuses bearer tokens over plain http; fail at start-up, not per email.
                raise ValueError("ACS with a token credential needs an https endpoint")
            auth = credential or _default_credential(managed_identity_client_id)
        self.endpoint = endpoint
        self._client = EmailClient(
            endpoint,
            auth,
            retry_total=0,
            polling_interval=polling_interval_seconds,
            connection_timeout=timeout_seconds,
            read_timeout=timeout_seconds,
        )
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._backoff_seconds = backoff_seconds
        self._max_backoff_seconds = max_backoff_seconds
        self._max_wait_seconds = max_wait_seconds

    def close(self) -> None:
        self._client.close()

    def _backoff(self, failed_attempts: int) -> float:
        return min(self._max_backoff_seconds, self._backoff_seconds * 2.0 ** (failed_attempts - 1))

    def _send_once(self, payload: dict[str, Any], operation_id: str) -> None:
        try:
            self._client.begin_send(payload, operation_id=operation_id).result()
        except HttpResponseError as error:
            if error.status_code == _OPERATION_EXISTS:
                # ACS already holds an operation with this id: an earlier attempt of this very
                # email was accepted, so sending again would be the duplicate we are avoiding.
                log.info("ACS already has operation %s; not sending it again", operation_id)
                return
            raise _classify(error) from error
        except (ServiceRequestError, ServiceResponseError) as error:
            raise TransientEmailError(f"cannot reach ACS: {error.message}") from error

    def send(self, message: EmailMessage) -> None:
        payload = acs_payload(message)
        operation_id = acs_operation_id(message)
        for attempt in range(1, self._max_attempts + 1):
            try:
                self._send_once(payload, operation_id)
            except TransientEmailError as error:
                wait = error.retry_after if error.retry_after is not None else self._backoff(attempt)
                if attempt == self._max_attempts or wait > self._max_wait_seconds:
                    raise
                log.warning(
                    "email %s attempt %d of %d failed (%s); retrying in %.1f s",
                    message.idempotency_key,
                    attempt,
                    self._max_attempts,
                    error,
                    wait,
                )
                self._sleep(wait)
                continue
            log.info("email %s sent through ACS as operation %s", message.idempotency_key, operation_id)
            return


def email_sender_from_settings(settings: Settings) -> EmailSender:
    """ACS when `ACS_ENDPOINT` is set (with `ACS_ACCESS_KEY`, else managed identity); else the outbox."""
    if settings.acs_endpoint:
        return AcsEmailSender(
            settings.acs_endpoint,
            access_key=settings.acs_access_key,
            managed_identity_client_id=settings.acs_client_id,
        )
    return OutboxSender(settings.outbox_dir)
