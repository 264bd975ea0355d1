"""The LLM enricher against a real PostgreSQL and a local OpenAI-compatible server on loopback.

What is proven here, each from what the server really received (its own timestamps and bodies):
the rate limit holds, the run and day quotas stop calls and leave the rest pending with their
rules labels, an unchanged posting costs nothing the second time (cache), every fault mode
ends in an answer or a counted fallback, the API key never leaks, and no row ever loses its
enrichment.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import pandas as pd
import psycopg2
import pytest

from jobinsight.enrich import (
    ENRICHMENT_COLUMNS,
    PROMPT_VERSION,
    LlmBatchReport,
    LlmRunState,
    LlmSettings,
    enrich_batch_with_llm,
)
from jobinsight.transform.batch import transform_batch
from tests.llm_server import FAKE_CAPABILITY, FakeLlmServer

MODEL = "fake-model"
KEY = "sk-test-7f3a9c1e5b2d4a6f8e0c2b4d6f8a0c1e"
LLM_SOURCE = f"llm:{MODEL}"
TRANSIENT_REASON = {"429": "rate_limited", "500": "server_error", "timeout": "timeout"}


@pytest.fixture
def llm_server() -> Iterator[FakeLlmServer]:
    with FakeLlmServer(timeout_sleep_s=3.0) as server:
        yield server


def raw_frame(n: int, *, prefix: str = "job", titles: dict[int, str] | None = None,
              shared_hash: dict[int, int] | None = None) -> pd.DataFrame:
    """``n`` raw rows as phase 3 loads them; ``shared_hash`` maps a row to the row whose content it repeats."""
    rows = []
    for i in range(n):
        same = (shared_hash or {}).get(i, i)
        rows.append({
            "id": i + 1, "source": "demo", "job_id": f"{prefix}-{i}",
            "title": (titles or {}).get(same, f"Senior Data Engineer {prefix} {same}"),
            "company_name": "Công ty TNHH Dữ Liệu", "salary": "20 - 30 triệu", "location": "Hà Nội",
            "skills": json.dumps(["python", "SQL"]),
            "content_hash": f"hash-{prefix}-{same}",
            "payload": json.dumps({"description": f"Xây dựng data pipeline {same} với Airflow.",
                                   "requirements": "Tiếng Anh giao tiếp, 3 năm kinh nghiệm", "level": "Nhân viên"},
                                  ensure_ascii=False),
        })
    return pd.DataFrame(rows)


def staged(raw: pd.DataFrame) -> pd.DataFrame:
    outcome = transform_batch(raw)
    assert outcome.quarantined.empty
    return outcome.staging


def settings_for(server: FakeLlmServer, **overrides: object) -> LlmSettings:
    values: dict[str, object] = {
        "base_url": server.base_url, "model": MODEL, "api_key": KEY, "rpm": 6000, "tpm": 10_000_000,
        "run_quota": 1000, "daily_quota": 5000, "timeout_s": 0.5, "max_http_retries": 2,
        "backoff_base_s": 0.01, "backoff_max_s": 0.05, "max_retry_after_s": 0.2, "breaker_failures": 1000,
    }
    values.update(overrides)
    return LlmSettings(**values)


def run(staging: pd.DataFrame, raw: pd.DataFrame, url: str, settings: LlmSettings,
        state: LlmRunState | None = None, workers: int = 4, **kwargs: object) -> LlmBatchReport:
    return enrich_batch_with_llm(staging, raw, db_url=url, settings=settings, max_workers=workers,
                                 run_state=state or LlmRunState(settings), **kwargs)


def assert_nothing_lost(rules: pd.DataFrame, after: pd.DataFrame) -> None:
    """Same rows in the same order, every one enriched; non-LLM rows keep their rules labels exactly."""
    assert len(after) == len(rules)
    assert after["raw_id"].tolist() == rules["raw_id"].tolist()
    for name in (*ENRICHMENT_COLUMNS, "enrichment_source", "enrichment_version"):
        assert after[name].notna().all(), name
    assert set(after["enrichment_source"]) <= {"rules", "rules-fallback", LLM_SOURCE}
    kept = (after["enrichment_source"] != LLM_SOURCE).to_numpy()
    for name in (*ENRICHMENT_COLUMNS, "enrichment_version"):
        assert after.loc[kept, name].tolist() == rules.loc[kept, name].tolist(), name
    llm = ~kept
    assert (after.loc[llm, "enrichment_version"] == PROMPT_VERSION).all()
    for text in after.loc[llm, "capabilities"]:
        assert json.loads(text) == [FAKE_CAPABILITY]


def query(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()
    finally:
        conn.close()


def pending_rows(url: str) -> dict[str, str]:
    return dict(query(url, "SELECT content_hash, reason FROM jobinsight_monitoring.llm_pending"))


def sources(staging: pd.DataFrame) -> list[str]:
    return staging["enrichment_source"].tolist()


# --- answers, cache ---------------------------------------------------------------------------


def test_llm_labels_replace_rules_and_an_unchanged_batch_costs_nothing_the_second_time(
        database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(12, shared_hash={10: 0, 11: 1}, titles={3: "Junior Tester", 4: "Data Analyst"})
    staging = staged(raw)
    rules = staging.copy()
    settings = settings_for(llm_server)

    report = run(staging, raw, database_url, settings)

    assert len(llm_server.requests) == report.requests == 10  # rows sharing a content hash are asked once
    assert report.rows_llm == 12 and report.cache_hits == 0 and report.fallbacks == {}
    assert report.rows_pending_llm == 0 and report.tokens > 0
    assert sources(staging) == [LLM_SOURCE] * 12
    assert_nothing_lost(rules, staging)
    by_raw = staging.set_index("raw_id")
    assert by_raw.loc[4, "seniority"] == "junior" and by_raw.loc[4, "job_family"] == "qa"
    assert by_raw.loc[1, "seniority"] == "senior" and by_raw.loc[1, "work_mode"] == "remote"
    assert json.loads(by_raw.loc[1, "skills_normalized"]) == ["Python", "SQL", "Docker"]
    assert json.loads(by_raw.loc[1, "languages_required"]) == [{"language": "English", "level": "B2"}]
    # the request is what an OpenAI-compatible endpoint expects
    body = llm_server.requests[0].body
    assert body["model"] == MODEL and body["response_format"] == {"type": "json_object"}
    assert '"job_family"' in body["messages"][0]["content"]  # the schema is in the prompt
    assert llm_server.requests[0].authorization == f"Bearer {KEY}"
    assert query(database_url, "SELECT count(*), sum(tokens) FROM jobinsight_monitoring.llm_cache")[0] == (
        10, report.tokens)
    assert query(database_url, "SELECT requests, tokens FROM jobinsight_monitoring.llm_usage")[0] == (
        10, report.tokens)

    # re-processing the unchanged batch in a new run: all from the cache, not one request
    again = staged(raw)
    second = run(again, raw, database_url, settings)
    assert len(llm_server.requests) == 10
    assert second.requests == 0 and second.tokens == 0 and second.cache_hits == 12 and second.rows_llm == 12
    for name in ("seniority", "job_family", "work_mode", "enrichment_source", "enrichment_version"):
        assert again[name].tolist() == staging[name].tolist()
    for name in ("skills_normalized", "languages_required", "capabilities"):  # JSON: same value, any key order
        assert [json.loads(v) for v in again[name]] == [json.loads(v) for v in staging[name]]

    # a changed posting (new content hash) is asked again; the unchanged ones are not
    changed = raw_frame(12, shared_hash={10: 0, 11: 1}, titles={3: "Junior Tester", 4: "Data Analyst"})
    changed.loc[5, "content_hash"] = "hash-job-5-v2"
    third = run(staged(changed), changed, database_url, settings)
    assert third.requests == 1 and third.cache_hits == 11


def test_other_model_or_prompt_version_does_not_reuse_answers(database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(3)
    run(staged(raw), raw, database_url, settings_for(llm_server))
    other = run(staged(raw), raw, database_url, settings_for(llm_server, model="other-model"))
    assert other.requests == 3 and other.cache_hits == 0
    assert query(database_url, "SELECT count(*) FROM jobinsight_monitoring.llm_cache")[0][0] == 6


# --- rate limit -------------------------------------------------------------------------------


@pytest.mark.client_timing
def test_requests_per_minute_stay_within_the_limit(database_url: str, llm_server: FakeLlmServer) -> None:
    rpm, n = 240, 20
    raw = raw_frame(n)
    staging = staged(raw)
    settings = settings_for(llm_server, rpm=rpm)
    state = LlmRunState(settings)

    report = run(staging, raw, database_url, settings, state, workers=4)

    times = llm_server.times
    assert report.requests == len(times) == n and report.rows_llm == n
    burst = state.limiter.req_capacity  # rpm / 60: one second's worth may go at once
    span = times[-1] - times[0]
    measured_rpm = (n - burst) / span * 60
    assert measured_rpm <= rpm * 1.05, f"{measured_rpm:.0f} requests/min measured for a limit of {rpm}"
    # and in every stretch between two requests, no more than the bucket allows
    rate = rpm / 60
    for i in range(n):
        for j in range(i + 1, n):
            assert j - i + 1 <= burst + rate * (times[j] - times[i]) * 1.05 + 1
    # a second batch of the same run continues under the same limiter: no fresh burst
    more = raw_frame(6, prefix="more")
    run(staged(more), more, database_url, settings, state, workers=4)
    later = llm_server.times[n:]
    assert later[-1] - times[-1] >= (6 - 1) / rate * 0.95


@pytest.mark.client_timing
@pytest.mark.parametrize("workers", [1, 3])
def test_requests_in_flight_never_exceed_max_workers(database_url: str, llm_server: FakeLlmServer,
                                                     workers: int) -> None:
    llm_server.delay_s = 0.15
    raw = raw_frame(9)
    report = run(staged(raw), raw, database_url, settings_for(llm_server), workers=workers)
    assert report.requests == 9 and report.rows_llm == 9
    assert llm_server.max_in_flight == workers  # bounded by max_workers, and the workers are used


@pytest.mark.client_timing
def test_tokens_per_minute_stay_within_the_limit(database_url: str, llm_server: FakeLlmServer) -> None:
    tpm, n = 60_000, 12
    raw = raw_frame(n)
    settings = settings_for(llm_server, tpm=tpm)
    state = LlmRunState(settings)

    report = run(staged(raw), raw, database_url, settings, state, workers=4)

    assert report.requests == n
    reqs = sorted(llm_server.requests, key=lambda r: r.at)
    # what the server billed per request, recomputed exactly as the server reported it
    tokens = []
    for r in reqs:
        prompt = sum(len(m["content"]) for m in r.body["messages"]) // 4
        tokens.append(prompt + len(json.dumps(_answer_for(r), ensure_ascii=False)) // 4)
    assert sum(tokens) == report.tokens
    capacity, rate = state.limiter.tok_capacity, tpm / 60
    biggest = max(tokens) + settings.completion_token_estimate
    for i in range(n):
        for j in range(i, n):
            spent = sum(tokens[i:j + 1])
            assert spent <= capacity + rate * (reqs[j].at - reqs[i].at) * 1.05 + biggest


def _answer_for(request: object) -> dict:
    from tests.llm_server import fake_answer

    return fake_answer(request.posting)  # type: ignore[attr-defined]


# --- quotas -----------------------------------------------------------------------------------


def test_run_quota_stops_calls_and_the_rest_keeps_rules_labels_marked_pending(
        database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(12)
    staging = staged(raw)
    rules = staging.copy()
    settings = settings_for(llm_server, run_quota=5)
    state = LlmRunState(settings)

    report = run(staging, raw, database_url, settings, state, workers=3)

    assert len(llm_server.requests) == 5 == report.requests
    assert report.rows_llm == 5 and report.rows_pending_llm == 7 and report.pending == {"quota_run": 7}
    assert report.quota_state is not None and report.quota_state.exhausted
    assert (report.quota_state.run_used, report.quota_state.run_limit) == (5, 5)
    assert report.quota_state.exhausted_by == "quota_run" and report.quota_state.day_used == 5
    assert sources(staging).count(LLM_SOURCE) == 5 and sources(staging).count("rules") == 7
    assert_nothing_lost(rules, staging)
    pending = pending_rows(database_url)
    rules_hashes = staging.loc[staging["enrichment_source"] == "rules", "content_hash"]
    assert pending == {h: "quota_run" for h in rules_hashes}

    # a later batch of the same run makes no call at all, and fails nothing
    more = raw_frame(4, prefix="later")
    later_staging = staged(more)
    later = run(later_staging, more, database_url, settings, state)
    assert len(llm_server.requests) == 5 and later.requests == 0
    assert later.rows_pending_llm == 4 and sources(later_staging) == ["rules"] * 4
    assert state.summary()["requests"] == 5 and state.summary()["rows_pending_llm"] == 11

    # the next run (quota again) takes the pending ones; answered rows leave the pending list
    fresh = run(staged(raw), raw, database_url, settings_for(llm_server, run_quota=100))
    assert fresh.requests == 7 and fresh.cache_hits == 5 and fresh.rows_llm == 12
    assert set(pending_rows(database_url)) == {f"hash-later-{i}" for i in range(4)}


def test_daily_quota_is_shared_by_concurrent_runs_through_the_database(
        database_url: str, llm_server: FakeLlmServer) -> None:
    daily = 7
    settings = settings_for(llm_server, daily_quota=daily)
    frames = [raw_frame(10, prefix=f"run{k}") for k in range(2)]
    reports: list[LlmBatchReport] = []
    errors: list[BaseException] = []

    def one_run(raw: pd.DataFrame) -> None:
        try:
            reports.append(run(staged(raw), raw, database_url, settings, LlmRunState(settings), workers=3))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one_run, args=(f,)) for f in frames]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(llm_server.requests) == daily == sum(r.requests for r in reports)
    assert sum(r.rows_llm for r in reports) == daily
    assert sum(r.pending.get("quota_day", 0) for r in reports) == 20 - daily
    assert query(database_url, "SELECT requests FROM jobinsight_monitoring.llm_usage WHERE model = %s",
                 (MODEL,))[0][0] == daily
    # and the next run the same day sends nothing
    raw = raw_frame(3, prefix="late")
    late = run(staged(raw), raw, database_url, settings)
    assert late.requests == 0 and late.quota_state is not None and late.quota_state.exhausted_by == "quota_day"
    assert late.quota_state.day_used == daily and late.rows_pending_llm == 3


def test_zero_quota_means_no_calls(database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(4)
    staging = staged(raw)
    rules = staging.copy()
    report = run(staging, raw, database_url, settings_for(llm_server, run_quota=0))
    assert llm_server.requests == [] and report.rows_pending_llm == 4
    assert_nothing_lost(rules, staging)


@pytest.mark.client_timing
def test_time_budget_leaves_unsent_rows_pending(database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(10)
    staging = staged(raw)
    rules = staging.copy()
    settings = settings_for(llm_server, rpm=60)  # one request per second

    report = run(staging, raw, database_url, settings, workers=2, time_budget_s=2.5)

    assert 2 <= report.requests <= 4 and report.requests == len(llm_server.requests)
    assert report.pending == {"time_budget": 10 - report.rows_llm}
    assert report.quota_state is not None and report.quota_state.run_used == report.requests
    assert report.quota_state.day_used == report.requests  # the unused reservation went back
    assert_nothing_lost(rules, staging)


# --- fault modes ------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "reason"), [("malformed", "malformed_json"), ("schema_invalid", "schema_invalid")])
def test_invalid_answer_is_asked_once_more_then_rules_fallback(
        database_url: str, llm_server: FakeLlmServer, fault: str, reason: str) -> None:
    raw = raw_frame(4, titles={2: "Senior Data Engineer BAD-ANSWER"})
    staging = staged(raw)
    rules = staging.copy()
    llm_server.faults_by_title["BAD-ANSWER"] = fault

    report = run(staging, raw, database_url, settings_for(llm_server))

    bad = [r for r in llm_server.requests if "BAD-ANSWER" in r.posting["title"]]
    assert len(bad) == 2  # asked, asked once more, then given up
    assert report.requests == 5 and report.retries == 1
    assert report.fallbacks == {reason: 1} and report.rows_llm == 3 and report.rows_fallback == 1
    assert sources(staging) == [LLM_SOURCE, LLM_SOURCE, "rules-fallback", LLM_SOURCE]
    assert_nothing_lost(rules, staging)
    assert pending_rows(database_url) == {}  # the posting's answers are bad, not the endpoint: no retry later
    assert query(database_url, "SELECT count(*) FROM jobinsight_monitoring.llm_cache")[0][0] == 3


@pytest.mark.parametrize("fault", ["malformed", "schema_invalid"])
def test_invalid_answer_then_valid_answer_is_used(database_url: str, llm_server: FakeLlmServer, fault: str) -> None:
    raw = raw_frame(3)
    staging = staged(raw)
    llm_server.fail_next(fault, 1)
    report = run(staging, raw, database_url, settings_for(llm_server), workers=1)
    assert report.requests == 4 and report.retries == 1 and report.fallbacks == {}
    assert sources(staging) == [LLM_SOURCE] * 3


@pytest.mark.client_timing
@pytest.mark.parametrize("fault", ["429", "500", "timeout"])
def test_transient_fault_is_retried_with_backoff_then_answered(
        database_url: str, llm_server: FakeLlmServer, fault: str) -> None:
    raw = raw_frame(3)
    staging = staged(raw)
    rules = staging.copy()
    llm_server.fail_next(fault, 2)

    report = run(staging, raw, database_url, settings_for(llm_server), workers=1)

    assert len(llm_server.requests) == report.requests == 5 and report.retries == 2
    assert report.fallbacks == {} and sources(staging) == [LLM_SOURCE] * 3
    assert [r.fault for r in llm_server.requests[:3]] == [fault, fault, None]
    assert_nothing_lost(rules, staging)


@pytest.mark.client_timing
@pytest.mark.parametrize("fault", ["429", "500", "timeout"])
def test_persistent_transient_fault_falls_back_after_bounded_retries(
        database_url: str, llm_server: FakeLlmServer, fault: str) -> None:
    raw = raw_frame(3, titles={1: "Senior Data Engineer DOWN"})
    staging = staged(raw)
    rules = staging.copy()
    llm_server.faults_by_title["DOWN"] = fault
    settings = settings_for(llm_server)

    report = run(staging, raw, database_url, settings, workers=2)

    down = [r for r in llm_server.requests if "DOWN" in r.posting["title"]]
    assert len(down) == 1 + settings.max_http_retries
    assert report.fallbacks == {TRANSIENT_REASON[fault]: 1} and report.rows_fallback == 1
    assert sources(staging) == [LLM_SOURCE, "rules-fallback", LLM_SOURCE]
    assert_nothing_lost(rules, staging)
    # the endpoint failed, not the posting: it is marked to be tried again later
    assert pending_rows(database_url) == {"hash-job-1": TRANSIENT_REASON[fault]}
    assert report.rows_pending_llm == 1


@pytest.mark.client_timing
def test_retry_after_is_honoured_and_capped(database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(2)
    llm_server.retry_after = "0.6"
    llm_server.fail_next("429", 1)
    run(staged(raw), raw, database_url, settings_for(llm_server, max_retry_after_s=5.0), workers=1)
    first, second = llm_server.times[:2]
    assert second - first >= 0.55  # waited what the server asked

    llm_server.reset()
    llm_server.retry_after = "3600"  # an absurd request is cut to max_retry_after_s
    llm_server.fail_next("429", 1)
    other = raw_frame(2, prefix="capped")
    report = run(staged(other), other, database_url, settings_for(llm_server, max_retry_after_s=0.3), workers=1)
    first, second = llm_server.times[:2]
    assert 0.25 <= second - first < 5 and report.rows_llm == 2


@pytest.mark.client_timing
def test_refused_endpoint_stops_all_calls_and_keeps_rows(database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(6)
    staging = staged(raw)
    rules = staging.copy()
    llm_server.fail_next("401", 1)
    state = LlmRunState(settings_for(llm_server))

    report = run(staging, raw, database_url, state.settings, state, workers=1)

    assert len(llm_server.requests) == 1
    assert report.fallbacks == {"http_401": 1} and report.pending == {"endpoint_refused": 5}
    assert report.rows_pending_llm == 6  # a wrong key is fixed by people: every row is retried later
    assert_nothing_lost(rules, staging)


@pytest.mark.client_timing
def test_an_outage_opens_the_circuit_breaker(database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(8)
    staging = staged(raw)
    rules = staging.copy()
    llm_server.fail_next("500", 10_000)
    settings = settings_for(llm_server, breaker_failures=2, max_http_retries=1)

    report = run(staging, raw, database_url, settings, workers=1)

    assert len(llm_server.requests) == 4  # two postings x (1 + 1 retry), then no more calls
    assert report.fallbacks == {"server_error": 2} and report.pending == {"circuit_open": 6}
    assert report.rows_pending_llm == 8
    assert_nothing_lost(rules, staging)


def test_rows_without_content_hash_are_keyed_by_their_prompt(database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(3, shared_hash={2: 0})
    raw["content_hash"] = None
    report = run(staged(raw), raw, database_url, settings_for(llm_server))
    assert report.requests == 2 and report.rows_llm == 3
    again = run(staged(raw), raw, database_url, settings_for(llm_server))
    assert again.requests == 0 and again.cache_hits == 3


def test_empty_batch(database_url: str, llm_server: FakeLlmServer) -> None:
    raw = raw_frame(1).iloc[0:0]
    staging = staged(raw_frame(1)).iloc[0:0].copy()
    report = run(staging, raw, database_url, settings_for(llm_server))
    assert report.rows_in == 0 and report.requests == 0 and llm_server.requests == []


# --- secrets ----------------------------------------------------------------------------------


def test_api_key_never_appears_in_logs_exceptions_or_reports(
        database_url: str, llm_server: FakeLlmServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    llm_server.expected_key = KEY
    llm_server.faults_by_title.update({"SLOW": "timeout", "BROKEN": "500", "GARBLED": "malformed"})
    raw = raw_frame(5, titles={0: "SLOW job", 1: "BROKEN job", 2: "GARBLED job"})
    state = LlmRunState(settings_for(llm_server, max_http_retries=1))
    reports = [run(staged(raw), raw, database_url, state.settings, state)]

    # a wrong key: the server refuses, the client says so without quoting either key
    llm_server.expected_key = "sk-the-right-one"
    other = raw_frame(2, prefix="refused")
    reports.append(run(staged(other), other, database_url, state.settings, LlmRunState(state.settings)))
    assert set(reports[1].fallbacks) == {"http_401"}  # both workers may have asked before the refusal

    texts = [caplog.text, *(json.dumps(r.to_dict()) for r in reports), json.dumps(state.summary(), default=str),
             repr(state.settings), str(state.settings), state.settings.model_dump_json(),
             json.dumps(state.settings.describe())]
    from jobinsight.enrich import LlmConfigError

    with pytest.raises(LlmConfigError) as bad:
        LlmSettings.from_env({"JOBINSIGHT_LLM_BASE_URL": "ftp://nowhere", "JOBINSIGHT_LLM_MODEL": "m",
                              "JOBINSIGHT_LLM_API_KEY": KEY})
    texts.append(str(bad.value))
    texts.append(repr(bad.value))
    assert "LLM" in caplog.text or reports[0].fallbacks  # something was said
    for text in texts:
        assert KEY not in text
        assert KEY[-12:] not in text


def test_api_key_from_a_prefect_secret_block_is_loaded_only_when_needed(
        database_url: str, llm_server: FakeLlmServer, prefect_harness: None) -> None:
    from prefect.blocks.system import Secret

    Secret(value=KEY).save("jobinsight-llm-test-key", overwrite=True)
    llm_server.expected_key = KEY
    settings = LlmSettings.from_env({"JOBINSIGHT_LLM_BASE_URL": llm_server.base_url, "JOBINSIGHT_LLM_MODEL": MODEL,
                                     "JOBINSIGHT_LLM_API_KEY_BLOCK": "jobinsight-llm-test-key"})
    assert settings is not None and settings.api_key is None

    raw = raw_frame(3)
    report = run(staged(raw), raw, database_url, settings)
    assert report.rows_llm == 3 and report.fallbacks == {}
    assert all(r.authorization == f"Bearer {KEY}" for r in llm_server.requests)

    # all from the cache: a fresh settings object never reads the block
    fresh = LlmSettings.from_env({"JOBINSIGHT_LLM_BASE_URL": llm_server.base_url, "JOBINSIGHT_LLM_MODEL": MODEL,
                                  "JOBINSIGHT_LLM_API_KEY_BLOCK": "no-such-block"})
    assert fresh is not None
    cached = run(staged(raw), raw, database_url, fresh)
    assert cached.cache_hits == 3 and cached.requests == 0 and cached.pending == {}
    # ...and a missing block is a counted, key-free pending reason once a request is needed
    other = raw_frame(2, prefix="nokey")
    missing = run(staged(other), other, database_url, fresh)
    assert missing.pending == {"api_key_unavailable": 2} and missing.requests == 0
