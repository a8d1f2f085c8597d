"""Six-field NCRONTAB schedules: next occurrence after given instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from devhost.ncrontab import Schedule, ScheduleError


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 */15 * * * *", "2024-03-10T10:07:31", "2024-03-10T10:15:00"),
        ("0 */15 * * * *", "2024-03-10T10:15:00", "2024-03-10T10:30:00"),
        ("0 */15 * * * *", "2024-03-10T23:59:59", "2024-03-11T00:00:00"),
        ("0 5 * * * *", "2024-03-10T10:04:59", "2024-03-10T10:05:00"),
        ("0 5 * * * *", "2024-03-10T10:05:00", "2024-03-10T11:05:00"),
        ("0 0 7 * * *", "2024-03-10T07:00:00", "2024-03-11T07:00:00"),
        ("0 0 7 * * *", "2024-02-28T08:00:00", "2024-02-29T07:00:00"),
        ("0 0 7 * * *", "2024-12-31T07:00:01", "2025-01-01T07:00:00"),
        ("*/2 * * * * *", "2024-03-10T10:00:00", "2024-03-10T10:00:02"),
        ("*/2 * * * * *", "2024-03-10T10:00:01.900000", "2024-03-10T10:00:02"),
        ("*/2 * * * * *", "2024-03-10T10:00:59", "2024-03-10T10:01:00"),
        ("*/1 * * * * *", "2024-03-10T10:00:00.250000", "2024-03-10T10:00:01"),
        ("30 10-12/2 8 * * *", "2024-03-10T08:10:30", "2024-03-10T08:12:30"),
        ("0 0 9,17 * * 1-5", "2024-03-08T17:00:00", "2024-03-11T09:00:00"),  # Friday evening -> Monday
        ("0 0 0 * * 0", "2024-03-10T00:00:00", "2024-03-17T00:00:00"),  # Sundays
        ("0 0 0 * * 7", "2024-03-10T00:00:00", "2024-03-17T00:00:00"),  # 7 is Sunday too
        ("0 0 0 29 2 *", "2024-03-01T00:00:00", "2028-02-29T00:00:00"),
        ("0 0 0 1 1 *", "2024-03-01T00:00:00", "2025-01-01T00:00:00"),
        ("5/20 * * * * *", "2024-03-10T10:00:26", "2024-03-10T10:00:45"),
        # Day and day-of-week both restricted: either matches, as in cron.
        ("0 0 0 13 * 5", "2024-03-10T00:00:00", "2024-03-13T00:00:00"),
        ("0 0 0 13 * 5", "2024-03-13T00:00:00", "2024-03-15T00:00:00"),
    ],
)
def test_next_occurrence(expression: str, after: str, expected: str) -> None:
    assert Schedule.parse(expression).next_after(at(after)) == at(expected)


def test_result_is_in_utc_whatever_the_input_zone() -> None:
    paris_winter = timezone(timedelta(hours=1))
    instant = datetime(2024, 3, 10, 7, 30, tzinfo=paris_winter)  # 06:30 UTC
    assert Schedule.parse("0 0 7 * * *").next_after(instant) == at("2024-03-10T07:00:00")


def test_consecutive_occurrences_of_a_quarter_hour_schedule() -> None:
    schedule = Schedule.parse("0 */15 * * * *")
    instant = at("2024-03-10T10:00:00")
    occurrences = []
    for _ in range(5):
        instant = schedule.next_after(instant)
        occurrences.append(instant.strftime("%H:%M:%S"))
    assert occurrences == ["10:15:00", "10:30:00", "10:45:00", "11:00:00", "11:15:00"]


@pytest.mark.parametrize(
    "expression",
    [
        "*/15 * * * *",  # five fields
        "0 0 0 * * * *",
        "60 * * * * *",
        "0 60 * * * *",
        "0 0 24 * * *",
        "0 0 0 0 * *",
        "0 0 0 * 13 *",
        "0 0 0 * * 8",
        "*/0 * * * * *",
        "0 5-1 * * * *",
        "0 0 0 * JAN *",
        "a * * * * *",
    ],
)
def test_invalid_schedules_are_rejected(expression: str) -> None:
    with pytest.raises(ScheduleError):
        Schedule.parse(expression)


def test_schedule_that_never_matches() -> None:
    with pytest.raises(ScheduleError):
        Schedule.parse("0 0 0 31 2 *").next_after(at("2024-01-01T00:00:00"))


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        Schedule.parse("* * * * * *").next_after(datetime(2024, 1, 1))
