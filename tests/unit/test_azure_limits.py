"""The sizes and counts Azure's limits are measured by, as documented."""

from __future__ import annotations

import base64

import pytest

from shared.adapters.azure_limits import (
    MAX_BATCH_OPERATIONS,
    MAX_ENTITY_BYTES,
    MAX_FILTER_COMPARISONS,
    MAX_PROPERTY_BYTES,
    MAX_QUEUE_MESSAGE_BYTES,
    batch_refusal,
    entity_bytes,
    entity_refusal,
    filter_comparisons,
    queue_message_bytes,
    queue_message_fits,
    table_request_refusal,
)


@pytest.mark.parametrize(
    ("filter_text", "count"),
    [
        ("PartitionKey eq 'p'", 1),
        ("PartitionKey eq 'p' and RowKey gt 'lead|' and RowKey lt 'lead}'", 3),
        ("PartitionKey eq 'p' and ( RowKey eq 'a' or RowKey eq 'b' or RowKey ne 'c' )", 4),
        ("Age ge 18 and Age le 65 and not (Status eq 'x')", 3),
        # Values never count, however they read: a literal ' eq ', an escaped quote, a name.
        ("Company eq 'a eq b or c lt d' and Name eq 'O''Brien gt'", 2),
        ("equal eq 'leq' and Flag eq true", 2),
    ],
)
def test_filter_comparisons_count_operators_not_values(filter_text: str, count: int) -> None:
    assert filter_comparisons(filter_text) == count


def test_a_filter_over_fifteen_comparisons_is_refused_as_azure_refuses_it() -> None:
    def url(comparisons: int) -> str:
        text = " or ".join(f"RowKey eq 'r{n}'" for n in range(comparisons))
        return "http://127.0.0.1/devstoreaccount1/Leads()?$filter=" + text.replace(" ", "%20")

    assert table_request_refusal("GET", url(MAX_FILTER_COMPARISONS), None) is None
    refusal = table_request_refusal("GET", url(MAX_FILTER_COMPARISONS + 1), None)
    assert refusal is not None and (refusal.status, refusal.code) == (400, "InvalidInput")
    assert "16 comparisons" in refusal.message and "15" in refusal.message


def test_entity_size_follows_the_documented_formula() -> None:
    # 4 + 2 * len("pk" + "rk") + String (8 + 2*1 + 2*3 + 4) + Int32 (8 + 2*1 + 4)
    # + Int64 (8 + 2*1 + 8) + Binary (8 + 2*1 + 3 + 4)
    body = {
        "S": "abc",
        "N": 7,
        "L": "9",
        "L@odata.type": "Edm.Int64",
        "B": base64.b64encode(b"xyz").decode(),
        "B@odata.type": "Edm.Binary",
    }
    assert entity_bytes("pk", "rk", body) == 4 + 8 + 20 + 14 + 18 + 17


def test_strings_are_measured_in_utf16_so_an_emoji_takes_four_bytes() -> None:
    at_limit = "x" * (MAX_PROPERTY_BYTES // 2)
    assert entity_refusal("http://h/a/T", {"S": at_limit}) is None
    refusal = entity_refusal("http://h/a/T", {"S": at_limit[:-1] + "😀"})
    assert refusal is not None and refusal.code == "PropertyValueTooLarge" and "Property S" in refusal.message


def test_an_entity_over_one_mib_is_refused_even_when_every_property_fits() -> None:
    properties = {
        f"P{n:02d}": "x" * (MAX_PROPERTY_BYTES // 2) for n in range(MAX_ENTITY_BYTES // MAX_PROPERTY_BYTES)
    }
    refusal = entity_refusal("http://h/a/T(PartitionKey='p',RowKey='r')", properties)
    assert refusal is not None and (refusal.status, refusal.code) == (400, "EntityTooLarge")
    properties.pop("P00")
    assert entity_refusal("http://h/a/T(PartitionKey='p',RowKey='r')", properties) is None


def _batch(operations: int, body: str = '{"PartitionKey": "p", "RowKey": "r"}') -> bytes:
    parts = []
    for n in range(operations):
        parts.append(
            "--changeset_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-ID: {n}\r\n\r\nPOST http://h/a/Leads HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
            f"{body}\r\n"
        )
    return ("--batch_1\r\n\r\n" + "".join(parts) + "--changeset_1--\r\n\r\n--batch_1--\r\n").encode()


def test_a_transaction_over_one_hundred_operations_or_an_oversized_entity_is_refused() -> None:
    assert batch_refusal(_batch(MAX_BATCH_OPERATIONS)) is None
    too_many = batch_refusal(_batch(MAX_BATCH_OPERATIONS + 1))
    assert too_many is not None and (too_many.status, too_many.code) == (400, "InvalidInput")
    deletes = batch_refusal(_batch(MAX_BATCH_OPERATIONS + 1, body=""))  # operations without a body
    assert deletes is not None and "101 operations" in deletes.message
    big_property = batch_refusal(
        _batch(2, '{"PartitionKey": "p", "RowKey": "r", "S": "' + "x" * 40_000 + '"}')
    )
    assert big_property is not None and big_property.code == "PropertyValueTooLarge"


def test_a_transaction_body_over_four_mib_is_refused_with_413() -> None:
    refusal = batch_refusal(b"x" * (4 * 1024 * 1024 + 1))
    assert refusal is not None and (refusal.status, refusal.code) == (413, "RequestBodyTooLarge")


def test_queue_messages_are_measured_after_base64() -> None:
    # 3 bytes of UTF-8 become 4 of base64: 48 KiB of text is exactly 64 KiB on the queue.
    assert queue_message_bytes("x" * 48 * 1024) == MAX_QUEUE_MESSAGE_BYTES
    assert queue_message_fits("x" * 48 * 1024)
    assert not queue_message_fits("x" * (48 * 1024 + 1))
    # Non-ASCII text takes more: 16 Ki euro signs are 48 KiB of UTF-8.
    assert queue_message_fits("€" * 16 * 1024) and not queue_message_fits("€" * (16 * 1024 + 1))
