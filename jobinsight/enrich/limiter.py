"""Client-side rate limit of LLM requests: requests per minute and tokens per minute, from threads.

Why: providers reject traffic above a key's limits (429), and a rejected request still costs a
round trip and delays the whole batch; staying under the limits on our side is cheaper than
being told to back off. Two mechanisms are combined, because each alone is wrong in one way:

- a **token bucket** per resource (requests, tokens) refilled continuously at ``rpm/60`` and
  ``tpm/60`` per second, holding about one second's worth: requests go out evenly spaced
  instead of in a burst of a whole minute's allowance (providers enforce limits over short
  windows too);
- a **sliding 60-second log** of what was sent: no 60-second window ever holds more than
  ``rpm`` requests or (once anything is in it) more than ``tpm`` tokens - a hard cap the bucket's
  burst alone does not give.

A request's token cost is estimated before sending (the caller passes ``len(text) / 4`` plus an
answer allowance) and settled with the response's ``usage.total_tokens`` afterwards, so both the
bucket and the log reflect what was really spent. A request costing more than the bucket holds
waits for a full bucket and leaves it in debt, so the average rate still holds. After a 429,
:meth:`RateLimiter.pause` holds every thread back until the server's ``Retry-After``.

The clock and the sleep function are injectable so the unit tests run on a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Permit", "RateLimiter"]

WINDOW_S = 60.0


@dataclass(slots=True, eq=False)
class Permit:
    """One admitted request: when, and the tokens it is counted for (estimate, then actual)."""

    at: float
    tokens: int
    settled: bool = False


class RateLimiter:
    """Admits requests at most ``rpm`` per minute and ``tpm`` tokens per minute (thread-safe)."""

    def __init__(self, rpm: int, tpm: int, *, burst_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if rpm < 1 or tpm < 1:
            raise ValueError("rpm and tpm must be at least 1")
        self.rpm, self.tpm = rpm, tpm
        self._clock, self._sleep = clock, sleep
        self._req_rate, self._tok_rate = rpm / WINDOW_S, tpm / WINDOW_S
        self.req_capacity = max(1.0, self._req_rate * burst_seconds)
        self.tok_capacity = max(1.0, self._tok_rate * burst_seconds)
        self._lock = threading.Lock()
        now = clock()
        self._req_level, self._tok_level, self._refilled = self.req_capacity, self.tok_capacity, now
        self._log: deque[Permit] = deque()
        self._log_tokens = 0
        self._paused_until = now
        self.waited_s = 0.0

    # --- internals, called with the lock held -------------------------------------------------
    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._refilled)
        self._refilled = now
        self._req_level = min(self.req_capacity, self._req_level + elapsed * self._req_rate)
        self._tok_level = min(self.tok_capacity, self._tok_level + elapsed * self._tok_rate)
        while self._log and self._log[0].at <= now - WINDOW_S:
            self._log_tokens -= self._log.popleft().tokens

    def _wait_needed(self, now: float, tokens: int) -> float:
        waits = [self._paused_until - now]
        if self._req_level < 1.0:
            waits.append((1.0 - self._req_level) / self._req_rate)
        need = min(float(tokens), self.tok_capacity)
        if self._tok_level < need:
            waits.append((need - self._tok_level) / self._tok_rate)
        if len(self._log) >= self.rpm:
            waits.append(self._log[len(self._log) - self.rpm].at + WINDOW_S - now)
        if self._log_tokens > 0 and self._log_tokens + tokens > self.tpm:
            excess = self._log_tokens + tokens - self.tpm
            for permit in self._log:  # the log is in time order: expire the oldest until it fits
                excess -= permit.tokens
                if excess <= 0:
                    waits.append(permit.at + WINDOW_S - now)
                    break
        return max(waits)

    # --- public API ---------------------------------------------------------------------------
    def acquire(self, tokens: int, deadline: float | None = None) -> Permit | None:
        """Block until a request costing ``tokens`` may go; None if that would pass ``deadline``.

        ``deadline`` is on this limiter's clock (``time.monotonic`` unless injected).
        """
        tokens = max(0, int(tokens))
        while True:
            with self._lock:
                now = self._clock()
                self._refill(now)
                wait = self._wait_needed(now, tokens)
                if wait <= 0:
                    self._req_level -= 1.0
                    self._tok_level -= tokens
                    permit = Permit(now, tokens)
                    self._log.append(permit)
                    self._log_tokens += tokens
                    return permit
            if deadline is not None and now + wait > deadline:
                return None
            # a tiny margin so float rounding never makes a thread wake up just before its time
            step = wait + 1e-4
            with self._lock:
                self.waited_s += step
            self._sleep(step)

    def settle(self, permit: Permit, actual_tokens: int | None) -> None:
        """Count ``permit`` for the tokens the response reports (None: keep the estimate)."""
        if actual_tokens is None or permit.settled:
            return
        actual = max(0, int(actual_tokens))
        with self._lock:
            delta = actual - permit.tokens
            self._tok_level -= delta
            if permit in self._log:
                self._log_tokens += delta
            permit.tokens = actual
            permit.settled = True

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now (after a 429 with Retry-After)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def window_usage(self) -> tuple[int, int]:
        """(requests, tokens) counted in the last 60 seconds."""
        with self._lock:
            self._refill(self._clock())
            return len(self._log), self._log_tokens
