"""The LLM rate limiter on a fake clock: per-minute caps, even spacing, token settling, pauses, threads."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobinsight.enrich.limiter import WINDOW_S, RateLimiter


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(rpm: int, tpm: int, **kwargs: float) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(rpm, tpm, clock=clock, sleep=clock.sleep, **kwargs), clock


def max_in_window(times: list[float], weights: list[int] | None = None, window: float = WINDOW_S) -> int:
    weights = weights or [1] * len(times)
    best, lo, total = 0, 0, 0
    for hi, t in enumerate(times):
        total += weights[hi]
        while times[lo] <= t - window:
            total -= weights[lo]
            lo += 1
        best = max(best, total)
    return best


def test_requests_are_spaced_evenly_after_a_one_second_burst() -> None:
    lim, clock = limiter(rpm=120, tpm=10**9)
    times = [lim.acquire(0).at for _ in range(10)]  # type: ignore[union-attr]
    assert lim.req_capacity == 2
    assert times[:2] == [1000.0, 1000.0]
    gaps = [b - a for a, b in zip(times[1:], times[2:], strict=False)]
    assert all(gap == pytest.approx(0.5, abs=1e-3) for gap in gaps)


def test_no_sixty_second_window_holds_more_than_rpm() -> None:
    lim, _ = limiter(rpm=30, tpm=10**9, burst_seconds=30.0)  # a big bucket: the window log must cap it
    times = [lim.acquire(0).at for _ in range(200)]  # type: ignore[union-attr]
    assert max_in_window(times) == 30
    # with the default one-second bucket, the long-run average is the limit itself
    lim, _ = limiter(rpm=30, tpm=10**9)
    times = [lim.acquire(0).at for _ in range(200)]  # type: ignore[union-attr]
    assert max_in_window(times) <= 30
    assert (200 - 1) / (times[-1] - times[0]) * 60 == pytest.approx(30, rel=0.01)


def test_tokens_per_minute_cap_with_actual_usage_settled() -> None:
    lim, _ = limiter(rpm=10_000, tpm=6_000)
    times, spent = [], []
    for _ in range(60):
        permit = lim.acquire(700)  # the estimate
        assert permit is not None
        lim.settle(permit, 400)  # what the response reported
        times.append(permit.at)
        spent.append(400)
    assert max_in_window(times, spent) <= 6_000 + 700
    # the refunds count: far more than 6000/700 requests fit in the first minute
    assert sum(1 for t in times if t < times[0] + WINDOW_S) > 6_000 // 700 + 2


def test_settling_more_than_estimated_slows_the_next_requests() -> None:
    lim, clock = limiter(rpm=10_000, tpm=600)  # 10 tokens per second, bucket of 10
    first = lim.acquire(10)
    assert first is not None
    lim.settle(first, 110)  # cost 100 more than thought: 10 s of debt
    second = lim.acquire(10)
    assert second is not None and second.at - first.at >= 10.0


def test_a_request_larger_than_the_bucket_still_goes_and_leaves_debt() -> None:
    lim, _ = limiter(rpm=10_000, tpm=600)
    a = lim.acquire(5_000)
    b = lim.acquire(10)
    assert a is not None and b is not None
    assert b.at - a.at >= WINDOW_S  # the window holds 5000 > tpm: wait until it expires


def test_pause_holds_every_request_back() -> None:
    lim, clock = limiter(rpm=6_000, tpm=10**9)
    start = clock.now
    lim.pause(7.5)
    permit = lim.acquire(0)
    assert permit is not None and permit.at >= start + 7.5


def test_deadline_returns_none_instead_of_waiting_past_it() -> None:
    lim, clock = limiter(rpm=60, tpm=10**9)
    assert lim.acquire(0, deadline=clock.now + 0.5) is not None
    assert lim.acquire(0, deadline=clock.now + 0.5) is None  # the next slot is 1 s away
    assert lim.acquire(0, deadline=clock.now + 1.5) is not None


def test_window_usage_forgets_after_a_minute() -> None:
    lim, clock = limiter(rpm=6_000, tpm=10**9)
    for _ in range(3):
        p = lim.acquire(100)
        assert p is not None
        lim.settle(p, 50)
    assert lim.window_usage() == (3, 150)
    clock.now += WINDOW_S + 1
    assert lim.window_usage() == (0, 0)


def test_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 100)


@settings(max_examples=60, deadline=None)
@given(rpm=st.integers(1, 600), tpm=st.integers(100, 50_000),
       costs=st.lists(st.tuples(st.integers(1, 3_000), st.integers(0, 3_000)), min_size=1, max_size=120))
def test_property_windows_never_exceed_limits(rpm: int, tpm: int, costs: list[tuple[int, int]]) -> None:
    lim, _ = limiter(rpm=rpm, tpm=tpm)
    times, actual = [], []
    for estimate, real in costs:
        permit = lim.acquire(estimate)
        assert permit is not None
        lim.settle(permit, real)
        times.append(permit.at)
        actual.append(real)
    assert max_in_window(times) <= rpm
    # tokens: the window never holds more than tpm, except one request that alone exceeds it,
    # plus what a settle added after admission (bounded by the largest request)
    assert max_in_window(times, actual) <= tpm + max(max(actual), max(e for e, _ in costs))


def test_threads_share_one_limit_on_the_real_clock() -> None:
    lim = RateLimiter(rpm=1_200, tpm=10**9)  # 20 per second, burst 20
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            permit = lim.acquire(0)
            assert permit is not None
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert len(stamps) == 60
    # 60 permits at 20/s after a burst of 20 take at least (60 - 20) / 20 = 2 s
    assert stamps[-1] - stamps[0] >= 2.0 * 0.95
