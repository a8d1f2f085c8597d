"""The two email senders: the real ACS SDK against a local stub, and the `.eml` outbox."""

from __future__ import annotations

import email.policy
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.parser import BytesParser
from pathlib import Path

import pytest

from shared.adapters.email_senders import (
    AcsEmailSender,
    OutboxSender,
    PermanentEmailError,
    TransientEmailError,
    acs_operation_id,
    email_sender_from_settings,
    retry_after_seconds,
)
from shared.config import load_settings
from shared.domain.notification_content import EmailMessage, render_digest, render_new_lead
from tests.integration.acs_stub import AcsEmailStub, ScriptedAnswer

SENDER = "leads@contoso.example"
RECIPIENT = "admin@contoso.example"


def _lead(**changes: object) -> dict[str, object]:
    lead: dict[str, object] = {
        "id": "01JDLEAD0001",
        "partnerId": "contoso",
        "leadType": "Offer",
        "qualification": "Direct",
        "leadSource": "AppSource",
        "callToAction": "ContactMe",
        "offer": {"id": "contoso-crm", "title": "Contoso CRM"},
        "customer": {
            "company": "Müller & Söhne GmbH",
            "firstName": "Zeynep",
            "lastName": "Yılmaz",
            "email": "zeynep@mueller.example",
            "phone": "+4930901820",
            "title": "CTO",
            "country": "DE",
            "size": None,
        },
        "customerNeed": "Wir möchten eine Demo 🚀",
        "customerRequestedContact": True,
        "stage": "Received",
        "status": "Received",
        "createdDateTime": "2026-11-20T08:15:00Z",
        "expirationDateTime": "2026-12-04T08:15:00Z",
        "emailValidity": "Valid",
        "phoneValidity": "Valid",
        "quality": "High",
        "spamFlags": [],
    }
    lead.update(changes)
    return lead


def _message(**changes: object) -> EmailMessage:
    return render_new_lead(
        _lead(**changes), recipient=RECIPIENT, sender=SENDER, portal_base_url="https://leads.contoso.example"
    )


@pytest.fixture
def stub() -> Iterator[AcsEmailStub]:
    with AcsEmailStub() as running:
        yield running


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


def _sender(stub: AcsEmailStub, sleep: RecordedSleep, **options: object) -> Iterator[AcsEmailSender]:
    sender = AcsEmailSender(stub.endpoint, access_key=stub.access_key, sleep=sleep, **options)  # type: ignore[arg-type]
    try:
        yield sender
    finally:
        sender.close()


@pytest.fixture
def acs(stub: AcsEmailStub, sleep: RecordedSleep) -> Iterator[AcsEmailSender]:
    yield from _sender(stub, sleep)


# --- ACS ---------------------------------------------------------------------------------------


def test_acs_send_posts_the_message_signed_and_waits_for_success(
    acs: AcsEmailSender, stub: AcsEmailStub, sleep: RecordedSleep
) -> None:
    message = _message()

    acs.send(message)

    [send] = stub.sends()
    assert send.path.startswith("/emails:send?api-version=")
    assert send.signature_valid, "the HMAC-SHA256 signature must verify with the access key"
    assert send.headers["authorization"].startswith(
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
    )
    body = send.json
    assert body["senderAddress"] == SENDER
    assert body["recipients"]["to"] == [{"address": RECIPIENT}]
    assert body["content"]["subject"] == message.subject
    assert "Müller & Söhne GmbH" in body["content"]["subject"]
    assert body["content"]["plainText"] == message.text
    assert body["content"]["html"] == message.html
    assert body["headers"] == {"X-Notification-Kind": "NewLead", "X-Lead-Ids": "01JDLEAD0001"}
    # The status poll followed, and the operation ended Succeeded; nothing was retried.
    assert len(stub.polls()) == 1
    assert all(request.signature_valid for request in stub.polls())
    assert stub.operations == {acs_operation_id(message): "Succeeded"}
    assert sleep.waits == []


def test_acs_send_names_the_operation_after_the_idempotency_key(
    acs: AcsEmailSender, stub: AcsEmailStub
) -> None:
    message = _message()

    acs.send(message)
    acs.send(message)  # a redelivery of the same notification

    operation_ids = {request.headers["operation-id"] for request in stub.sends()}
    assert operation_ids == {acs_operation_id(message)}
    assert uuid.UUID(acs_operation_id(message))  # ACS wants a UUID
    assert len(stub.accepted) == 1, "the repeated Operation-Id did not queue a second email"
    other = render_new_lead(
        _lead(),
        recipient="other@contoso.example",
        sender=SENDER,
        portal_base_url="https://leads.contoso.example",
    )
    assert acs_operation_id(other) != acs_operation_id(message)


def test_acs_429_honours_retry_after_and_sends_once(
    acs: AcsEmailSender, stub: AcsEmailStub, sleep: RecordedSleep
) -> None:
    stub.fail_next_sends(
        ScriptedAnswer(
            429,
            headers={"Retry-After": "1"},
            body={"error": {"code": "TooManyRequests", "message": "slow down"}},
        )
    )

    acs.send(_message())

    assert sleep.waits == [1.0]
    sends = stub.sends()
    assert len(sends) == 2
    assert sends[0].headers["operation-id"] == sends[1].headers["operation-id"]
    assert len(stub.accepted) == 1


def test_acs_500_is_retried_with_backoff(
    acs: AcsEmailSender, stub: AcsEmailStub, sleep: RecordedSleep
) -> None:
    stub.fail_next_sends(
        ScriptedAnswer(500, body={"error": {"code": "InternalError", "message": "boom"}}),
        ScriptedAnswer(503, body={"error": {"code": "ServiceUnavailable", "message": "busy"}}),
    )

    acs.send(_message())

    assert sleep.waits == [1.0, 2.0]  # exponential back-off without a Retry-After
    assert len(stub.sends()) == 3
    assert len(stub.accepted) == 1


def test_acs_400_is_permanent_and_not_retried(
    acs: AcsEmailSender, stub: AcsEmailStub, sleep: RecordedSleep
) -> None:
    stub.fail_next_sends(
        ScriptedAnswer(
            400, body={"error": {"code": "InvalidSenderAddress", "message": "sender not verified"}}
        )
    )

    with pytest.raises(PermanentEmailError, match="InvalidSenderAddress"):
        acs.send(_message())

    assert len(stub.sends()) == 1
    assert sleep.waits == []
    assert stub.accepted == []


def test_acs_persistent_throttling_gives_up_as_transient(stub: AcsEmailStub, sleep: RecordedSleep) -> None:
    throttled = ScriptedAnswer(429, headers={"Retry-After": "2"}, body={"error": {"code": "TooManyRequests"}})
    stub.fail_next_sends(*[throttled] * 3)

    for sender in _sender(stub, sleep, max_attempts=3):
        with pytest.raises(TransientEmailError) as raised:
            sender.send(_message())

    assert raised.value.retry_after == 2.0
    assert sleep.waits == [2.0, 2.0]
    assert len(stub.sends()) == 3


def test_acs_retry_after_beyond_the_limit_is_left_to_the_caller(
    stub: AcsEmailStub, sleep: RecordedSleep
) -> None:
    stub.fail_next_sends(
        ScriptedAnswer(429, headers={"Retry-After": "600"}, body={"error": {"code": "Throttled"}})
    )

    for sender in _sender(stub, sleep, max_wait_seconds=60):
        with pytest.raises(TransientEmailError) as raised:
            sender.send(_message())

    assert raised.value.retry_after == 600.0
    assert sleep.waits == []
    assert len(stub.sends()) == 1


def test_acs_409_for_a_known_operation_id_counts_as_sent(
    acs: AcsEmailSender, stub: AcsEmailStub, sleep: RecordedSleep
) -> None:
    stub.fail_next_sends(
        ScriptedAnswer(409, body={"error": {"code": "Conflict", "message": "operation already exists"}})
    )

    acs.send(_message())  # neither raises nor retries

    assert len(stub.sends()) == 1
    assert stub.polls() == []
    assert sleep.waits == []


def test_acs_failed_operation_is_permanent(
    acs: AcsEmailSender, stub: AcsEmailStub, sleep: RecordedSleep
) -> None:
    stub.final_status = "Failed"

    with pytest.raises(PermanentEmailError, match="failed"):
        acs.send(_message())

    assert len(stub.sends()) == 1
    assert sleep.waits == []


def test_acs_polls_until_the_operation_finishes(stub: AcsEmailStub, sleep: RecordedSleep) -> None:
    stub.running_polls = 2

    for sender in _sender(stub, sleep, polling_interval_seconds=0.01):
        sender.send(_message())

    assert len(stub.polls()) == 3
    assert list(stub.operations.values()) == ["Succeeded"]


def test_acs_unreachable_endpoint_is_transient(sleep: RecordedSleep) -> None:
    with socket.socket() as probe:  # a loopback port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = "c2VjcmV0LWtleS1mb3ItdGVzdHM="
    sender = AcsEmailSender(f"http://127.0.0.1:{port}", access_key=key, max_attempts=3, sleep=sleep)
    try:
        with pytest.raises(TransientEmailError, match="cannot reach ACS"):
            sender.send(_message())
    finally:
        sender.close()
    assert sleep.waits == [1.0, 2.0]


def test_acs_token_credential_requires_https() -> None:
    class NeverUsedCredential:
        def get_token(self, *scopes: str, **kwargs: object) -> object:
            raise AssertionError("no token is fetched at construction")

    with pytest.raises(ValueError, match="https"):
        AcsEmailSender("http://127.0.0.1:9", credential=NeverUsedCredential())  # type: ignore[arg-type]
    sender = AcsEmailSender("https://contoso.communication.azure.com", credential=NeverUsedCredential())  # type: ignore[arg-type]
    assert sender.endpoint == "https://contoso.communication.azure.com"
    sender.close()
    # Without key or credential: the user-assigned managed identity named by its client id.
    identity = AcsEmailSender(
        "https://contoso.communication.azure.com", managed_identity_client_id="client-id"
    )
    identity.close()


def test_retry_after_reads_seconds_milliseconds_and_dates() -> None:
    now = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert retry_after_seconds({"Retry-After": "Fri, 20 Nov 2026 08:00:30 GMT"}, now=now) == 30.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


# --- settings ----------------------------------------------------------------------------------


def test_settings_choose_acs_with_an_endpoint_and_the_outbox_without(tmp_path: Path) -> None:
    base = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    outbox = email_sender_from_settings(load_settings({**base, "OUTBOX_DIR": str(tmp_path / "mail")}))
    assert isinstance(outbox, OutboxSender)
    assert outbox.directory == tmp_path / "mail"

    acs = email_sender_from_settings(
        load_settings(
            {**base, "ACS_ENDPOINT": "http://127.0.0.1:9", "ACS_ACCESS_KEY": "c2VjcmV0LWtleS1mb3ItdGVzdHM="}
        )
    )
    assert isinstance(acs, AcsEmailSender)
    acs.close()


# --- outbox ------------------------------------------------------------------------------------


def _parse(path: Path) -> email.message.EmailMessage:
    with path.open("rb") as file:
        parsed = BytesParser(policy=email.policy.default).parse(file)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_outbox_writes_a_parseable_multipart_alternative_eml(tmp_path: Path) -> None:
    sent_at = datetime(2026, 11, 20, 8, 16, tzinfo=UTC)
    sender = OutboxSender(tmp_path / "outbox", now=lambda: sent_at)
    message = _message()

    sender.send(message)

    [path] = (tmp_path / "outbox").iterdir()
    assert path.suffix == ".eml"
    parsed = _parse(path)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["From"] == SENDER
    assert parsed["To"] == RECIPIENT
    assert parsed["Subject"] == message.subject
    assert "🔥" in parsed["Subject"] and "Müller & Söhne GmbH" in parsed["Subject"]
    assert parsed["Date"].datetime == sent_at
    assert parsed["Message-ID"].startswith("<newlead-")
    assert parsed["X-Notification-Kind"] == "NewLead"
    assert parsed["X-Lead-Ids"] == "01JDLEAD0001"
    plain = parsed.get_body(preferencelist=("plain",))
    rich = parsed.get_body(preferencelist=("html",))
    assert plain is not None and rich is not None
    assert plain.get_content() == message.text.replace("\r\n", "\n")
    assert "Zeynep Yılmaz" in plain.get_content()
    assert rich.get_content() == message.html
    assert plain.get_content_charset() == "utf-8"


def test_outbox_the_same_message_twice_is_one_file(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path)
    message = _message()

    sender.send(message)
    sender.send(message)

    assert [path.name for path in tmp_path.iterdir()] == [f"{message.idempotency_key}.eml"]


def test_outbox_different_messages_are_different_files(tmp_path: Path) -> None:
    sender = OutboxSender(tmp_path)
    new_lead = _message()
    digest = render_digest(
        [_lead(), _lead(id="01JDLEAD0002")],
        day=date(2026, 11, 20),
        recipient=RECIPIENT,
        sender=SENDER,
        portal_base_url="https://leads.contoso.example",
    )

    sender.send(new_lead)
    sender.send(digest)

    names = sorted(path.name for path in tmp_path.iterdir())
    assert len(names) == 2
    assert _parse(tmp_path / f"{digest.idempotency_key}.eml")["X-Lead-Ids"] == "01JDLEAD0001,01JDLEAD0002"


def test_outbox_file_name_is_safe_for_any_key(tmp_path: Path) -> None:
    message = EmailMessage(
        sender=SENDER,
        recipients=(RECIPIENT,),
        subject="Hello",
        text="hi",
        html="<p>hi</p>",
        headers={"X-Notification-Kind": "NewLead", "X-Lead-Ids": "a"},
        idempotency_key="../../escape attempt",
    )

    OutboxSender(tmp_path / "box").send(message)

    [path] = (tmp_path / "box").iterdir()
    assert path.parent == tmp_path / "box"
    assert ".." not in path.name and path.name.endswith(".eml")


def test_outbox_unwritable_directory_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the outbox should be")

    with pytest.raises(TransientEmailError):
        OutboxSender(blocker).send(_message())
