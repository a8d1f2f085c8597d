"""Lead ids that sort newest first.

An id is a 13-digit inverted millisecond timestamp of the lead's creation
followed by 10 random base-32 characters. Table Storage returns rows in RowKey
order, so a range scan over `lead|<id>` lists the newest lead first, and a
creation-date range is a RowKey range.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

_MAX_MS = 10**13 - 1
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LEAD_ID_PATTERN = re.compile(r"^[0-9]{13}[0-9a-hjkmnp-tv-z]{10}$")


def _epoch_ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)


def inverted_time_prefix(moment: datetime) -> str:
    return f"{_MAX_MS - _epoch_ms(moment):013d}"


def new_lead_id(created: datetime) -> str:
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return inverted_time_prefix(created) + suffix


def is_lead_id(text: str) -> bool:
    return bool(LEAD_ID_PATTERN.match(text))


def id_bound(moment: datetime) -> str:
    """Leads created before `moment` have ids >= this bound; those created at or after it, ids < it."""
    return f"{_MAX_MS - _epoch_ms(moment) + 1:013d}"
