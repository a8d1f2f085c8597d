"""The limits Azure enforces on what this service sends it, in one place, with their sources.

Azurite accepts most of what Azure refuses (a `$filter` of 30 comparisons, a 2 MiB entity, a
1 MiB queue message), so without a check of our own production would be the first to find
out. The storage clients of `storage_clients` therefore refuse, before anything is sent, what
Azure would refuse, with the status and error code Azure answers, so product code meets the
error in every test just as it would in Azure:

- Table requests go through `AzureLimitsAdapter`, a `requests` transport adapter on the
  clients' session: it answers a request over a limit itself, as the Table service would
  (a JSON error body and `x-ms-error-code`), and the SDK raises its usual exception for it.
- Queue messages are checked by `LimitedTextBase64EncodePolicy` as they are encoded.

The checks are always on: in Azure they cost a parse of a body already in memory and turn a
late service error into an early, clear one.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.queue import TextBase64EncodePolicy
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPResponse

KIB = 1024
MIB = 1024 * KIB

# --- the limits ------------------------------------------------------------------------------

QUERYING_TABLES_DOC = "https://learn.microsoft.com/rest/api/storageservices/querying-tables-and-entities"
TABLE_DATA_MODEL_DOC = (
    "https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model"
)
ENTITY_SIZE_FORMULA_DOC = (
    "https://learn.microsoft.com/archive/blogs/avkashchauhan/"
    "how-the-size-of-an-entity-is-caclulated-in-windows-azure-table-storage"
)
TABLE_SCALE_TARGETS_DOC = "https://learn.microsoft.com/azure/storage/tables/scalability-targets"
PUT_MESSAGE_DOC = "https://learn.microsoft.com/rest/api/storageservices/put-message"
ACS_LIMITS_DOC = "https://learn.microsoft.com/azure/communication-services/concepts/service-limits#email"

# "No more than 15 discrete comparisons are permitted within a $filter string."
MAX_FILTER_COMPARISONS = 15
# An entity-group transaction: at most 100 entities, and a payload under 4 MiB.
MAX_BATCH_OPERATIONS = 100
MAX_BATCH_BYTES = 4 * MIB
# "The combined size of all data in an entity's properties can't exceed 1 MiB", and a String
# (UTF-16) or Binary property holds at most 64 KiB.
MAX_ENTITY_BYTES = 1 * MIB
MAX_PROPERTY_BYTES = 64 * KIB
# "The encoded message can be up to 64 KiB in size": the text after base64, for our clients.
MAX_QUEUE_MESSAGE_BYTES = 64 * KIB
# Azure Communication Services Email: the total size of one email request is at most 10 MB.
MAX_EMAIL_REQUEST_BYTES = 10 * 1000 * 1000

# One comparison operator as a word (string literals are removed before counting).
_COMPARISON = re.compile(r"(?<![\w$@.])(?:eq|ne|gt|ge|lt|le)(?![\w.])")
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")
_KEY_IN_URL = re.compile(r"(PartitionKey|RowKey)='((?:[^']|'')*)'")
# Fixed sizes of the non-string property types in the entity size formula.
_TYPE_SIZES = {
    "Edm.DateTime": 8,
    "Edm.Guid": 16,
    "Edm.Double": 8,
    "Edm.Int32": 4,
    "Edm.Int64": 8,
    "Edm.Boolean": 1,
}


# --- sizes -----------------------------------------------------------------------------------


def filter_comparisons(filter_text: str) -> int:
    """How many comparisons (`eq ne gt ge lt le`) a `$filter` makes, as sent (values substituted)."""
    return len(_COMPARISON.findall(_STRING_LITERAL.sub("''", filter_text)))


def utf16_bytes(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass"))


def base64_length(raw_bytes: int) -> int:
    return 4 * math.ceil(raw_bytes / 3)


def queue_message_bytes(text: str) -> int:
    """The size of a text message on a queue whose messages are base64, as the Functions host's."""
    return base64_length(len(text.encode("utf-8")))


def queue_message_fits(text: str) -> bool:
    return queue_message_bytes(text) <= MAX_QUEUE_MESSAGE_BYTES


@dataclass(frozen=True)
class PropertySize:
    name: str
    value_bytes: int  # what the 64 KiB rule measures
    entity_bytes: int  # what the property adds to the entity's size


def property_sizes(body: Mapping[str, Any]) -> Iterator[PropertySize]:
    """Each property of an entity as the Table service's JSON carries it (`name@odata.type`
    annotations give the type of values JSON cannot tell apart), sized by the documented formula:
    8 bytes + 2 per character of the name + the value (UTF-16 string + 4, binary + 4, fixed sizes)."""
    for name, value in body.items():
        if "@" in name or name in ("PartitionKey", "RowKey", "Timestamp") or name.startswith("odata."):
            continue
        edm_type = body.get(f"{name}@odata.type")
        if value is None:
            value_bytes = 0
        elif edm_type == "Edm.Binary":
            try:
                value_bytes = len(base64.b64decode(str(value)))
            except (binascii.Error, ValueError):
                value_bytes = len(str(value))
        elif isinstance(edm_type, str) and edm_type in _TYPE_SIZES:
            value_bytes = _TYPE_SIZES[edm_type]
        elif isinstance(value, bool):
            value_bytes = 1
        elif isinstance(value, int):
            value_bytes = 4
        elif isinstance(value, float):
            value_bytes = 8
        else:  # a String
            value_bytes = utf16_bytes(str(value))
        variable = (
            value is not None and edm_type in (None, "Edm.String", "Edm.Binary") and isinstance(value, str)
        )
        yield PropertySize(name, value_bytes, 8 + 2 * len(name) + value_bytes + (4 if variable else 0))


def entity_bytes(partition_key: str, row_key: str, body: Mapping[str, Any]) -> int:
    """4 bytes + 2 per character of the keys + each property's size."""
    return 4 + 2 * (len(partition_key) + len(row_key)) + sum(p.entity_bytes for p in property_sizes(body))


# --- the checks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """What Azure answers a request it refuses."""

    status: int
    code: str
    message: str


def _filter_refusal(url: str) -> Refusal | None:
    for filter_text in parse_qs(urlsplit(url).query).get("$filter", []):
        count = filter_comparisons(filter_text)
        if count > MAX_FILTER_COMPARISONS:
            return Refusal(
                400,
                "InvalidInput",
                f"The $filter makes {count} comparisons; Table Storage allows at most "
                f"{MAX_FILTER_COMPARISONS} ({QUERYING_TABLES_DOC}).",
            )
    return None


def _keys_from_url(url: str) -> dict[str, str]:
    path = unquote(urlsplit(url).path)
    return {name: value.replace("''", "'") for name, value in _KEY_IN_URL.findall(path)}


def entity_refusal(url: str, body: Mapping[str, Any]) -> Refusal | None:
    """An insert, update or merge of one entity over the property or entity limit."""
    for prop in property_sizes(body):
        if prop.value_bytes > MAX_PROPERTY_BYTES:
            return Refusal(
                400,
                "PropertyValueTooLarge",
                f"Property {prop.name} is {prop.value_bytes} bytes; a property holds at most "
                f"{MAX_PROPERTY_BYTES} ({TABLE_DATA_MODEL_DOC}).",
            )
    keys = _keys_from_url(url)
    size = entity_bytes(
        str(body.get("PartitionKey", keys.get("PartitionKey", ""))),
        str(body.get("RowKey", keys.get("RowKey", ""))),
        body,
    )
    if size > MAX_ENTITY_BYTES:
        return Refusal(
            400,
            "EntityTooLarge",
            f"The entity is {size} bytes; an entity holds at most {MAX_ENTITY_BYTES} "
            f"({ENTITY_SIZE_FORMULA_DOC}).",
        )
    return None


def _json_body(raw: bytes) -> Mapping[str, Any] | None:
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


# The request line of each operation of an entity-group transaction.
_BATCH_REQUEST_LINE = re.compile(rb"^(?:POST|PUT|PATCH|MERGE|DELETE|GET) \S+ HTTP/1\.1\r?$", re.MULTILINE)
# An operation: its request line, headers, a blank line and the body, up to the next boundary.
_BATCH_OPERATION = re.compile(
    rb"^(?:POST|PUT|PATCH|MERGE|DELETE|GET) (\S+) HTTP/1\.1\r?\n(?:[^\r\n]+\r?\n)*\r?\n(.*?)(?=\r?\n--)",
    re.MULTILINE | re.DOTALL,
)


def batch_refusal(body: bytes) -> Refusal | None:
    if len(body) > MAX_BATCH_BYTES:
        return Refusal(
            413,
            "RequestBodyTooLarge",
            f"The transaction is {len(body)} bytes; Table Storage takes less than {MAX_BATCH_BYTES} "
            f"({TABLE_SCALE_TARGETS_DOC}).",
        )
    count = len(_BATCH_REQUEST_LINE.findall(body))
    if count > MAX_BATCH_OPERATIONS:
        return Refusal(
            400,
            "InvalidInput",
            f"The transaction has {count} operations; Table Storage takes at most "
            f"{MAX_BATCH_OPERATIONS} ({TABLE_SCALE_TARGETS_DOC}).",
        )
    for url, operation_body in _BATCH_OPERATION.findall(body):
        entity = _json_body(operation_body.strip())
        refusal = entity_refusal(url.decode("utf-8", "replace"), entity) if entity else None
        if refusal:
            return refusal
    return None


def table_request_refusal(method: str, url: str, body: bytes | None) -> Refusal | None:
    """What Azure's Table service would refuse in this request, if anything."""
    if method == "GET":
        return _filter_refusal(url)
    if not body:
        return None
    if urlsplit(url).path.endswith("/$batch"):
        return batch_refusal(body)
    if method in ("POST", "PUT", "PATCH", "MERGE"):
        entity = _json_body(body)
        return entity_refusal(url, entity) if entity else None
    return None


# --- where the checks run --------------------------------------------------------------------


_REASONS = {400: "Bad Request", 413: "Request Body Too Large"}


def _table_error_response(request: requests.PreparedRequest, refusal: Refusal) -> requests.Response:
    """The Table service's answer to a refused request, in its JSON error format."""
    error = {"odata.error": {"code": refusal.code, "message": {"lang": "en-US", "value": refusal.message}}}
    content = json.dumps(error).encode("utf-8")
    headers = {
        "Content-Type": "application/json;odata=minimalmetadata;streaming=true;charset=utf-8",
        "Content-Length": str(len(content)),
        "x-ms-error-code": refusal.code,
    }
    reason = _REASONS.get(refusal.status, "Bad Request")
    response = requests.Response()
    response.status_code = refusal.status
    response.reason = reason
    response.headers = CaseInsensitiveDict(headers)
    response.raw = HTTPResponse(
        body=io.BytesIO(content), headers=headers, status=refusal.status, reason=reason, preload_content=False
    )
    response.encoding = "utf-8"
    response.url = request.url or ""
    response.request = request
    return response


class AzureLimitsAdapter(BaseAdapter):
    """A transport adapter for the Table clients' session: a request Azure would refuse is
    answered here as Azure would answer it; every other request goes on to `inner`."""

    def __init__(self, inner: BaseAdapter) -> None:
        super().__init__()
        self.inner = inner

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        refusal = table_request_refusal(
            (request.method or "GET").upper(), request.url or "", body if isinstance(body, bytes) else None
        )
        if refusal is not None:
            return _table_error_response(request, refusal)
        return self.inner.send(request, **kwargs)

    def close(self) -> None:
        self.inner.close()


def enforce_azure_limits(session: requests.Session) -> None:
    """Put the limit check in front of every adapter mounted on `session`."""
    for prefix, adapter in list(session.adapters.items()):
        if not isinstance(adapter, AzureLimitsAdapter):
            session.mount(prefix, AzureLimitsAdapter(adapter))


class QueueMessageTooLarge(HttpResponseError):
    """A queue message over 64 KiB after encoding; Azure answers 413 `RequestBodyTooLarge`."""

    def __init__(self, size: int) -> None:
        super().__init__(
            message=f"The encoded message is {size} bytes; a queue message holds at most "
            f"{MAX_QUEUE_MESSAGE_BYTES} ({PUT_MESSAGE_DOC})."
        )
        self.status_code = 413
        self.reason = _REASONS[413]
        self.error_code = "RequestBodyTooLarge"


class LimitedTextBase64EncodePolicy(TextBase64EncodePolicy):
    """Base64, as the Functions host reads it, refusing what the queue would refuse."""

    def encode(self, content: str) -> str:
        encoded = super().encode(content)
        if len(encoded) > MAX_QUEUE_MESSAGE_BYTES:
            raise QueueMessageTooLarge(len(encoded))
        return encoded
