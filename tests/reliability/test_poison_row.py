"""One oversized value must not stop anything: the raw upsert quarantines it, and the load step
still reads a batch holding one that another writer put in raw_jobs directly.

Before: a 33 MB title was stored as it came; every process run then failed the batch's CSV load
with ``ArrowInvalid`` (Arrow's 16 MiB block), so its 1,000 rows never reached staging.
"""

from __future__ import annotations

import json

import psycopg2
import pytest

from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.synthetic import generate_raw_rows
from tests.reliability.conftest import accounted_for, sql_rows, sql_value

HUGE = 33 * 1024 * 1024  # bigger than Arrow's 16 MiB block, as in the adversarial test
#: The direct writer's title: 1 MiB over Arrow's 16 MiB block, which is what broke the load. Not
#: HUGE: every byte of it also goes through the transform (title rules), ~1 s of CPU per MiB.
OVER_ARROW_BLOCK = 17 * 1024 * 1024
WORDS = "Kỹ sư phần mềm "  # 22 bytes in UTF-8


def _record(i: int, **extra: object) -> dict:
    return {"source": "hostile", "job_id": f"job-{i}", "title": f"Python developer {i}",
            "salary": "10 - 20 triệu", "location": "Hà Nội", **extra}


def test_oversized_field_is_quarantined_with_its_reason_and_the_rest_goes_in(database_url: str) -> None:
    records = [_record(i) for i in range(999)] + [_record(999, title="A" * HUGE)]
    result = upsert_raw_jobs(database_url, records, run_id="run-poison")
    assert (result.inserted, result.quarantined, result.oversized) == (999, 1, 1)
    assert result.max_field_bytes == 1 << 20
    assert sql_value(database_url, "SELECT count(*) FROM public.raw_jobs") == 999
    reason, record_bytes, title = sql_rows(
        database_url, "SELECT reason, octet_length(record::text), record->>'title' "
                      "FROM jobinsight_monitoring.quarantine WHERE job_id = 'job-999'")[0]
    assert reason.startswith("oversized field: title is 34,603,008 bytes"), reason
    assert "JOBINSIGHT_MAX_FIELD_BYTES" in reason
    assert record_bytes < 10_000  # a preview and the size, not the 33 MB it rejected
    assert title.startswith("AAAA") and "34,603,008 characters" in title


def test_field_limit_is_a_setting(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBINSIGHT_MAX_FIELD_BYTES", "2048")
    result = upsert_raw_jobs(database_url, [_record(1, payload={"description": "x" * 3000}), _record(2)])
    assert (result.inserted, result.oversized) == (1, 1)
    assert result.quarantine_reasons[0].startswith("oversized field: payload is")


@pytest.mark.usefixtures("prefect_harness")
def test_a_poison_row_written_by_another_writer_does_not_stop_its_batch(flow_db: str) -> None:
    generate_raw_rows(flow_db, 999)
    conn = psycopg2.connect(flow_db)
    try:  # an external crawler, bypassing the upsert and its limit
        with conn, conn.cursor() as cur:
            cur.execute("INSERT INTO public.raw_jobs (source, job_id, title, salary, payload) "
                        "VALUES ('external', 'huge', repeat(%s, %s), 'Thỏa thuận', %s::jsonb)",
                        (WORDS, OVER_ARROW_BLOCK // len(WORDS.encode()) + 1, json.dumps({"via": "direct sql"})))
    finally:
        conn.close()
    result = process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=1_000))
    assert result.success, result.message
    counts = accounted_for(flow_db)
    assert counts["raw"] == 1_000
    assert counts["waiting"] == 0, counts  # the batch landed: no row left behind
    assert counts["staged"] + counts["quarantined"] == 1_000
    assert counts["both"] == 0
    assert sql_value(flow_db, "SELECT octet_length(title) > 16 * 1024 * 1024 FROM "
                              "jobinsight_staging.staging_jobs_data WHERE job_id = 'huge'")
