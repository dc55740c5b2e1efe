"""The pacer counts the way Discourse counts (notes §9; core lib/rate_limiter.rb): a sliding window
of the last N request stamps. Fake clocks only: nothing here waits for real."""

from __future__ import annotations

import random

import pytest
from tests_support import FakeTime

from bridge.forum.pacing import DISCOURSE_GRANULARITY_SECONDS, Pacer, SlidingWindow


def test_window_admits_n_back_to_back_then_waits_for_the_oldest_to_be_a_window_old() -> None:
    window = SlidingWindow(limit=3, window=60.0)
    for t in (0.0, 1.0, 2.0):
        assert window.delay(t) == 0.0
        window.record(t)
    # The 4th waits until the oldest (t=0) is 60 s old: wait = window - age of the oldest.
    assert window.delay(10.0) == pytest.approx(50.0)
    assert window.delay(60.0) == 0.0
    window.record(60.0)
    # Now the oldest is t=1.
    assert window.delay(60.0) == pytest.approx(1.0)


def test_margin_adds_discourses_whole_second_granularity() -> None:
    window = SlidingWindow(limit=1, window=60.0, margin=1.0)
    window.record(0.0)
    assert window.delay(60.0) == pytest.approx(1.0)
    assert window.delay(61.0) == 0.0


def test_zero_limit_never_waits() -> None:
    window = SlidingWindow(limit=0)
    for t in range(1000):
        window.record(float(t) / 1000)
        assert window.delay(float(t) / 1000) == 0.0
    assert len(window) == 0


def test_restamp_only_moves_later() -> None:
    window = SlidingWindow(limit=1, window=60.0)
    window.record(10.0)
    window.restamp_newest(5.0)
    assert window.delay(10.0) == pytest.approx(60.0)
    window.restamp_newest(12.5)
    assert window.delay(10.0) == pytest.approx(62.5)


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        SlidingWindow(limit=-1)
    with pytest.raises(ValueError):
        SlidingWindow(limit=5, window=0)


def test_pacer_uses_the_whole_budget_then_waits_exactly_for_the_window() -> None:
    fake = FakeTime(1000.0)
    pacer = Pacer(60, margin=0.0, clock=fake.clock, sleep=fake.sleep)
    starts = []
    for _ in range(60):
        with pacer.slot():
            starts.append(fake.now)
    assert fake.sleeps == []  # all 60 back to back
    with pacer.slot():
        starts.append(fake.now)
    assert fake.sleeps == [pytest.approx(60.0)]
    assert starts[60] - starts[0] == pytest.approx(60.0)
    assert pacer.waited == pytest.approx(60.0)


def test_pacer_default_margin_is_one_second() -> None:
    fake = FakeTime(1000.0)
    pacer = Pacer(2, clock=fake.clock, sleep=fake.sleep)
    for _ in range(3):
        with pacer.slot():
            pass
    assert fake.sleeps == [pytest.approx(60.0 + DISCOURSE_GRANULARITY_SECONDS)]


def test_pacer_stamps_a_slot_when_its_response_arrives() -> None:
    """A slow request (10 s) is stamped at its end, so the slot is reused 60 s after the answer:
    the server stamped it somewhere between send and answer, never after."""
    fake = FakeTime(1000.0)
    pacer = Pacer(1, margin=0.0, clock=fake.clock, sleep=fake.sleep)
    with pacer.slot():
        fake.now += 10.0  # the request takes 10 s
    answered = fake.now
    with pacer.slot():
        assert fake.now == pytest.approx(answered + 60.0)


@pytest.mark.parametrize("limit", [1, 7, 60, 300])
def test_never_more_than_n_starts_in_any_window(limit: int) -> None:
    """Random request durations and idle gaps; check every 60 s window of start times."""
    rng = random.Random(limit)
    fake = FakeTime(1000.0)
    pacer = Pacer(limit, margin=0.0, clock=fake.clock, sleep=fake.sleep)
    starts: list[float] = []
    for _ in range(limit * 4 + 3):
        if rng.random() < 0.1:
            fake.now += rng.uniform(0, 30)  # idle
        with pacer.slot():
            starts.append(fake.now)
            fake.now += rng.uniform(0.001, 0.5)  # the request's own duration
    for i in range(len(starts) - limit):
        # the (i+limit)th start is at least a full window after the ith
        assert starts[i + limit] - starts[i] >= 60.0 - 1e-9


def test_pacer_budget_for_400_requests_at_300_per_minute() -> None:
    """The issue's figure: 400 requests under 300/min. The first 300 go at once, the last 100
    wait for the first 100 to leave the window: about 61 s of waiting in all, far below the
    80 s of a uniform 300/min and without any 429 on a Discourse that counts in whole seconds."""
    fake = FakeTime(1000.0)
    pacer = Pacer(300, clock=fake.clock, sleep=fake.sleep)
    begin = fake.now
    for _ in range(400):
        with pacer.slot():
            fake.now += 0.005  # 5 ms round trip
    elapsed = fake.now - begin
    assert elapsed == pytest.approx(61.0 + 0.005 * 100, abs=0.01)
    assert elapsed <= 80.0 * 1.15
