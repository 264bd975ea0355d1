"""Bad pages through the scrape path: truncated HTML, cards missing fields, broken JSON-LD,
JobPostings with wrong types. Good rows land, a card with an id but no title is quarantined at
the upsert (never stored as a raw row), and the counts add up. Plus a property test: the raw
upsert takes any values without raising and its counts always add up."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobinsight.db.raw_upsert import TEXT_COLUMNS, upsert_raw_jobs
from jobinsight.flows.scrape import scrape_flow
from jobinsight.options import PipelineOptions
from jobinsight.scrape.sources.demo import generate_jobs, render_listing
from jobinsight.scrape.sources.demo_board import StaticSite
from tests.reliability.conftest import sql_rows

ID_ONLY_CARD = '<div class="job-item-search-result" data-job-id="777001"></div>'
NO_FIELDS_CARD = '<div class="job-item-search-result"><div class="body"></div></div>'


def _listing_with_bad_cards(jobs: list, base: str) -> str:
    page = render_listing(jobs, base, 1, 3)
    marker = '<div class="job-list-search-result">'
    return page.replace(marker, marker + ID_ONLY_CARD + NO_FIELDS_CARD, 1)


def _truncated_listing(jobs: list, base: str) -> str:
    """A page cut off mid-transfer just after the last card's opening tag: earlier cards are whole."""
    page = render_listing(jobs, base, 2, 3)
    return page[: page.index(">", page.index(f'data-job-id="{jobs[-1].job_id}"')) + 1]


@pytest.mark.usefixtures("prefect_harness")
def test_truncated_and_fieldless_listing_pages(flow_db: str) -> None:
    jobs = generate_jobs(10, seed=11)
    base = "https://www.topcv.vn"
    routes = {
        "/viec-lam?page=1": _listing_with_bad_cards(jobs[:5], base),
        "/viec-lam?page=2": _truncated_listing(jobs[5:], base),
        "/viec-lam?page=3": render_listing([], base, 3, 3),
    }
    with StaticSite(routes) as site:
        result = scrape_flow(PipelineOptions(pipeline_mode="scrapeOnly", source="topcv", delay_seconds=0,
                                             base_url=site.url("/viec-lam"), max_pages=3))
    assert result.success, result.message
    extra = result.stats.extra
    whole = {j.job_id for j in jobs[:9]}  # 5 whole cards on page 1, 4 before the cut on page 2
    cut_short = jobs[9].job_id
    raw = dict(sql_rows(flow_db, "SELECT job_id, title FROM public.raw_jobs"))
    assert set(raw) == whole and all(raw.values())  # no raw row without a title
    quarantined = sql_rows(flow_db, "SELECT job_id, reason FROM jobinsight_monitoring.quarantine WHERE stage = 'scrape'")
    assert sorted(quarantined) == sorted([("777001", "missing title"), (cut_short, "missing title")])
    # the card with no id at all cannot be keyed: it is skipped by the parser (and logged)
    assert extra["jobs_found"] == len(whole) + 2
    assert extra["jobs_found"] == extra["inserted"] + extra["updated"] + extra["unchanged"] + result.stats.quarantined


BROKEN_JSONLD = """<!DOCTYPE html><html><head>
<script type="application/ld+json">{"@type": "JobPosting", "title": "cut off", </script>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "JobPosting", "title": "Kế toán",
 "identifier": {"value": "WT-1"}, "baseSalary": "15 triệu", "jobLocation": ["Hà Nội", {"address": "TP.HCM"}],
 "hiringOrganization": ["Công ty A"], "datePosted": "31/02/2026", "validThrough": 12, "skills": {"a": 1},
 "employmentType": 7}</script>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "JobPosting", "title": null,
 "identifier": "NT-1", "baseSalary": {"value": "abc"}, "jobLocation": 42}</script>
<script type="application/ld+json">[1, "two", null, {"@type": ["Thing", 5]}]</script>
</head><body><h1>Kế toán</h1></body></html>"""


@pytest.mark.usefixtures("prefect_harness")
def test_broken_json_ld_and_wrong_types(flow_db: str) -> None:
    with StaticSite({"/job/1": BROKEN_JSONLD}) as site:
        result = scrape_flow(PipelineOptions(pipeline_mode="scrapeOnly", source="jsonld", delay_seconds=0,
                                             urls=[site.url("/job/1")]))
    assert result.success, result.message
    rows = sql_rows(flow_db, "SELECT job_id, title, salary, location, company_name, payload FROM public.raw_jobs")
    assert len(rows) == 1
    job_id, title, salary, location, company, payload = rows[0]
    assert (job_id, title, salary, company) == ("WT-1", "Kế toán", "15 triệu", "Công ty A")
    assert location == "Hà Nội, TP.HCM"  # a list of places is read, not stringified
    assert payload["jsonld_errors"], "the unreadable block is recorded with the row"
    reasons = sql_rows(flow_db, "SELECT reason FROM jobinsight_monitoring.quarantine WHERE stage = 'scrape'")
    assert reasons == [("missing title",)]
    assert result.stats.extra["jobs_found"] == 2 and result.stats.extra["inserted"] == 1
    assert result.stats.quarantined == 1


# --- property: the raw upsert never raises, and its counts add up --------------------------------

_ANY_CHAR = st.characters(codec=None, categories=None)  # includes NUL, surrogates, RTL marks, emoji
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=_ANY_CHAR, max_size=30), st.binary(max_size=10),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=7))])),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(st.one_of(st.text(alphabet=_ANY_CHAR, max_size=8), st.integers()), inner, max_size=4),
), max_leaves=12)
KEYS = st.one_of(st.sampled_from(["1", "2", "3", "a'b", " ", ""]), st.text(alphabet=_ANY_CHAR, max_size=6), VALUES)
COLUMNS = ("source", "job_id", *TEXT_COLUMNS, "skills", "verified_employer", "posted_time", "payload")
RECORDS = st.lists(
    st.fixed_dictionaries(
        {"source": st.one_of(st.just("prop"), KEYS), "job_id": KEYS, "title": st.one_of(st.just("Dev"), VALUES)},
        optional={name: VALUES for name in COLUMNS if name not in ("source", "job_id", "title")}
        | {"unknown_extra": VALUES},
    ),
    max_size=8,
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(records=RECORDS)
def test_upsert_never_raises_and_counts_add_up(database_url: str, records: list[dict]) -> None:
    """Any mix of values: every record is inserted, updated, unchanged, collapsed or quarantined,
    and the database agrees with the counts (rows added = inserted, entries added = quarantined)."""
    before_raw, before_q = sql_rows(database_url, "SELECT (SELECT count(*) FROM public.raw_jobs), "
                                                  "(SELECT count(*) FROM jobinsight_monitoring.quarantine)")[0]
    result = upsert_raw_jobs(database_url, records, run_id="property")
    assert result.received == len(records)
    assert (result.inserted + result.updated + result.unchanged + result.duplicates_collapsed
            + result.quarantined) == len(records)
    after_raw, after_q = sql_rows(database_url, "SELECT (SELECT count(*) FROM public.raw_jobs), "
                                                "(SELECT count(*) FROM jobinsight_monitoring.quarantine)")[0]
    assert after_raw - before_raw == result.inserted
    assert after_q - before_q == result.quarantined
    # a stored row always has a key and a title: the process flow can always account for it
    assert sql_rows(database_url, "SELECT count(*) FROM public.raw_jobs WHERE job_id = '' OR title IS NULL "
                                  "OR btrim(title) = ''") == [(0,)]


def test_upsert_stores_json_any_value_can_become(database_url: str) -> None:
    """The record kept in quarantine is readable JSON even for values JSON has no words for."""
    odd = {"source": "topcv", "job_id": "j", "title": None, "n": float("nan"), "b": b"\x00\xff",
           "when": datetime(2026, 1, 1), "set": {1}, 3: "int key", "nul\x00key": "\ud800"}
    result = upsert_raw_jobs(database_url, [odd], run_id="odd")
    assert result.quarantined == 1
    record = sql_rows(database_url, "SELECT record FROM jobinsight_monitoring.quarantine WHERE run_id = 'odd'")[0][0]
    assert record["n"] == "nan" and record["set"] == [1] and record["3"] == "int key" and "nulkey" in record
    assert record["when"] == "2026-01-01 00:00:00" and record["b"] == str(b"\x00\xff")
    assert json.loads(json.dumps(record)) == record  # plain JSON all the way down


class _Unprintable:
    """A value from a buggy parser: even ``str()`` of it fails."""

    def __str__(self) -> str:
        raise RuntimeError("no text for this value")

    __repr__ = __str__


def test_values_that_cannot_even_be_printed_are_quarantined_not_raised(database_url: str) -> None:
    records = [
        {"source": "topcv", "job_id": "ok", "title": "Dev"},
        {"source": "topcv", "job_id": "huge-int", "title": "Dev", "salary": 10 ** 5000},  # str() refuses
        {"source": "topcv", "job_id": "unprintable", "title": "Dev", "company_name": _Unprintable()},
        {"source": "topcv", "job_id": "unprintable-payload", "title": "Dev", "payload": {"x": _Unprintable()}},
    ]
    result = upsert_raw_jobs(database_url, records, run_id="unprintable")
    assert (result.inserted, result.quarantined) == (1, 3)
    reasons = sql_rows(database_url, "SELECT job_id, reason FROM jobinsight_monitoring.quarantine ORDER BY job_id")
    assert [job_id for job_id, _ in reasons] == ["huge-int", "unprintable", "unprintable-payload"]
    assert all(reason.startswith("unreadable record") for _, reason in reasons)
