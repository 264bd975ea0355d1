"""Bad values in raw_jobs: every row lands correctly or is quarantined with a reason, the rest of
the batch goes through, and rows in = rows staged + rows quarantined (nothing lost, nothing doubled).

Values arrive two ways: through ``upsert_raw_jobs`` (the scrape path, which cleans what
PostgreSQL cannot store) and written into raw_jobs directly (an external crawler, an old
database), where nothing cleaned them before the process flow reads them.
"""

from __future__ import annotations

import json
import random
import string
import unicodedata

import pandas as pd
import psycopg2
import pytest

from jobinsight.db.raw_upsert import MAX_KEY_BYTES, upsert_raw_jobs
from jobinsight.flows.process import process_flow
from jobinsight.options import PipelineOptions
from jobinsight.transform.batch import transform_batch
from tests.reliability.conftest import accounted_for, sql_rows

pytestmark = pytest.mark.usefixtures("prefect_harness")

_RNG = random.Random(8)
#: 10 kB of text that does not compress (a btree entry must fit in ~2.7 kB even after TOAST)
BIG = "".join(_RNG.choice(string.ascii_letters + "ăâđêôơưẠỹ") for _ in range(10_000))
NFC = unicodedata.normalize("NFC", "Thoả thuận")
NFD = unicodedata.normalize("NFD", "Thoả thuận")
RTL = "مطور برمجيات \u202eevil\u202c"
EMOJI = "🚀 Dev 👩\u200d💻 (Hà Nội) 🇻🇳"


def _rec(job_id: str, **values: object) -> dict:
    return {"source": "topcv", "job_id": job_id, "title": "Kế toán", **values}


#: (record, what must happen). Records that must be quarantined at upsert carry their reason.
SCRAPED = [
    (_rec("nul-title", title="Kế\x00 toán", salary="10\x00 - 15 triệu"), "lands"),
    (_rec("nul-only-title", title="\x00\x00"), "missing title"),
    (_rec("big-title", title=BIG, company_name=BIG, location_detail=BIG), "lands"),
    (_rec("big-id-" + BIG), f"job_id longer than {MAX_KEY_BYTES} bytes"),
    (_rec("empty-strings", salary="", location="", deadline="", skills=[]), "lands"),
    (_rec("nulls", salary=None, location=None, deadline=None, skills=None), "lands"),
    (_rec("skills-not-a-list", skills="not json ["), "lands"),
    (_rec("skills-mixed", skills=[1, None, {"a": 1}, ["x"], "Java"]), "lands"),
    (_rec("nfc", salary=NFC), "lands"),
    (_rec("nfd", salary=NFD), "lands"),
    (_rec("dots", salary="1.000.000"), "lands"),
    (_rec("feb-31", deadline="31/02/2026"), "lands"),
    (_rec("emoji", title=EMOJI, company_name="😀 Công ty"), "lands"),
    (_rec("rtl", title=RTL, location="تل أبيب"), "lands"),
    (_rec("surrogate", title="Dev \ud800 x", company_name="\udfff"), "lands"),
    (_rec("payload-nan", payload={"description": "a\x00b", "k\x00": "\ud800", "n": float("nan"),
                                  "i": float("inf"), "t": (1, 2), "s": {3}}), "lands"),
    (_rec("title-nan", title=float("nan")), "missing title"),
    (_rec("salary-inf", salary=float("inf")), "lands"),
]

#: Rows written straight into raw_jobs: (job_id, title, salary, skills jsonb text, payload jsonb text)
DIRECT = [
    ("d-skills-json-string", "Dev", None, '"Java, SQL"', None),
    ("d-skills-json-null", "Dev", None, "null", None),
    ("d-skills-object", "Dev", None, '{"a": 1}', None),
    ("d-skills-mixed", "Dev", None, '[1, null, "Java", {"x": 2}, [3]]', None),
    ("d-payload-array", "Dev", None, None, "[1, 2]"),
    ("d-payload-wrong-types", "Dev", None, None, '{"description": 5, "level": ["a", null], "work_type": {"x": 1}}'),
    ("d-NA", "NA", "N/A", None, None),
    ("d-null-words", "null", "NULL", None, None),
    ("NA", "NaN", "nan", None, None),
    ("d-empty-title", "", None, None, None),
    ("d-blank-title", " \t\n", None, None, None),
    ("d-null-title", None, None, None, None),
    ("d-empty-salary", "Dev", "", "[]", "{}"),
    ("d-nfd-upper", "Dev", unicodedata.normalize("NFD", "THOẢ THUẬN"), None, None),
    ("d-big", BIG, "1.000.000", None, None),
    ("d-csv-hostile", 'Dev",\'\n\r\\N;,"', "10 - 15 triệu", None, None),
    ("", "no job id", None, None, None),
]
DIRECT_QUARANTINED = {"d-empty-title", "d-blank-title", "d-null-title", ""}


def _insert_direct(url: str) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            for job_id, title, salary, skills, payload in DIRECT:
                cur.execute(
                    "INSERT INTO public.raw_jobs (source, job_id, title, salary, skills, payload) "
                    "VALUES ('direct', %s, %s, %s, %s::jsonb, %s::jsonb)",
                    (job_id, title, salary, skills, payload),
                )
    finally:
        conn.close()


def test_bad_values_land_or_are_quarantined_and_nothing_is_lost_or_doubled(flow_db: str) -> None:
    records = [record for record, _ in SCRAPED]
    upsert = upsert_raw_jobs(flow_db, records, run_id="reliability")
    must_quarantine = {r["job_id"]: why for r, why in SCRAPED if why != "lands"}
    # the bad records did not take the batch down: every other record went in
    assert upsert.received == len(SCRAPED)
    assert upsert.inserted == len(SCRAPED) - len(must_quarantine)
    assert upsert.quarantined == len(must_quarantine) and upsert.duplicates_collapsed == 0
    scrape_q = sql_rows(flow_db, "SELECT job_id, reason FROM jobinsight_monitoring.quarantine WHERE stage = 'scrape'")
    assert sorted(reason for _, reason in scrape_q) == sorted(must_quarantine.values())

    stored = {r[0]: r[1:] for r in sql_rows(
        flow_db, "SELECT job_id, title, salary, company_name, payload, skills FROM public.raw_jobs")}
    assert stored["nul-title"][:2] == ("Kế toán", "10 - 15 triệu")  # NUL bytes dropped, text kept
    assert stored["big-title"][0] == BIG  # 10 kB stored whole
    assert stored["emoji"][0] == EMOJI and stored["rtl"][0] == RTL  # stored exactly, not "cleaned"
    assert stored["surrogate"][0] == "Dev ? x"  # a lone surrogate cannot be UTF-8: replaced, row kept
    assert stored["empty-strings"][1] == "" and stored["nulls"][1] is None  # '' stays '', NULL stays NULL
    assert stored["salary-inf"][1] == "inf"
    payload = stored["payload-nan"][3]
    assert payload["description"] == "ab" and payload["n"] == "nan" and payload["i"] == "inf"
    assert payload["t"] == [1, 2] and payload["s"] == [3] and "k" in payload
    assert stored["skills-not-a-list"][4] == ["not json ["]
    assert stored["skills-mixed"][4] == ["1", "Java"]  # nulls and nested values are not skill names

    _insert_direct(flow_db)
    raw_before = sql_rows(flow_db, "SELECT count(*) FROM public.raw_jobs")[0][0]
    result = process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=7))
    assert result.success, result.message

    counts = accounted_for(flow_db)
    assert counts["raw"] == raw_before == result.stats.total_records
    assert counts["raw"] == counts["staged"] + counts["quarantined"]  # nothing lost
    assert counts["waiting"] == 0 and counts["both"] == 0  # nothing left behind, nothing in both places
    assert counts["staging_rows"] == counts["staged"]  # nothing doubled: one staging row per raw row
    assert counts["quarantined"] == counts["open_quarantine"] == result.stats.quarantined == len(DIRECT_QUARANTINED)
    quarantined = dict(sql_rows(flow_db, "SELECT job_id, process_error FROM public.raw_jobs WHERE NOT is_processed"))
    assert set(quarantined) == DIRECT_QUARANTINED
    assert all(reason and "missing or blank" in reason for reason in quarantined.values())

    staged = {r[0]: r[1:] for r in sql_rows(flow_db, """
        SELECT job_id, title, salary, salary_type, salary_min, due_date, skills_normalized
          FROM jobinsight_staging.staging_jobs""")}
    # the same Vietnamese word in NFC and NFD (and upper case) is one salary type
    assert staged["nfc"][2] == staged["nfd"][2] == staged["d-nfd-upper"][2] == "negotiable"
    # "1.000.000" is one million VND (salaries are in millions), not 1.0 or 1000
    assert staged["dots"][2:4] == ("exact", 1) and staged["d-big"][2:4] == ("exact", 1)
    assert staged["feb-31"][4] is None  # an impossible date is "unparsed", not an error
    # words that CSV readers like to turn into NULL are data: "NA" is a title, "N/A" a salary, "NA" a job id
    assert staged["d-NA"][:2] == ("NA", "N/A") and staged["d-null-words"][:2] == ("null", "NULL")
    assert staged["NA"][:2] == ("NaN", "nan")
    assert staged["d-empty-salary"][1] == "" and staged["nulls"][1] is None
    assert staged["d-csv-hostile"][0] == 'Dev",\'\n\r\\N;,"'
    assert staged["emoji"][0] == EMOJI and staged["rtl"][0] == RTL and staged["big-title"][0] == BIG
    # skills as any JSON value: a JSON string is the skills text, null/objects hold no names
    assert {"Java", "SQL"} <= set(staged["d-skills-json-string"][5])
    assert staged["d-skills-json-null"][5] == [] and staged["d-skills-object"][5] == []
    assert "Java" in staged["d-skills-mixed"][5] and not {"1", "None", "null"} & set(staged["d-skills-mixed"][5])

    # a second run finds nothing to do and changes nothing
    again = process_flow(PipelineOptions(pipeline_mode="processOnly", batch_size=7))
    assert again.success and again.stats.total_records == 0
    assert accounted_for(flow_db) == counts


def test_nul_bytes_in_a_batch_quarantine_only_their_rows() -> None:
    """PostgreSQL cannot hold NUL bytes, but a batch from elsewhere (a file, another loader) can;
    the transformation must set such rows aside with a reason rather than fail the batch at COPY."""
    frame = pd.DataFrame({
        "id": [1, 2, 3, 4],
        "source": ["topcv"] * 4,
        "job_id": ["1", "2", "3", "4"],
        "title": ["Kế toán", "Dev\x00", "Tester", "Dev"],
        "salary": ["10 - 15 triệu", None, "Thoả\x00 thuận", None],
        "skills": [None, None, None, json.dumps(["Java"])],
        "payload": [None, None, None, json.dumps({"description": "Mô tả\x00"})],
    })
    outcome = transform_batch(frame)
    assert outcome.staging["job_id"].tolist() == ["1"]
    assert outcome.quarantined["raw_id"].tolist() == [2, 3, 4]
    assert all("NUL byte" in reason for reason in outcome.quarantined["reason"])
    assert len(outcome.staging) + len(outcome.quarantined) == len(frame)
