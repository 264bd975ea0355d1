"""The process flow end to end on real PostgreSQL, under a real (temporary) Prefect server."""

from __future__ import annotations

import asyncio
import json

import psycopg2
import pytest

from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.process.tally import IntegrityCheckError
from jobinsight.synthetic import generate_raw_rows
from tests.sqlutil import sql_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")





def _options(**kw) -> PipelineOptions:
    return PipelineOptions(pipeline_mode="processOnly", **kw)


def test_all_rows_processed_in_batches_with_metrics(db: str) -> None:
    generate_raw_rows(db, 2_300)
    result = process_flow(_options(batch_size=500))
    assert result.success, result.message
    assert result.stats.processed_records + result.stats.quarantined == 2_300
    assert result.stats.batch_count == 5
    assert sql_rows(db, "SELECT count(*) FROM jobinsight_staging.staging_jobs")[0][0] == result.stats.processed_records
    assert sql_rows(db, "SELECT count(*) FROM public.raw_jobs WHERE NOT is_processed AND process_error IS NULL") == [(0,)]
    phases = {m.phase for m in result.phases}
    assert phases == {"sql_procedures", "data_loading", "python_processing", "data_saving"}
    # the same figures are in the monitoring schema
    stored = sql_rows(db, "SELECT phase, count(*) FROM jobinsight_monitoring.phase_metrics WHERE run_id = %s "
                       "GROUP BY phase", (result.run_id,))
    assert dict(stored)["data_saving"] == 5
    assert sql_rows(db, "SELECT success FROM jobinsight_monitoring.pipeline_runs WHERE run_id = %s",
                 (result.run_id,)) == [(True,)]

    # and as a Prefect table artifact
    from prefect.artifacts import Artifact

    artifact = Artifact.get("process-metrics")
    table = json.loads(artifact.data)
    assert {row["phase"] for row in table} >= {"data_saving", "data_saving (total)"}
    # the summary shows the enrichment coverage figures of the run (issue 13)
    summary = Artifact.get("process-summary").data
    for figure in ("seniority known", "family known", "isco filled", "country known", "salary suspect"):
        assert f"| {figure} |" in summary, figure
    rates = result.stats.extra["parse_rates"]
    assert 0 < rates["family_known"] <= 1 and rates["isco_filled"] <= rates["family_known"]

    # a second run finds nothing to do, and schema setup is served from the cache
    second = process_flow(_options(batch_size=500))
    assert second.success and second.stats.processed_records == 0
    assert _schema_task_state(second.run_id) == "Cached"


def _schema_task_state(flow_run_id: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async def read() -> str:
        async with get_client() as client:
            runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            return next(r.state.name for r in runs if r.name.startswith("phase-1-schema-setup"))

    return asyncio.run(read())


def test_changed_salary_is_reprocessed_and_unchanged_rows_are_not_touched(db: str) -> None:
    records = [{"source": "topcv", "job_id": str(i), "title": f"Kế toán {i}", "salary": "10 - 15 triệu",
                "location": "Hà Nội", "deadline": "30", "skills": ["Excel"], "payload": {}} for i in range(1, 51)]
    upsert_raw_jobs(db, records)
    assert process_flow(_options()).stats.processed_records == 50
    before = dict(sql_rows(db, "SELECT job_id, processed_at FROM jobinsight_staging.staging_jobs_data"))

    records[9] = {**records[9], "salary": "20 - 30 triệu"}
    upsert_raw_jobs(db, records)
    again = process_flow(_options())
    assert again.stats.processed_records == 1
    after = dict(sql_rows(db, "SELECT job_id, processed_at FROM jobinsight_staging.staging_jobs_data"))
    changed = [k for k in after if after[k] != before[k]]
    assert changed == ["10"]
    assert sql_rows(db, "SELECT salary, salary_min, salary_max FROM jobinsight_staging.staging_jobs "
                     "WHERE job_id = '10'") == [("20 - 30 triệu", 20, 30)]


def test_bad_rows_are_quarantined_and_the_batch_goes_on(db: str) -> None:
    generate_raw_rows(db, 200)
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE public.raw_jobs SET title = '   ' WHERE job_id IN ('3', '7')")
        cur.execute("UPDATE public.raw_jobs SET job_id = '' WHERE job_id = '11'")
    conn.close()
    result = process_flow(_options(batch_size=64))
    assert result.success
    assert result.stats.quarantined == 3 and result.stats.processed_records == 197
    assert sorted(sql_rows(db, "SELECT job_id, process_attempts, process_error IS NOT NULL FROM public.raw_jobs "
                            "WHERE NOT is_processed")) == [("", 1, True), ("3", 1, True), ("7", 1, True)]
    assert sql_rows(db, "SELECT count(*) FROM jobinsight_monitoring.quarantine WHERE stage = 'process' "
                     "AND status = 'open'") == [(3,)]
    # a normal incremental run does not hammer quarantined rows again
    assert process_flow(_options()).stats.total_records == 0


def test_integrity_check_fails_the_run_when_rows_do_not_arrive(db: str) -> None:
    generate_raw_rows(db, 100)
    # Fault injection: a trigger silently drops the "mark processed" update of 10 rows.
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute("""
            CREATE FUNCTION public.drop_marks() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.is_processed AND NOT OLD.is_processed AND NEW.id % 10 = 0 THEN RETURN NULL; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER drop_marks BEFORE UPDATE ON public.raw_jobs FOR EACH ROW EXECUTE FUNCTION public.drop_marks();
        """)
    conn.close()
    no_retries = process_flow.with_options(retries=0)  # the deployment retries; the test wants the failure
    with pytest.raises(IntegrityCheckError, match="10 missing") as failure:
        no_retries(_options(integrity_threshold=0.95))
    assert failure.value.result.success is False
    assert failure.value.result.stats.extra["integrity_ratio"] == pytest.approx(0.9)
    # once the fault is gone, the next run picks up exactly the rows that did not arrive
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute("DROP TRIGGER drop_marks ON public.raw_jobs")
    conn.close()
    assert process_flow(_options()).stats.processed_records == 10


def test_llm_enrichment_in_the_flow_is_cached_and_reported(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.llm_server import FakeLlmServer

    records = [{"source": "topcv", "job_id": str(i), "title": f"Backend Developer (Java) {i % 4}",
                "salary": "20 - 30 triệu", "location": "Hà Nội", "skills": ["Java"],
                "payload": {"description": "Xây dựng API cho hệ thống thanh toán."}} for i in range(12)]
    upsert_raw_jobs(db, records)
    with FakeLlmServer() as server:
        monkeypatch.setenv("JOBINSIGHT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("JOBINSIGHT_LLM_MODEL", "fake-model")
        monkeypatch.setenv("JOBINSIGHT_LLM_API_KEY", "sk-test-not-a-secret")
        monkeypatch.setenv("JOBINSIGHT_LLM_RPM", "6000")
        first = process_flow(_options())
        sent = len(server.requests)
        # 4 distinct postings (same content, same content hash): one request each
        assert first.success and sent == 4 and first.stats.extra["llm"]["requests"] == 4
        sources = sql_rows(db, "SELECT DISTINCT enrichment_source FROM jobinsight_staging.staging_jobs")
        assert sources == [("llm:fake-model",)]
        from prefect.artifacts import Artifact

        table = json.loads(Artifact.get("process-metrics").data)
        assert any(row["phase"] == "llm_enrichment (total)" for row in table)

        again = process_flow(_options(only_unprocessed=False))  # re-process unchanged rows
        assert again.stats.processed_records == 12
        assert len(server.requests) == sent  # every answer came from the cache: no tokens spent
        assert again.stats.extra["llm"]["requests"] == 0 and again.stats.extra["llm"]["cache_hits"] >= 4
