"""Six-field NCRONTAB schedules, as Azure Functions timer triggers use them.

    {second} {minute} {hour} {day} {month} {day-of-week}

Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n` or `a/n`, or a comma-separated
list of those. Day of week runs 0-6 from Sunday (7 is also Sunday). As in cron, when both day
and day-of-week are restricted, a time matches if either does. Times are UTC. Names (`MON`,
`JAN`) are not supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class ScheduleError(ValueError):
    """The schedule text is not a valid six-field NCRONTAB expression."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int


_FIELDS = (
    _Field("second", 0, 59),
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day", 1, 31),
    _Field("month", 1, 12),
    _Field("day-of-week", 0, 7),
)

# Enough to cross any valid combination (29 February of a leap year is at most 8 years away).
_SEARCH_LIMIT = timedelta(days=366 * 9)


def _parse_number(text: str, field: _Field) -> int:
    if not text.isdigit():
        raise ScheduleError(f"{field.name}: {text!r} is not a number")
    value = int(text)
    if not field.low <= value <= field.high:
        raise ScheduleError(f"{field.name}: {value} is outside {field.low}-{field.high}")
    return value


def _parse_field(text: str, field: _Field) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        range_text, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"{field.name}: bad step in {part!r}")
            step = int(step_text)
        if range_text == "*":
            low, high = field.low, field.high
        elif "-" in range_text:
            low_text, _, high_text = range_text.partition("-")
            low, high = _parse_number(low_text, field), _parse_number(high_text, field)
            if low > high:
                raise ScheduleError(f"{field.name}: empty range {range_text!r}")
        else:
            low = _parse_number(range_text, field)
            # `a/n` means from a to the end of the field, every n.
            high = field.high if step_text else low
        values.update(range(low, high + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; `next_after(instant)` gives the first matching second strictly after it."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    day_restricted: bool
    weekday_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        parts = expression.split()
        if len(parts) != len(_FIELDS):
            raise ScheduleError(
                f"{expression!r}: expected 6 fields (second minute hour day month day-of-week), "
                f"got {len(parts)}"
            )
        seconds, minutes, hours, days, months, weekdays = (
            _parse_field(part, field) for part, field in zip(parts, _FIELDS, strict=True)
        )
        # Sunday is both 0 and 7.
        weekdays = frozenset(0 if day == 7 else day for day in weekdays)
        return cls(
            expression=expression,
            seconds=seconds,
            minutes=minutes,
            hours=hours,
            days=days,
            months=months,
            weekdays=weekdays,
            day_restricted=not parts[3].startswith("*"),
            weekday_restricted=not parts[5].startswith("*"),
        )

    def _day_matches(self, instant: datetime) -> bool:
        if instant.month not in self.months:
            return False
        in_days = instant.day in self.days
        # Python: Monday=0 .. Sunday=6; cron: Sunday=0 .. Saturday=6.
        in_weekdays = (instant.weekday() + 1) % 7 in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def next_after(self, instant: datetime) -> datetime:
        """The first time matching the schedule strictly after `instant` (aware, returned in UTC)."""
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        start = instant.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        limit = start + _SEARCH_LIMIT
        candidate = start
        while candidate < limit:
            if not self._day_matches(candidate):
                candidate = candidate.replace(hour=0, minute=0, second=0) + timedelta(days=1)
                continue
            if candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0, second=0) + timedelta(hours=1)
                continue
            if candidate.minute not in self.minutes:
                candidate = candidate.replace(second=0) + timedelta(minutes=1)
                continue
            if candidate.second not in self.seconds:
                candidate += timedelta(seconds=1)
                continue
            return candidate
        raise ScheduleError(f"{self.expression!r} never matches")
