"""A process run that fails part-way is retried twice — once by the flow's own ``retries``, once
by ``prefect flow-run retry`` — and each retry resumes after the batches already saved.

Fault injection in PostgreSQL: the save of batch 2 fails in the first attempt and the save of
batch 3 in the second, so the run goes Failed → AwaitingRetry → Failed, and the CLI retry
finishes it. Every attempt must reuse what was finished: schema setup is served from the cache,
a batch saved before a failure is not claimed or written again (its claim is marked saved), a
claimed-but-unsaved batch is resumed — and staging ends complete with no duplicates.

(One scenario for both retry paths: it replaced tests/e2e/test_flow_retry.py and
tests/integration/test_flow_run_retry_cli.py, which injected the same fault and checked the
same resumption; every assertion of both is here.)
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.synthetic import generate_raw_rows
from tests.sqlutil import sql_rows

REPO = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")  # the prefect CLI of this virtualenv

ROWS, BATCH = 1_500, 500

_FAULT = """
CREATE SEQUENCE public.fault_hits_batch2;
CREATE SEQUENCE public.fault_hits_batch3;
CREATE FUNCTION public.fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_processed AND NOT OLD.is_processed THEN
        -- a sequence is not rolled back with the failed save, so each fault fires once only
        IF NEW.id >= %(third_batch)s THEN
            IF nextval('public.fault_hits_batch3') = 1 THEN
                RAISE EXCEPTION 'injected fault: the save of batch 3 fails once';
            END IF;
        ELSIF NEW.id >= %(second_batch)s THEN
            IF nextval('public.fault_hits_batch2') = 1 THEN
                RAISE EXCEPTION 'injected fault: the save of batch 2 fails once';
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fault BEFORE UPDATE ON public.raw_jobs FOR EACH ROW EXECUTE FUNCTION public.fault();
"""


def _read(fn: Any, *args: Any) -> Any:
    """``await fn(client, *args)`` against the session's Prefect server."""
    from prefect.client.orchestration import get_client

    async def go() -> Any:
        async with get_client() as client:
            return await fn(client, *args)

    return asyncio.run(go())


async def _task_runs(client: Any, run_id: str) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    return await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))


@pytest.mark.usefixtures("prefect_harness")
def test_a_failed_process_run_is_retried_by_prefect_and_resumes_after_the_saved_batches(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", database_url)
    generate_raw_rows(database_url, ROWS)
    first_id = sql_rows(database_url, "SELECT min(id) FROM public.raw_jobs")[0][0]
    sql_rows(database_url, _FAULT, {"second_batch": first_id + BATCH, "third_batch": first_id + 2 * BATCH})

    # One save in flight (max_workers 1) so the batches are saved strictly in order and the
    # timeline below is deterministic; with more, a later batch may be saved before the failure.
    # The flow's own retry mechanism, one retry at once (the deployment waits 10 s between its 2).
    retried_once = process_flow.with_options(retries=1, retry_delay_seconds=0)
    state = retried_once(PipelineOptions(pipeline_mode="processOnly", batch_size=BATCH, max_workers=1),
                         return_state=True)
    assert state.is_failed()  # attempt 1 failed at batch 2, attempt 2 (the retry) at batch 3
    run_id = str(state.state_details.flow_run_id)
    # batch 1 saved by attempt 1, batch 2 by attempt 2, batch 3 not yet
    assert sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE is_processed")[0][0] == 2 * BATCH

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "JOBINSIGHT_DATABASE_URL": database_url}
    retry = subprocess.run([PREFECT, "flow-run", "retry", run_id, "--entrypoint", "flows/process.py:process_flow"],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert retry.returncode == 0, retry.stdout[-2000:] + retry.stderr[-2000:]
    for fault in ("fault_hits_batch2", "fault_hits_batch3"):  # both faults did fire, once each
        assert sql_rows(database_url, f"SELECT last_value FROM public.{fault}")[0][0] > 1

    # The same flow run, retried in place: attempt 2 by the flow's retries, attempt 3 by the CLI.
    run = _read(lambda client: client.read_flow_run(state.state_details.flow_run_id))
    assert run.state.is_completed() and run.run_count == 3
    history = sorted(_read(lambda client: client.read_flow_run_states(run.id)), key=lambda s: s.timestamp)
    retry_at = next(s.timestamp for s in history if s.name == "AwaitingRetry")
    failed_at = max(s.timestamp for s in history if s.is_failed())  # attempt 2's failure

    # Schema setup ran in the first attempt and came from the cache in both retries.
    setups = sorted((t for t in _read(_task_runs, run_id) if t.name.startswith("phase-1-schema-setup")),
                    key=lambda t: t.expected_start_time)
    assert [t.state.name for t in setups] == ["Completed", "Cached", "Cached"]

    # Each range was claimed once and saved once; each batch saved before a failure never again.
    claims = sql_rows(database_url, "SELECT lo_id, n_rows, saved_at, (result->>'already_saved')::boolean "
                                    "FROM jobinsight_monitoring.batch_claims WHERE run_id = %s ORDER BY lo_id",
                      (run_id,))
    assert [(lo - first_id, n) for lo, n, _, _ in claims] == [(0, BATCH), (BATCH, BATCH), (2 * BATCH, BATCH)]
    assert all(saved is not None and already is False for _, _, saved, already in claims)
    assert claims[0][2] < retry_at < claims[1][2] < failed_at < claims[2][2]
    assert sql_rows(database_url, "SELECT lo_id, count(*) FROM jobinsight_monitoring.batch_claims "
                                  "WHERE saved_at IS NOT NULL GROUP BY lo_id HAVING count(*) > 1") == []
    # The last attempt loaded only the rows the earlier ones had not saved.
    stats = sql_rows(database_url, "SELECT stats FROM jobinsight_monitoring.pipeline_runs WHERE run_id = %s",
                     (run_id,))[0][0]
    assert (stats["total_records"], stats["batch_count"]) == (BATCH, 1)

    # Staging is complete, one row per raw row, every raw row processed exactly once.
    staged, distinct = sql_rows(database_url, "SELECT count(*), count(DISTINCT raw_id) "
                                              "FROM jobinsight_staging.staging_jobs_data")[0]
    quarantined = sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE process_error IS NOT NULL")[0][0]
    assert staged == distinct == ROWS - quarantined
    assert sql_rows(database_url, "SELECT count(*), count(DISTINCT job_id) FROM jobinsight_staging.staging_jobs") \
        == [(ROWS - quarantined, ROWS - quarantined)]
    assert sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed "
                                  "AND process_error IS NULL") == [(0,)]
