"""Lead ids encode 1970 to 2286 and nothing else; any date gives a usable bound, never an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.domain.lead_ids import (
    LATEST_ENCODABLE,
    id_bound,
    is_lead_id,
    new_lead_id,
)
from shared.domain.lead_query import after_lead, decode_continuation, encode_continuation

MINUS_5 = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2300, 1, 1, tzinfo=UTC),
        datetime(1960, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=MINUS_5),
        LATEST_ENCODABLE + timedelta(milliseconds=1),
    ],
)
def test_an_id_is_never_made_for_a_time_the_scheme_cannot_encode(moment: datetime) -> None:
    with pytest.raises(ValueError, match="outside the times a lead id can encode"):
        new_lead_id(moment)


@pytest.mark.parametrize(
    "moment", [datetime(1970, 1, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC), LATEST_ENCODABLE]
)
def test_ids_across_the_encodable_range_are_lead_ids(moment: datetime) -> None:
    assert is_lead_id(new_lead_id(moment))


def test_a_lead_id_with_a_trailing_newline_is_not_one() -> None:
    lead_id = new_lead_id(datetime(2026, 11, 20, tzinfo=UTC))
    assert not is_lead_id(lead_id + "\n")
    assert not is_lead_id("-4137900000000abcdefghjk")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(9999, 12, 31, 23, 59, tzinfo=MINUS_5),
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        datetime(1960, 1, 1, tzinfo=UTC),
    ],
)
def test_a_bound_for_any_date_is_thirteen_digits_and_orders_every_lead(moment: datetime) -> None:
    bound = id_bound(moment)
    assert len(bound) == 13 and bound.isdigit()
    lead_id = new_lead_id(datetime(2026, 11, 20, tzinfo=UTC))
    # After 2286 every lead was created before the moment, before 1970 none was.
    assert (lead_id >= bound) is (moment.year > 2026)


def test_a_forged_continuation_with_a_trailing_newline_is_refused() -> None:
    token = encode_continuation(after_lead(new_lead_id(datetime(2026, 11, 20, tzinfo=UTC)) + "\n"))
    after, errors = decode_continuation(token)
    assert after is None and [error.field for error in errors] == ["continuationToken"]
