"""Pieces of the LLM client that need no server: Retry-After parsing and the circuit breaker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from jobinsight.enrich.client import CircuitBreaker, parse_retry_after


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0),
    ({"Retry-After": "1.5"}, 1.5),
    ({"retry-after-ms": "250"}, 0.25),
    ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
    ({"Retry-After": "-3"}, 0.0),
    ({"Retry-After": "soon"}, None),
    ({}, None),
])
def test_retry_after_forms(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers)) == seconds


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": header}), now=now) == pytest.approx(42)
    past = format_datetime(now - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": past}), now=now) == 0.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_and_closes_after_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown_s=60, clock=clock)
    breaker.failure()
    breaker.failure()
    breaker.success()  # a success resets the streak
    breaker.failure()
    breaker.failure()
    assert breaker.allow() is None
    breaker.failure()
    assert breaker.allow() == "circuit_open" and breaker.opened == 1
    clock.now = 59.9
    assert breaker.allow() == "circuit_open"
    clock.now = 60.0
    assert breaker.allow() is None


def test_refusal_is_for_the_rest_of_the_run() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown_s=1, clock=clock)
    breaker.refuse("http_401")
    breaker.refuse("http_403")
    clock.now = 10**6
    assert breaker.allow() == "endpoint_refused" and breaker.refused == "http_401"
