"""``prefect flow-run retry`` on a process run that failed part-way: the retry reuses what was
finished (schema setup Cached, saved batches not redone) and completes the rest."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.synthetic import generate_raw_rows
from tests.sqlutil import sql_rows

REPO = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")  # the prefect CLI of this virtualenv

_FAULT = """
CREATE SEQUENCE public.fault_hits;
CREATE FUNCTION public.fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.is_processed AND NOT OLD.is_processed AND NEW.id > 1000 THEN
        IF nextval('public.fault_hits') = 1 THEN   -- not rolled back: fires once
            RAISE EXCEPTION 'injected fault in the save of batch 2';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fault BEFORE UPDATE ON public.raw_jobs FOR EACH ROW EXECUTE FUNCTION public.fault();
"""



@pytest.mark.usefixtures("prefect_harness")
def test_prefect_flow_run_retry_resumes_a_failed_process_run(database_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("JOBINSIGHT_DATABASE_URL", database_url)
    generate_raw_rows(database_url, 3_000)
    sql_rows(database_url, _FAULT)
    failing = process_flow.with_options(retries=0)
    state = failing(PipelineOptions(pipeline_mode="processOnly", batch_size=1_000, max_workers=1),
                    return_state=True)
    assert state.is_failed()
    run_id = str(state.state_details.flow_run_id)
    saved_before = sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE is_processed")[0][0]
    assert saved_before == 1_000  # batch 1 saved, batch 2 failed

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "JOBINSIGHT_DATABASE_URL": database_url}
    retry = subprocess.run([PREFECT, "flow-run", "retry", run_id, "--entrypoint", "flows/process.py:process_flow"],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert retry.returncode == 0, retry.stdout[-2000:] + retry.stderr[-2000:]

    assert sql_rows(database_url, "SELECT count(*), count(DISTINCT job_id) FROM jobinsight_staging.staging_jobs") \
        == [(3_000, 3_000)]
    # every range was saved exactly once: batch 1 by the failed attempt, the rest by the retry
    claims = sql_rows(database_url, "SELECT lo_id, count(*) FROM jobinsight_monitoring.batch_claims "
                                "WHERE saved_at IS NOT NULL GROUP BY lo_id ORDER BY lo_id")
    assert [n for _, n in claims] == [1, 1, 1]

    async def task_states() -> list[tuple[str, str]]:
        from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

        async with get_client() as client:
            runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
            return [(r.name, r.state.name) for r in runs]

    states = asyncio.run(task_states())
    schema = [s for name, s in states if name.startswith("phase-1-schema-setup")]
    assert "Cached" in schema  # the retried attempt reused schema setup
