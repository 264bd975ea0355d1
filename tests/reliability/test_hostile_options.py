"""Hostile options and values: whatever reaches SQL is an identifier or a parameter, never SQL
text, and an option out of range is rejected with a message that names the field."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import psycopg2.errors
import pytest
from pydantic import ValidationError

from jobinsight import cli
from jobinsight.db.raw_upsert import upsert_raw_jobs
from jobinsight.monitoring import start_run
from jobinsight.options import PipelineOptions
from jobinsight.process.claims import claim_batch, count_eligible
from jobinsight.process.dead_rows import mark_dead_rows
from jobinsight.process.load import load_batch
from jobinsight.process.save import save_batch
from jobinsight.transform.batch import transform_batch
from tests.reliability.conftest import assert_one_paragraph_error, cli_env, run_cli, sql_rows

REPO = Path(__file__).resolve().parents[2]
DROP = "x'; DROP TABLE public.raw_jobs; --"
HOSTILE_IDS = [DROP, "O'Brien \"quoted\"", "%s %(x)s {0} $$ $1", "back\\slash\\N", "semi;colon -- /* c */", "1 OR 1=1"]


@pytest.mark.parametrize("field, value", [
    ("batch_size", 0),
    ("integrity_threshold", 2),
    ("max_pages", -1),
    ("pipeline_mode", "bogus"),
    ("sort_by", "id; DROP TABLE raw_jobs"),  # an unknown field
    ("source", DROP),
    ("archive_date", "2026-01-01'; --"),
    ("archive_date", "2026-02-31"),
    ("archive_date", "٢٠٢٦-٠١-٠١"),  # digits, but not ASCII ones: it becomes part of a path glob
    ("base_url", "http://x\r\nHost: evil"),
    ("base_url", "http://"),
    ("urls", ["http://a\nb"]),
    ("max_workers", 0),
    ("claim_lease_seconds", 1),
    ("usd_rate", float("nan")),
    ("timeout_seconds", 0),
    ("max_attempts", 0),
])
def test_out_of_range_options_are_rejected_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as failure:
        PipelineOptions(**{field: value})
    assert [err["loc"] for err in failure.value.errors()] == [(field,)]


def test_assignment_is_validated_too() -> None:
    """A flow that adjusts its options cannot sneak a bad value past validation."""
    options = PipelineOptions()
    with pytest.raises(ValidationError, match="batch_size"):
        options.batch_size = 0


#: Hostile command lines: (arguments, extra environment, the field the message must name).
CLI_CASES = [
    (["run", "--mode", "bogus"], {}, "pipeline_mode"),
    (["scrape", "--source", "x'; DROP TABLE raw_jobs; --"], {}, "source"),
    (["scrape", "--source", "topcv", "--base-url", "http://x\r\nHost: evil"], {}, "base_url"),
    (["process"], {"ETL_BATCH_SIZE": "40k; DROP"}, "ETL_BATCH_SIZE"),
]


@pytest.mark.parametrize("database_url", ["embedded"], indirect=True)  # refused before any SQL: one server
def test_cli_process_rejects_a_hostile_option_in_one_paragraph(database_url: str) -> None:
    """The real command in a subprocess, once: exit code 2, one paragraph on stderr and nothing
    else (no log line, no traceback), the database untouched. Every case goes through the same
    entry point in-process below (a subprocess costs ~5 s of imports per case)."""
    args, env_extra, field = CLI_CASES[1]
    result = run_cli(*args, "--database-url", database_url, env=cli_env(**env_extra), timeout=120)
    assert_one_paragraph_error(result, field)
    assert sql_rows(database_url, "SELECT to_regclass('public.raw_jobs') IS NOT NULL") == [(True,)]


@pytest.mark.parametrize("args, env_extra, field", CLI_CASES)
def test_cli_rejects_hostile_options_in_one_paragraph(database_url: str, args: list[str], env_extra: dict[str, str],
                                                      field: str, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    """``jobinsight.cli.main`` (the console entry point) with the hostile arguments, in this process."""
    for name in ("PREFECT_API_URL", "JOBINSIGHT_DATABASE_URL", "JOBINSIGHT_DB_BLOCK", "ETL_BATCH_SIZE"):
        monkeypatch.delenv(name, raising=False)  # as cli_env(); also undoes what the command sets
    for name, value in env_extra.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["jobinsight", *args, "--database-url", database_url])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    out, err = capsys.readouterr()
    assert_one_paragraph_error(subprocess.CompletedProcess(args, exited.value.code, out, err), field)
    assert sql_rows(database_url, "SELECT to_regclass('public.raw_jobs') IS NOT NULL") == [(True,)]


def test_hostile_keys_and_run_ids_are_stored_literally(database_url: str) -> None:
    """Sources, job ids and run ids full of SQL syntax go through upsert, claim, load, transform,
    save, quarantine and monitoring as data; the tables are all still there afterwards."""
    records = [{"source": source, "job_id": job_id, "title": f"Dev {job_id}", "salary": job_id}
               for source in ("topcv", DROP) for job_id in HOSTILE_IDS]
    records.append({"source": DROP, "job_id": "no-title", "title": None})
    upsert = upsert_raw_jobs(database_url, records, run_id=DROP)
    assert (upsert.inserted, upsert.quarantined) == (len(HOSTILE_IDS) * 2, 1)

    run_id = "run'); DROP TABLE jobinsight_staging.staging_jobs_data; --"
    start_run(database_url, run_id, "process", PipelineOptions(pipeline_mode="processOnly"))
    assert count_eligible(database_url, mode=DROP, max_attempts=3) == 0  # unknown mode: nothing eligible
    with pytest.raises(psycopg2.errors.InvalidParameterValue):
        claim_batch(database_url, run_id=run_id, mode=DROP, after_id=0, limit=100, lease_seconds=60, max_attempts=3)
    claim = claim_batch(database_url, run_id=run_id, mode="unprocessed", after_id=0, limit=100, lease_seconds=60,
                        max_attempts=3)
    outcome = transform_batch(load_batch(database_url, claim))
    saved = save_batch(database_url, claim, outcome.staging, outcome.quarantined, run_id)
    assert saved.marked_processed == len(records) - 1
    assert mark_dead_rows(database_url, 3) == []

    staged = sql_rows(database_url, "SELECT source, job_id, salary, run_id FROM jobinsight_staging.staging_jobs")
    assert sorted(staged) == sorted((r["source"], r["job_id"], r["job_id"], run_id) for r in records[:-1])
    assert sql_rows(database_url, "SELECT run_id, source FROM jobinsight_monitoring.quarantine") == [(DROP, DROP)]
    assert sql_rows(database_url, "SELECT run_id FROM jobinsight_monitoring.pipeline_runs") == [(run_id,)]
    assert sql_rows(database_url, "SELECT run_id FROM jobinsight_monitoring.batch_claims") == [(run_id,)]


# --- no SQL text built from values in the product code ------------------------------------------

_SQL_CALLS = {"execute", "executemany", "copy_expert", "execute_values", "mogrify", "SQL"}
_PRODUCT = ("jobinsight", "tasks", "flows", "deployments")


def _builds_text(node: ast.AST) -> bool:
    """An f-string, ``"..." % x``, ``"...".format(x)`` or ``"..." + x``: SQL text made from values."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return any(isinstance(side, ast.Constant) and isinstance(side.value, str) for side in (node.left, node.right)) \
            and not all(isinstance(side, ast.Constant) for side in (node.left, node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
    return False


def test_no_sql_is_assembled_from_values_in_product_code() -> None:
    """Every statement the product runs is a constant or a ``psycopg2.sql`` composition with
    ``Identifier``/``Literal``; one f-string statement anywhere fails this test."""
    offenders: list[str] = []
    for package in _PRODUCT:
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name not in _SQL_CALLS:
                    continue
                statement = node.args[1] if name == "execute_values" and len(node.args) > 1 else node.args[0]
                if _builds_text(statement):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
