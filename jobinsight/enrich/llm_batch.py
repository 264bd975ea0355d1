"""Phase 4's LLM step: overwrite the rules labels of a batch with LLM labels where allowed.

Why: the rules enricher labels every row, fast and offline; an LLM reads the free text better
but is slow, rate-limited and paid. So the LLM runs *after* the rules, on the rules-enriched
staging frame, and only improves it: a row the LLM cannot label (quota spent, time budget
passed, endpoint down, invalid answers) keeps its rules labels, so every input row always comes
out enriched and a batch never fails because of the LLM.

Per batch:

1. each row's cache key is its ``content_hash`` (the product's one definition of "the posting
   changed"; a row without one is keyed by a hash of what the prompt would show); rows sharing
   a key are asked about once;
2. one query fetches the cached answers of all keys (model and prompt version must match);
3. the misses go to at most ``max_workers`` threads, each request passing the run's quota,
   the day's quota (reserved from the database in chunks), the rate limiter and the circuit
   breaker of :class:`LlmRunState`, which lives for the whole run so limits hold across batches;
4. answered rows get the LLM labels (``enrichment_source = "llm:<model>"``,
   ``enrichment_version = PROMPT_VERSION``), fallbacks get ``enrichment_source = "rules-fallback"``,
   pending rows stay ``"rules"`` and are listed in ``jobinsight_monitoring.llm_pending``;
5. one transaction stores the new answers and the pending marks.

The staging frame is modified in place; the returned :class:`LlmBatchReport` says what it cost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import numpy as np
import pandas as pd
import psycopg2.extensions

from jobinsight.db.connect import session
from jobinsight.db.urls import scrub
from jobinsight.enrich.client import CircuitBreaker, ItemResult, LlmCaller
from jobinsight.enrich.limiter import RateLimiter
from jobinsight.enrich.schema import PROMPT_VERSION, PostingInput
from jobinsight.enrich.settings import LlmConfigError, LlmSettings
from jobinsight.enrich.store import (
    Answer,
    PendingMark,
    answer_json,
    lookup_answers,
    release_day,
    reserve_day,
    save_outcomes,
    used_today,
)
from jobinsight.transform.job_family import JOB_FAMILIES
from jobinsight.transform.seniority import SENIORITY_LEVELS
from jobinsight.transform.skills import normalize_skills
from jobinsight.transform.work_mode import WORK_MODES

__all__ = [
    "ENRICHMENT_COLUMNS", "FALLBACK_SOURCE", "LlmBatchReport", "LlmRunState", "QuotaState", "enrich_batch_with_llm",
]

log = logging.getLogger("jobinsight.enrich")

FALLBACK_SOURCE = "rules-fallback"
ENRICHMENT_COLUMNS = ("skills_normalized", "seniority", "job_family", "work_mode", "languages_required",
                      "capabilities")
_PAYLOAD_KEYS = ("description", "requirements", "level", "work_type", "category")
#: fallbacks worth another try later (the endpoint failed, not the posting): marked pending too
_RETRY_LATER = frozenset({"rate_limited", "server_error", "timeout", "transport_error", "http_401", "http_403",
                          "http_404", "internal_error"})


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass
class QuotaState:
    """Where the run's and the day's request quotas stand."""

    run_used: int
    run_limit: int
    day_used: int | None
    day_limit: int
    exhausted: bool
    exhausted_by: str | None = None  # "quota_run" | "quota_day" | "quota_unavailable"


@dataclass
class LlmBatchReport:
    """What :func:`enrich_batch_with_llm` did to one batch and what it cost."""

    model: str
    prompt_version: str
    rows_in: int = 0
    distinct_postings: int = 0
    rows_llm: int = 0  # rows with LLM labels (fresh answers + cache hits)
    cache_hits: int = 0  # rows answered from the cache (no request)
    rows_fallback: int = 0  # rows with enrichment_source "rules-fallback"
    rows_pending_llm: int = 0  # rows listed in llm_pending (rules labels for now)
    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0
    tokens: int = 0  # usage.total_tokens reported (the estimate where a response had none)
    fallbacks: dict[str, int] = field(default_factory=dict)  # rows by reason
    pending: dict[str, int] = field(default_factory=dict)  # rows by reason
    quota_state: QuotaState | None = None
    limiter_wait_s: float = 0.0  # seconds threads spent waiting for the rate limiter (summed over threads)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form for the metrics artifact."""
        return asdict(self)


class LlmRunState:
    """What lives for a whole process run: the limiter, the breaker, the run quota and the totals.

    Create one per run and pass it to every :func:`enrich_batch_with_llm` call of that run.
    Thread-safe; not picklable (locks), so keep it in the flow's process.
    """

    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.rpm, settings.tpm)
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_s)
        self.lock = threading.Lock()
        self.run_used = 0
        self.batches = 0
        self.totals: Counter[str] = Counter()
        self.fallbacks: Counter[str] = Counter()
        self.pending: Counter[str] = Counter()
        self.last_quota: QuotaState | None = None

    def _add(self, report: LlmBatchReport) -> None:
        with self.lock:
            self.batches += 1
            for name in ("rows_in", "rows_llm", "cache_hits", "rows_fallback", "rows_pending_llm", "requests",
                         "retries", "tokens"):
                self.totals[name] += getattr(report, name)
            self.fallbacks.update(report.fallbacks)
            self.pending.update(report.pending)
            self.last_quota = report.quota_state

    def summary(self) -> dict[str, Any]:
        """Run totals for the process run's metrics artifact."""
        with self.lock:
            return {"model": self.settings.model, "prompt_version": PROMPT_VERSION, "batches": self.batches,
                    **dict(self.totals), "fallbacks": dict(self.fallbacks), "pending": dict(self.pending),
                    "quota_state": asdict(self.last_quota) if self.last_quota else None,
                    "settings": self.settings.describe()}


class _QuotaGate:
    """Run quota (in memory) and day quota (reserved from the database in chunks) for one batch."""

    def __init__(self, state: LlmRunState, conn: psycopg2.extensions.connection, chunk: int) -> None:
        self.state, self.conn, self.chunk = state, conn, max(1, chunk)
        self.settings = state.settings
        self.lock = threading.Lock()
        self.day = _today()
        self.allowance = 0
        self.day_used: int | None = None
        self.exhausted_by: str | None = None

    def take(self) -> str | None:
        with self.lock:
            with self.state.lock:
                if self.state.run_used >= self.settings.run_quota:
                    self.exhausted_by = "quota_run"
                    return "quota_run"
            today = _today()
            if today != self.day:  # midnight UTC passed: give the old day back its unused part
                self._release(0)
                self.day, self.allowance = today, 0
                if self.exhausted_by == "quota_day":
                    self.exhausted_by = None
            if self.allowance <= 0:
                if self.exhausted_by in ("quota_day", "quota_unavailable"):
                    return self.exhausted_by
                with self.state.lock:
                    run_left = self.settings.run_quota - self.state.run_used
                try:
                    granted, self.day_used = reserve_day(self.conn, self.day, self.settings.model,
                                                         min(self.chunk, run_left), self.settings.daily_quota)
                except Exception as exc:  # the database hiccups: no calls rather than uncounted calls
                    log.warning("LLM daily quota could not be reserved (%s): no LLM calls for the rest of the batch",
                                type(exc).__name__)
                    self.exhausted_by = "quota_unavailable"
                    return self.exhausted_by
                if granted <= 0:
                    self.exhausted_by = "quota_day"
                    return "quota_day"
                self.allowance = granted
            self.allowance -= 1
            with self.state.lock:
                self.state.run_used += 1
            return None

    def give_back(self) -> None:
        with self.lock:
            self.allowance += 1
            with self.state.lock:
                self.state.run_used -= 1

    def _release(self, tokens: int) -> None:
        if self.allowance or tokens:
            self.day_used = release_day(self.conn, self.day, self.settings.model, self.allowance, tokens)
            self.allowance = 0

    def close(self, tokens: int) -> QuotaState:
        with self.lock:
            try:
                self._release(tokens)
                if self.day_used is None:
                    self.day_used = used_today(self.conn, self.day, self.settings.model)
            except Exception as exc:
                log.warning("LLM daily usage could not be updated (%s)", type(exc).__name__)
            with self.state.lock:
                run_used = self.state.run_used
            run_spent = run_used >= self.settings.run_quota
            day_spent = self.day_used is not None and self.day_used >= self.settings.daily_quota
            by = self.exhausted_by or ("quota_run" if run_spent else "quota_day" if day_spent else None)
            return QuotaState(run_used=run_used, run_limit=self.settings.run_quota, day_used=self.day_used,
                              day_limit=self.settings.daily_quota, exhausted=by is not None, exhausted_by=by)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value if v is not None)
    text = value if isinstance(value, str) else str(value)
    return text.strip() or None


def _payload(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    text = _text(value)
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _posting(title: Any, skills: Any, payload: Any) -> PostingInput:
    data = _payload(payload)
    skill_list: list[str] | str | None
    if isinstance(skills, (list, tuple)):
        skill_list = [s for s in skills if isinstance(s, str)]
    else:
        skill_list = _text(skills)
    fields = {k: _text(data.get(k)) for k in _PAYLOAD_KEYS}
    return PostingInput(title=_text(title), skills=tuple(normalize_skills(skill_list)), **fields)


def _input_key(posting: PostingInput) -> str:
    text = json.dumps(posting.as_prompt_dict(10**9), ensure_ascii=False, sort_keys=True)
    return "input:" + hashlib.sha256(text.encode()).hexdigest()


class _RawIndex:
    """Title, skills and payload of raw rows by id (built only for the rows that need a prompt)."""

    def __init__(self, raw: pd.DataFrame, ids: np.ndarray) -> None:
        self.rows: dict[int, tuple[Any, Any, Any]] = {}
        if raw is None or raw.empty or "id" not in raw.columns or len(ids) == 0:
            return
        ids_col = pd.to_numeric(raw["id"], errors="coerce")
        sub = raw.loc[ids_col.isin(ids).to_numpy()]
        cols = [sub[c] if c in sub.columns else pd.Series([None] * len(sub), index=sub.index)
                for c in ("id", "title", "skills", "payload")]
        for rid, title, skills, payload in zip(*cols, strict=True):
            self.rows[int(rid)] = (title, skills, payload)

    def posting(self, raw_id: int, staging_title: Any, staging_skills: Any) -> PostingInput:
        found = self.rows.get(raw_id)
        if found is None:  # not in the raw frame: what staging knows is still a usable prompt
            return _posting(staging_title, staging_skills, None)
        return _posting(*found)


def _run_items(postings: list[PostingInput], caller: LlmCaller, workers: int) -> list[ItemResult]:
    """Each posting through ``caller.enrich`` on at most ``workers`` threads; results in input order."""
    results: list[ItemResult | None] = [None] * len(postings)
    cursor = iter(range(len(postings)))
    cursor_lock = threading.Lock()

    def work() -> None:
        while True:
            with cursor_lock:
                i = next(cursor, None)
            if i is None:
                return
            try:
                results[i] = caller.enrich(postings[i])
            except Exception as exc:  # a bug must not lose the row: it keeps its rules labels
                log.warning("LLM enrichment of a posting failed unexpectedly: %s",
                            scrub(f"{type(exc).__name__}: {exc}", caller._secrets))
                results[i] = ItemResult(fallback="internal_error")

    threads = [threading.Thread(target=work, name=f"jobinsight-llm-{n}", daemon=True)
               for n in range(max(1, min(workers, len(postings))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r if r is not None else ItemResult(fallback="internal_error") for r in results]


def _replace(staging: pd.DataFrame, name: str, rows: np.ndarray, values: np.ndarray) -> None:
    """Set ``staging[name]`` at positions ``rows`` to ``values``, keeping the column's dtype."""
    if len(rows) == 0:
        return
    if name in staging.columns:
        column = staging[name]
        data = column.to_numpy(dtype=object, copy=True, na_value=None)
        dtype = column.dtype
    else:
        data = np.full(len(staging), None, dtype=object)
        dtype = object
    data[rows] = values
    staging[name] = pd.Series(pd.array(data, dtype=dtype), index=staging.index)


def enrich_batch_with_llm(staging: pd.DataFrame, raw: pd.DataFrame, *, db_url: str, settings: LlmSettings,
                          max_workers: int, run_state: LlmRunState,
                          time_budget_s: float | None = None) -> LlmBatchReport:
    """LLM labels for the rows of a rules-enriched staging batch (see the module docstring).

    ``staging`` is :func:`jobinsight.transform.batch.transform_batch`'s ``staging`` frame and is
    modified in place; ``raw`` is the loaded raw batch (``id``, ``title``, ``skills``, ``payload``),
    read for the prompts. ``time_budget_s`` bounds the wall time of this call: postings not sent
    by then stay pending (keep it well under the claim lease). Never raises for LLM or quota
    trouble; database errors on the cache read or write propagate (the task retries the batch).
    """
    started = time.monotonic()
    waited_before = run_state.limiter.waited_s
    deadline = started + time_budget_s if time_budget_s is not None else None
    report = LlmBatchReport(model=settings.model, prompt_version=PROMPT_VERSION, rows_in=len(staging))
    n = len(staging)
    if n == 0:
        report.quota_state = QuotaState(run_state.run_used, settings.run_quota, None, settings.daily_quota,
                                        run_state.run_used >= settings.run_quota)
        run_state._add(report)
        return report

    raw_ids = pd.to_numeric(staging["raw_id"], errors="coerce").fillna(-1).to_numpy(dtype=np.int64)
    titles, skills = _objects(staging, "title"), _objects(staging, "skills")
    hash_col = staging["content_hash"] if "content_hash" in staging.columns else pd.Series([None] * n, dtype=object)
    no_hash = (hash_col.isna() | (hash_col.astype(object) == "")).to_numpy(dtype=bool)
    keys = hash_col.to_numpy(dtype=object, na_value=None).copy()
    postings_by_row: dict[int, PostingInput] = {}
    if no_hash.any():
        index = _RawIndex(raw, raw_ids[no_hash])
        for row in np.flatnonzero(no_hash):
            posting = index.posting(int(raw_ids[row]), titles[row], skills[row])
            postings_by_row[int(row)] = posting
            keys[row] = _input_key(posting)
    codes, uniques = pd.factorize(keys)
    distinct_index = pd.Index(uniques, dtype=object)
    distinct: list[str] = list(distinct_index)
    m = len(distinct)
    first_row = np.full(m, -1, dtype=np.int64)
    first_row[codes[::-1]] = np.arange(n - 1, -1, -1)  # the first row of each key
    rows_per_key = np.bincount(codes, minlength=m)
    report.distinct_postings = m

    # per distinct key: the six LLM columns (None: no answer), or a fallback, or a pending reason
    columns = np.full((m, len(ENRICHMENT_COLUMNS)), None, dtype=object)
    from_cache = np.zeros(m, dtype=bool)
    fallback: dict[int, str] = {}
    pending: dict[int, str] = {}
    marked = np.zeros(m, dtype=bool)
    new_answers: list[Answer] = []
    marks: list[PendingMark] = []

    # one connection, several transactions: each quota reservation commits on its own (other runs
    # must see it while requests run), and so does the final save of answers and marks
    with session(db_url, application_name="jobinsight-llm") as conn:
        gate: _QuotaGate | None = None
        try:
            hits, hit_columns = _cached_columns(conn, settings, distinct_index)
            columns[hits] = hit_columns
            from_cache[hits] = True
            misses = np.flatnonzero(~from_cache).tolist()

            gate = _QuotaGate(run_state, conn, chunk=min(len(misses), settings.rpm))
            if misses:
                need = [int(first_row[k]) for k in misses if int(first_row[k]) not in postings_by_row]
                index = _RawIndex(raw, raw_ids[need])
                prompts = []
                for k in misses:
                    row = int(first_row[k])
                    prompts.append(postings_by_row.get(row) or index.posting(int(raw_ids[row]), titles[row], skills[row]))
                results = _ask(prompts, settings, run_state, gate, max_workers, deadline)
                for k, result in zip(misses, results, strict=True):
                    report.requests += result.requests
                    report.retries += result.retries
                    report.tokens += result.tokens
                    if result.answer is not None:
                        columns[k] = result.answer.columns()
                        new_answers.append(Answer(distinct[k], answer_json(result.answer), result.answer_tokens))
                        continue
                    if result.fallback is not None:
                        fallback[k] = result.fallback
                        if result.fallback not in _RETRY_LATER:
                            continue
                    else:
                        pending[k] = result.pending or "unknown"
                    marked[k] = True
                    marks.append(PendingMark(distinct[k], int(raw_ids[first_row[k]]), fallback.get(k) or pending[k]))
            save_outcomes(conn, settings.model, PROMPT_VERSION, new_answers, marks)
        finally:
            if gate is not None:
                report.quota_state = gate.close(report.tokens)

    # --- apply to the frame, and count rows ---------------------------------------------------
    llm_key = columns[:, 0] != None  # noqa: E711 - elementwise on an object array
    fb_key = np.zeros(m, dtype=bool)
    fb_key[list(fallback)] = True
    llm_rows = np.flatnonzero(llm_key[codes])
    fb_rows = np.flatnonzero(fb_key[codes])
    for j, name in enumerate(ENRICHMENT_COLUMNS):
        _replace(staging, name, llm_rows, columns[codes[llm_rows], j])
    _replace(staging, "enrichment_source", llm_rows, np.full(len(llm_rows), f"llm:{settings.model}", dtype=object))
    _replace(staging, "enrichment_version", llm_rows, np.full(len(llm_rows), PROMPT_VERSION, dtype=object))
    _replace(staging, "enrichment_source", fb_rows, np.full(len(fb_rows), FALLBACK_SOURCE, dtype=object))

    report.rows_llm = int(rows_per_key[llm_key].sum())
    report.cache_hits = int(rows_per_key[from_cache].sum())
    report.rows_fallback = int(rows_per_key[fb_key].sum())
    report.rows_pending_llm = int(rows_per_key[marked].sum())
    report.fallbacks = _count(fallback, rows_per_key)
    report.pending = _count(pending, rows_per_key)
    report.limiter_wait_s = round(run_state.limiter.waited_s - waited_before, 3)
    report.seconds = round(time.monotonic() - started, 3)
    run_state._add(report)
    if report.requests or report.rows_fallback or report.rows_pending_llm:
        log.info("LLM enrichment: %s rows, %s from cache, %s answered, %s fallback %s, %s pending %s; "
                 "%s requests, %s tokens", n, report.cache_hits, report.rows_llm - report.cache_hits,
                 report.rows_fallback, report.fallbacks or "", report.rows_pending_llm, report.pending or "",
                 report.requests, report.tokens)
    return report


def _count(reasons: dict[int, str], rows_per_key: np.ndarray) -> dict[str, int]:
    out: Counter[str] = Counter()
    for k, reason in reasons.items():
        out[reason] += int(rows_per_key[k])
    return dict(out)


def _objects(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name in frame.columns:
        return frame[name].to_numpy(dtype=object, na_value=None)
    return np.full(len(frame), None, dtype=object)


_VOCABULARY = {"seniority": SENIORITY_LEVELS, "job_family": JOB_FAMILIES, "work_mode": WORK_MODES}


def _cached_columns(conn: psycopg2.extensions.connection, settings: LlmSettings,
                    keys: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(positions in ``keys`` answered by the cache, their six columns): one query, no per-row parsing.

    Answers were validated before they were stored, under the same prompt version (which also
    names the schema), so the columns are taken as the database renders them; only a cheap
    vocabulary check guards against a hand-edited cache row.
    """
    rows = lookup_answers(conn, settings.model, PROMPT_VERSION, keys.tolist())
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(ENRICHMENT_COLUMNS)), dtype=object)
    table = np.empty((len(rows), 1 + len(ENRICHMENT_COLUMNS)), dtype=object)
    table[:] = rows
    values = table[:, 1:]
    ok = (values != None).all(axis=1)  # noqa: E711 - elementwise on an object array
    for name, vocabulary in _VOCABULARY.items():
        j = 1 + ENRICHMENT_COLUMNS.index(name)
        ok &= pd.Index(table[:, j]).isin(vocabulary)
    positions = keys.get_indexer(table[ok, 0])
    known = positions >= 0
    return positions[known], values[ok][known]


def _ask(prompts: list[PostingInput], settings: LlmSettings, run_state: LlmRunState, gate: _QuotaGate,
         max_workers: int, deadline: float | None) -> list[ItemResult]:
    """Send the prompts (or mark them pending at once when nothing could be sent)."""
    blocked = run_state.breaker.allow()
    if blocked is None and run_state.run_used >= settings.run_quota:
        blocked = "quota_run"
        gate.exhausted_by = blocked
    if blocked is not None:
        return [ItemResult(pending=blocked) for _ in prompts]
    try:
        api_key = settings.resolve_api_key()
    except LlmConfigError as exc:
        log.error("%s", exc)
        run_state.breaker.refuse("api_key_unavailable")
        return [ItemResult(pending="api_key_unavailable") for _ in prompts]
    workers = max(1, min(max_workers, len(prompts)))
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    with httpx.Client(timeout=httpx.Timeout(settings.timeout_s), limits=limits, follow_redirects=False) as http:
        caller = LlmCaller(settings, http, run_state.limiter, gate, run_state.breaker, api_key, deadline=deadline)
        return _run_items(prompts, caller, workers)

