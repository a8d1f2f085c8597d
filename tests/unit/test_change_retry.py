"""The retry policy of the one change path: when a change that lost a race is tried again."""

from __future__ import annotations

import pytest

from shared.services.lead_changes import RETRY, RetryPolicy

POLICY = RetryPolicy(attempts=4, step_seconds=0.01, max_pause_seconds=0.025)


def widest(low: float, high: float) -> float:
    """A jitter that always picks the longest pause allowed."""
    assert low == 0.0
    return high


def test_an_unconditional_change_is_retried_until_its_attempts_are_spent() -> None:
    pauses = [POLICY.pause_after(lost, conditional=False, jitter=widest) for lost in range(1, 6)]
    assert pauses[:3] == [0.01, 0.02, 0.025]  # grows with each lost round, up to the cap
    assert pauses[3:] == [None, None]  # the fourth lost round was the last attempt


def test_a_conditional_change_is_never_retried() -> None:
    assert POLICY.pause_after(1, conditional=True, jitter=widest) is None
    assert RETRY.pause_after(1, conditional=True) is None


def test_the_pause_is_drawn_at_random_below_its_ceiling() -> None:
    draws = {RETRY.pause_after(3, conditional=False) for _ in range(200)}
    assert all(pause is not None and 0.0 <= pause <= 0.03 for pause in draws)
    assert len(draws) > 100  # jittered, so racing writers do not retry in lockstep


@pytest.mark.parametrize("racers", [10, 30])
def test_the_policy_lets_every_one_of_many_racing_writers_land(racers: int) -> None:
    # One writer wins each round, so the last of N racers needs N attempts (N - 1 lost rounds).
    assert all(RETRY.pause_after(lost, conditional=False) is not None for lost in range(1, racers))


def test_all_attempts_together_wait_a_bounded_time() -> None:
    total = sum(RETRY.pause_after(lost, conditional=False, jitter=widest) or 0.0 for lost in range(1, 31))
    assert total <= 1.5
