"""Continuation tokens: a small JSON body, base64url without padding, as the service issues them.

A token says where the previous page ended. The reader checks the body it decodes field by
field and refuses anything else (400), so a token is only as good as the checks on its body.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any


def encode_token_body(body: Mapping[str, Any]) -> str:
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token_body(token: str, max_length: int) -> dict[str, Any] | None:
    """The JSON object a token carries; None for anything that is not one of at most `max_length`."""
    if len(token) > max_length:
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        return None
    return body if isinstance(body, dict) else None
