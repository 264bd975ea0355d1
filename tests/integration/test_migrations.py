"""Schema migrations: fresh databases, concurrent start-up, upgrade of the original layout."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import psycopg2
import pytest

from jobinsight.db.migrate import MigrationError, apply_migrations, list_migrations
from tests.sqlutil import sql_rows

LEGACY_DDL = """
CREATE SCHEMA IF NOT EXISTS jobinsight_staging;
CREATE TABLE public.raw_jobs (
    job_id VARCHAR(20) PRIMARY KEY, title VARCHAR(255) NOT NULL, job_url TEXT,
    company_name VARCHAR(200), company_url TEXT, salary VARCHAR(100), skills JSONB,
    location VARCHAR(100), location_detail TEXT, deadline VARCHAR(50), verified_employer BOOLEAN,
    last_update VARCHAR(100), logo_url TEXT, posted_time TIMESTAMPTZ, crawled_at TIMESTAMPTZ DEFAULT now()
);
CREATE TABLE jobinsight_staging.staging_jobs (
    job_id VARCHAR(20) PRIMARY KEY, title VARCHAR(255) NOT NULL, job_url TEXT,
    company_name VARCHAR(200), company_url TEXT, salary VARCHAR(100), skills JSONB,
    location VARCHAR(100), location_detail TEXT, deadline VARCHAR(50), verified_employer BOOLEAN,
    last_update VARCHAR(100), logo_url TEXT, posted_time TIMESTAMPTZ, crawled_at TIMESTAMPTZ DEFAULT now(),
    title_clean VARCHAR(255), company_name_standardized VARCHAR(200), salary_min NUMERIC, salary_max NUMERIC,
    salary_type VARCHAR(20), location_pairs JSONB, due_date TIMESTAMPTZ, time_remaining TEXT
);
"""

RAW_COLUMNS = [
    "job_id", "title", "job_url", "company_name", "company_url", "salary", "skills", "location",
    "location_detail", "deadline", "verified_employer", "last_update", "logo_url", "posted_time", "crawled_at",
]
STAGING_EXTRA = ["title_clean", "company_name_standardized", "salary_min", "salary_max", "salary_type",
                 "location_pairs", "due_date"]


def _fill_legacy(cur: psycopg2.extensions.cursor, n: int = 300) -> None:
    cur.execute(
        """
        INSERT INTO public.raw_jobs (job_id, title, job_url, company_name, company_url, salary, skills,
            location, location_detail, deadline, verified_employer, last_update, logo_url, posted_time, crawled_at)
        SELECT g::text,
               CASE WHEN g %% 7 = 0 THEN repeat('T', 255) ELSE 'Kế toán viên ' || g END,
               'https://www.topcv.vn/viec-lam/x/' || g || '.html',
               CASE WHEN g %% 5 = 0 THEN NULL ELSE 'CÔNG TY TNHH ' || g END,
               NULL,
               CASE g %% 3 WHEN 0 THEN 'Thoả thuận' WHEN 1 THEN '10 - 15 triệu' ELSE NULL END,
               CASE WHEN g %% 4 = 0 THEN NULL ELSE jsonb_build_array('SQL', 'Excel ' || g) END,
               CASE WHEN g %% 2 = 0 THEN 'Hà Nội' ELSE 'Hồ Chí Minh' END,
               '<p>Hà Nội: Cầu Giấy</p>', (g %% 30)::text, g %% 2 = 0, 'Cập nhật 2 giờ trước', NULL,
               timestamptz '2025-10-01 08:00+07' + g * interval '1 minute',
               timestamptz '2025-10-18 09:00+07' + g * interval '1 second'
          FROM generate_series(1, %s) g
        """,
        (n,),
    )
    cur.execute(
        """
        INSERT INTO jobinsight_staging.staging_jobs
        SELECT r.*, initcap(r.title), upper(r.company_name), 10, 15, 'range',
               '[{"city": "Hà Nội", "detail": "Cầu Giấy"}]'::jsonb,
               r.crawled_at + interval '30 days', 'Còn 30 ngày'
          FROM public.raw_jobs r WHERE r.job_id::int % 2 = 0
        """
    )



def test_fresh_database_migrates_once_and_is_idempotent(empty_database_url: str) -> None:
    first = apply_migrations(empty_database_url)
    second = apply_migrations(empty_database_url)
    assert first.applied == [m.version for m in list_migrations()]
    assert second.applied == [] and second.already_applied == first.applied
    columns = {r[0] for r in sql_rows(
        empty_database_url,
        "SELECT column_name FROM information_schema.columns WHERE table_schema='public' AND table_name='raw_jobs'")}
    for needed in ["source", "is_scraped", "scrape_date", "is_processed", "process_date", "content_hash",
                   "first_seen_at", "last_seen_at", "process_attempts", "process_error", "payload"]:
        assert needed in columns
    types = dict(sql_rows(
        empty_database_url,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema='public' AND table_name='raw_jobs'"))
    assert types["title"] == "text" and types["salary"] == "text" and types["payload"] == "jsonb"


def test_concurrent_start_applies_each_migration_once(empty_database_url: str) -> None:
    errors: list[BaseException] = []
    reports = []

    def run() -> None:
        try:
            reports.append(apply_migrations(empty_database_url))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    applied_counts = [len(r.applied) for r in reports]
    assert sorted(applied_counts) == [0, 0, 0, len(list_migrations())]
    rows = sql_rows(empty_database_url, "SELECT version, count(*) FROM jobinsight_monitoring.schema_migrations "
                                         "GROUP BY version HAVING count(*) > 1")
    assert rows == []


def test_upgrade_in_place_keeps_every_row_and_value(empty_database_url: str) -> None:
    conn = psycopg2.connect(empty_database_url)
    with conn, conn.cursor() as cur:
        cur.execute(LEGACY_DDL)
        _fill_legacy(cur)
    conn.close()
    cols = ", ".join(RAW_COLUMNS)
    raw_before = sql_rows(empty_database_url, f"SELECT {cols} FROM public.raw_jobs ORDER BY job_id")
    staging_before = sql_rows(
        empty_database_url,
        f"SELECT {cols}, {', '.join(STAGING_EXTRA)}, time_remaining FROM jobinsight_staging.staging_jobs ORDER BY job_id")

    apply_migrations(empty_database_url)
    apply_migrations(empty_database_url)  # twice: the second is a no-op

    raw_after = sql_rows(empty_database_url, f"SELECT {cols} FROM public.raw_jobs ORDER BY job_id")
    assert raw_after == raw_before
    staging_after = sql_rows(
        empty_database_url,
        f"SELECT {cols}, {', '.join(STAGING_EXTRA)}, time_remaining_snapshot "
        "FROM jobinsight_staging.staging_jobs ORDER BY job_id")
    assert staging_after == staging_before

    flags = sql_rows(
        empty_database_url,
        "SELECT job_id::int % 2 = 0, is_processed, source, content_hash IS NOT NULL, first_seen_at = crawled_at "
        "FROM public.raw_jobs")
    assert len(flags) == 300
    for in_staging, processed, source, has_hash, seen in flags:
        assert processed == in_staging
        assert source == "topcv" and has_hash and seen

    # the upgraded schema takes values the narrow legacy columns rejected
    conn = psycopg2.connect(empty_database_url)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO public.raw_jobs (source, job_id, title, salary) VALUES ('jsonld', %s, %s, %s)",
                    ("x" * 64, "T" * 5000, "S" * 500))
        cur.execute("SELECT time_remaining FROM jobinsight_staging.staging_jobs "
                    "WHERE due_date < now() LIMIT 1")
        assert cur.fetchone()[0] == "Hết hạn"  # computed at read time, not the stale snapshot
    conn.close()


def test_changed_applied_migration_is_refused(empty_database_url: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from jobinsight.db import migrate

    apply_migrations(empty_database_url)
    copy = tmp_path / "sql"
    shutil.copytree(migrate.migrations_dir().parent, copy)
    target = sorted((copy / "migrations").glob("V004__*.sql"))[0]
    target.write_text(target.read_text() + "\n-- edited\n")
    monkeypatch.setenv("JOBINSIGHT_SQL_DIR", str(copy))
    with pytest.raises(MigrationError, match="changed after it was applied"):
        apply_migrations(empty_database_url)
