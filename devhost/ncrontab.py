"""Six-field NCRONTAB schedules, as Azure Functions timer triggers use them.

    {second} {minute} {hour} {day} {month} {day-of-week}

The arithmetic is croniter's (with its seconds field first). This module only holds the host to
the subset the app's schedules use and Azure reads the same way: each field is `*`, a number, a
range `a-b`, a step `*/n`, `a-b/n` or `a/n`, or a comma-separated list of those. Day of week runs
0-6 from Sunday (7 is also Sunday); when both day and day-of-week are restricted a time matches
if either does, as in cron. Times are UTC. Names (`MON`, `JAN`), croniter's extensions (`L`, `W`,
`#`, `H`, `?`), a year field and a reversed range (which croniter would wrap around) are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from croniter import CroniterBadDateError, CroniterError, croniter

_FIELD_NAMES = ("second", "minute", "hour", "day", "month", "day-of-week")
_PLAIN_FIELD = re.compile(r"[0-9*,/-]+")
_RANGE = re.compile(r"(\d+)-(\d+)")


class ScheduleError(ValueError):
    """The schedule text is not a valid six-field NCRONTAB expression."""


def _check_field(text: str, name: str) -> None:
    if not _PLAIN_FIELD.fullmatch(text):
        raise ScheduleError(f"{name}: {text!r} may hold only numbers, '*', ',', '-' and '/'")
    for low, high in _RANGE.findall(text):
        if int(low) > int(high):
            raise ScheduleError(f"{name}: empty range {low}-{high}")


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; `next_after(instant)` gives the first matching second strictly after it."""

    expression: str

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        parts = expression.split()
        if len(parts) != len(_FIELD_NAMES):
            raise ScheduleError(
                f"{expression!r}: expected 6 fields (second minute hour day month day-of-week), "
                f"got {len(parts)}"
            )
        for part, name in zip(parts, _FIELD_NAMES, strict=True):
            _check_field(part, name)
        normalized = " ".join(parts)
        try:
            croniter.expand(normalized, second_at_beginning=True)
        except CroniterError as error:
            raise ScheduleError(f"{expression!r}: {error}") from None
        return cls(normalized)

    def next_after(self, instant: datetime) -> datetime:
        """The first time matching the schedule strictly after `instant` (aware, returned in UTC)."""
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        start = instant.astimezone(UTC)
        try:
            following = croniter(self.expression, start, second_at_beginning=True).get_next(datetime)
        except CroniterBadDateError:
            raise ScheduleError(f"{self.expression!r} never matches") from None
        return following.astimezone(UTC)
