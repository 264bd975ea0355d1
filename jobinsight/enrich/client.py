"""One posting -> one validated LLM answer, or a clear reason why not.

Why: a production endpoint fails in several ways that need different handling, and none of them
may fail a batch or lose a row:

- an answer that is not JSON or does not fit the schema is asked for **once more** (models are
  not deterministic enough for a second try to be pointless), then the posting falls back to the
  rules labels (``rules-fallback``) with the reason counted;
- 429 (the server's ``Retry-After``/``retry-after-ms`` honoured, capped, and every thread paused),
  5xx, timeouts and transport errors are retried with exponential backoff and jitter a bounded
  number of times, then the posting falls back too;
- 401/403/404 mean the endpoint, key or model is wrong: retrying is pointless, so the circuit
  breaker opens and the remaining postings stay pending instead of hammering the endpoint;
- several postings failing in a row (an outage) open the breaker for a cool-down too;
- when the run's or the day's request quota is spent, or the batch's time budget would be
  passed, the posting is not sent at all and stays **pending** (rules labels, enriched later).

Every HTTP request, retries included, takes one unit of quota and one limiter permit first, so
the quota counts exactly what the provider bills. Nothing here logs or raises with the API key:
it only ever travels in the ``Authorization`` header, and error texts are scrubbed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from jobinsight.db.urls import scrub
from jobinsight.enrich.limiter import RateLimiter
from jobinsight.enrich.schema import InvalidAnswer, LlmEnrichment, PostingInput, build_messages, parse_answer
from jobinsight.enrich.settings import LlmSettings
from jobinsight.scrape.fetcher import parse_retry_after as parse_http_retry_after

__all__ = ["CircuitBreaker", "ItemResult", "LlmCaller", "QuotaGate", "parse_retry_after"]

log = logging.getLogger("jobinsight.enrich")
# Backoff jitter from a generator of our own: a program (or Hypothesis) that seeds the global
# `random` must not make concurrent callers back off alike and retry in step.
_JITTER = random.Random()  # noqa: S311 - jitter, not cryptography

_TRANSIENT = ("rate_limited", "server_error", "timeout", "transport_error")
_REFUSED = (401, 403, 404)


class QuotaGate(Protocol):
    """Hands out one request of quota at a time."""

    def take(self) -> str | None:
        """None when one request may be sent, else why not (``quota_run`` | ``quota_day``)."""

    def give_back(self) -> None:
        """Return a unit taken by :meth:`take` that was not used."""


@dataclass
class ItemResult:
    """What happened to one posting. Exactly one of ``answer``, ``fallback``, ``pending`` is set."""

    answer: LlmEnrichment | None = None
    fallback: str | None = None  # rules labels kept, enrichment_source "rules-fallback"
    pending: str | None = None  # rules labels kept, enrichment_source "rules", marked for later
    requests: int = 0
    tokens: int = 0
    retries: int = 0
    answer_tokens: int = 0  # tokens of the request that produced ``answer`` (stored with it in the cache)


class CircuitBreaker:
    """Stops calls after ``failures`` postings failed in a row, for ``cooldown_s`` (thread-safe)."""

    def __init__(self, failures: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.failures, self.cooldown_s, self._clock = failures, cooldown_s, clock
        self._lock = threading.Lock()
        self._streak = 0
        self._open_until = float("-inf")
        self._permanent: str | None = None
        self.opened = 0

    def allow(self) -> str | None:
        """None when calls may go out, else the pending reason."""
        with self._lock:
            if self._permanent is not None:
                return "endpoint_refused"
            if self._clock() < self._open_until:
                return "circuit_open"
            return None

    def success(self) -> None:
        with self._lock:
            self._streak = 0

    def failure(self) -> None:
        with self._lock:
            self._streak += 1
            if self._streak >= self.failures:
                self._open_until = self._clock() + self.cooldown_s
                self._streak = 0
                self.opened += 1
                log.warning("LLM endpoint failed for %s postings in a row: no calls for %.0f s",
                            self.failures, self.cooldown_s)

    def refuse(self, why: str) -> None:
        """The endpoint refuses us for good (bad key, model or URL): no more calls this run."""
        with self._lock:
            if self._permanent is None:
                self._permanent = why
                self.opened += 1
                log.error("LLM endpoint refused the request (%s): no more LLM calls in this run; "
                          "check JOBINSIGHT_LLM_BASE_URL, JOBINSIGHT_LLM_MODEL and the API key", why)

    @property
    def refused(self) -> str | None:
        with self._lock:
            return self._permanent


def parse_retry_after(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return parse_http_retry_after(raw, now)  # an HTTP date: the crawler's parser handles it


class _Transient(Exception):
    def __init__(self, kind: str, wait: float | None = None) -> None:
        super().__init__(kind)
        self.kind, self.wait = kind, wait


class _Refused(Exception):
    pass


class _ClientError(Exception):
    pass


class LlmCaller:
    """Sends postings to ``{base_url}/chat/completions`` under the limiter, the quota and the breaker."""

    def __init__(self, settings: LlmSettings, http: httpx.Client, limiter: RateLimiter, gate: QuotaGate,
                 breaker: CircuitBreaker, api_key: str | None, *, deadline: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings, self.http, self.limiter, self.gate, self.breaker = settings, http, limiter, gate, breaker
        self.deadline, self._clock, self._sleep = deadline, clock, sleep
        self._url = settings.base_url + "/chat/completions"
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._secrets = [api_key] if api_key else []

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.backoff_max_s, self.settings.backoff_base_s * 2 ** (attempt - 1))
        return base * (0.5 + _JITTER.random() / 2)

    def _wait(self, seconds: float) -> bool:
        """Sleep before a retry; False when that would pass the deadline."""
        if self.deadline is not None and self._clock() + seconds > self.deadline:
            return False
        if seconds > 0:
            self._sleep(seconds)
        return True

    def _send(self, body: dict[str, Any], result: ItemResult, estimate: int) -> LlmEnrichment:
        """One HTTP request (quota and permit already taken). Raises on anything but a usable answer."""
        permit = self.limiter.acquire(estimate, self.deadline)
        if permit is None:
            raise _Deadline()
        result.requests += 1
        try:
            response = self.http.post(self._url, json=body, headers=self._headers)
        except httpx.TimeoutException:
            result.tokens += estimate
            raise _Transient("timeout") from None
        except httpx.TransportError as exc:
            self.limiter.settle(permit, 0)
            log.debug("LLM transport error: %s", scrub(f"{type(exc).__name__}: {exc}", self._secrets))
            raise _Transient("transport_error") from None
        status = response.status_code
        if status == 429:
            self.limiter.settle(permit, 0)
            wait = parse_retry_after(response.headers)
            if wait is not None:
                wait = min(wait, self.settings.max_retry_after_s)
                self.limiter.pause(wait)
            raise _Transient("rate_limited", wait)
        if status >= 500:
            result.tokens += estimate
            raise _Transient("server_error")
        if status in _REFUSED:
            self.limiter.settle(permit, 0)
            raise _Refused(f"http_{status}")
        if status >= 400 or status < 200 or status >= 300:
            self.limiter.settle(permit, 0)
            raise _ClientError(f"http_{status}")
        try:
            data = response.json()
        except ValueError:
            result.tokens += estimate
            raise InvalidAnswer("malformed_json", "response body is not JSON") from None
        usage = data.get("usage") if isinstance(data, dict) else None
        total = usage.get("total_tokens") if isinstance(usage, dict) else None
        spent = int(total) if isinstance(total, (int, float)) and not isinstance(total, bool) else estimate
        self.limiter.settle(permit, spent)
        result.tokens += spent
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise InvalidAnswer("malformed_json", "no choices[0].message.content in the response") from None
        answer = parse_answer(content)
        result.answer_tokens = spent
        return answer

    def enrich(self, posting: PostingInput) -> ItemResult:
        """Ask for one posting's labels (see the module docstring for what can happen)."""
        result = ItemResult()
        messages = build_messages(posting, self.settings.max_input_chars)
        body = {"model": self.settings.model, "messages": messages, "temperature": 0,
                "response_format": {"type": "json_object"}}
        estimate = sum(len(m["content"]) for m in messages) // 4 + self.settings.completion_token_estimate
        invalid, transient = 0, 0
        while True:
            blocked = self.breaker.allow()
            if blocked is not None:
                result.pending = blocked
                return result
            short = self.gate.take()
            if short is not None:
                result.pending = short
                return result
            try:
                result.answer = self._send(body, result, estimate)
                self.breaker.success()
                return result
            except _Deadline:
                self.gate.give_back()
                result.pending = "time_budget"
                return result
            except InvalidAnswer as exc:
                invalid += 1
                log.debug("LLM answer invalid (%s), attempt %s", exc.reason, invalid)
                if invalid >= 2:
                    self.breaker.success()  # the endpoint works; this posting's answers do not
                    result.fallback = exc.reason
                    return result
                result.retries += 1
            except _Refused as exc:
                self.breaker.refuse(str(exc))
                result.fallback = str(exc)
                return result
            except _ClientError as exc:
                result.fallback = str(exc)
                return result
            except _Transient as exc:
                transient += 1
                if transient > self.settings.max_http_retries:
                    self.breaker.failure()
                    result.fallback = exc.kind
                    return result
                result.retries += 1
                wait = exc.wait if exc.wait is not None else self._backoff(transient)
                if exc.kind == "rate_limited" and exc.wait is not None:
                    wait = 0.0  # the limiter is paused until Retry-After: acquire() waits for it
                if not self._wait(wait):
                    result.pending = "time_budget"
                    return result


class _Deadline(Exception):
    pass
