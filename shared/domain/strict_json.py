"""JSON as RFC 8259 defines it, for bodies that come from outside.

Python's `json.loads` accepts `NaN` and `Infinity`, keeps the last of two equal keys,
and turns `"\\ud800"` into a string no UTF-8 encoder can write (Table Storage and the
queues then fail on it, far from the cause). Each of these is refused here, naming
where in the document it is, so a sender learns what to fix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any


class JsonRefused(ValueError):
    """A body that is not strict JSON; `field` is where ("body" for the whole document)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field != "body" else message)
        self.field = field
        self.message = message


class _NotANumber:
    """Stands in for NaN / Infinity until the document's walk reports where it was."""

    def __init__(self, text: str) -> None:
        self.text = text


class _DuplicateKeys(dict[str, Any]):
    """An object that named a key twice, marked until the walk reports where it was."""

    def __init__(self, pairs: list[tuple[str, Any]], duplicate: str) -> None:
        super().__init__(pairs)
        self.duplicate = duplicate


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _DuplicateKeys(pairs, key)
        seen.add(key)
    return dict(pairs)


def _float(text: str) -> float | _NotANumber:
    value = float(text)
    # `1e999` overflows to infinity: as unusable as a literal `Infinity`.
    return value if math.isfinite(value) else _NotANumber(text)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _walk(document: Any) -> Iterator[tuple[str, Any]]:
    """(path, value) of every value, in document order; iterative, so depth costs no stack."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, value = pending.pop()
        yield path, value
        if isinstance(value, dict):
            children = [(f"{path}.{key}" if path else str(key), child) for key, child in value.items()]
        elif isinstance(value, list):
            children = [
                (f"{path}.{index}" if path else str(index), child) for index, child in enumerate(value)
            ]
        else:
            continue
        pending.extend(reversed(children))


def _problem(value: Any) -> str | None:
    if isinstance(value, _NotANumber):
        return f"{value.text[:20]} is not a JSON number"
    if isinstance(value, _DuplicateKeys):
        return f"has the key {value.duplicate[:50]!r} more than once"
    if isinstance(value, str) and _has_lone_surrogate(value):
        return "has an unpaired UTF-16 surrogate escape, which is not a Unicode character"
    if isinstance(value, dict) and any(_has_lone_surrogate(key) for key in value):
        return "has a key with an unpaired UTF-16 surrogate escape"
    return None


def loads_strict(raw: bytes | str) -> Any:
    """Parse strict JSON. Raises JsonRefused for NaN/Infinity, a repeated key or a lone
    surrogate; ValueError / UnicodeDecodeError / RecursionError as `json.loads` does."""
    document = json.loads(raw, object_pairs_hook=_object, parse_constant=_NotANumber, parse_float=_float)
    for path, value in _walk(document):
        problem = _problem(value)
        if problem is not None:
            raise JsonRefused(path or "body", problem)
    return document
