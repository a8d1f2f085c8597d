"""Lead ids that sort newest first.

An id is a 13-digit inverted millisecond timestamp of the lead's creation
followed by 10 random base-32 characters. Table Storage returns rows in RowKey
order, so a range scan over `lead|<id>` lists the newest lead first, and a
creation-date range is a RowKey range.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

_MAX_MS = 10**13 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
# The creation times an id can encode: 13 digits of inverted milliseconds since 1970.
EARLIEST_ENCODABLE = _EPOCH
LATEST_ENCODABLE = _EPOCH + _MAX_MS * _ONE_MS  # 2286-11-20T17:46:39.999Z
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LEAD_ID_PATTERN = re.compile(r"[0-9]{13}[0-9a-hjkmnp-tv-z]{10}")


def _epoch_ms(moment: datetime) -> int:
    # Subtracting aware datetimes cannot overflow, unlike converting 9999-12-31 to UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _ONE_MS


def inverted_time_prefix(moment: datetime) -> str:
    ms = _epoch_ms(moment)
    if not 0 <= ms <= _MAX_MS:
        raise ValueError(f"{moment.isoformat()} is outside the times a lead id can encode")
    return f"{_MAX_MS - ms:013d}"


def new_lead_id(created: datetime) -> str:
    """A new id for a lead created at `created`; ValueError outside 1970 to 2286."""
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return inverted_time_prefix(created) + suffix


def is_lead_id(text: str) -> bool:
    # fullmatch: `$` would also accept a trailing newline.
    return bool(LEAD_ID_PATTERN.fullmatch(text))


def id_bound(moment: datetime) -> str:
    """Leads created before `moment` have ids >= this bound; those created at or after it, ids < it.

    Any moment is accepted: outside the encodable times the bound is clamped, so it still
    sorts as 13 digits (no lead is created outside that window).
    """
    ms = min(max(_epoch_ms(moment), 1), _MAX_MS)
    return f"{_MAX_MS - ms + 1:013d}"
