"""Property tests: the parsers never raise and always return well-typed ``RawJob`` lists."""

from __future__ import annotations

import html as html_lib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobinsight.scrape.page_checks import block_marker
from jobinsight.scrape.records import RawJob
from jobinsight.scrape.sources.demo import generate_jobs, render_listing
from jobinsight.scrape.sources.jsonld import parse_jobposting_page, parse_sitemap
from jobinsight.scrape.sources.topcv import parse_listing
from jobinsight.scrape.text import fragment_lines, html_to_text
from jobinsight.scrape.urls import clean_url

REAL_PAGE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "realdata"
    / "topcv_listing_html"
    / ("topcv_search_ke-toan_2025-10-18_page4.html")
)
URL = "https://www.topcv.vn/viec-lam-it?page=1"
FETCHED = datetime(2025, 10, 18, 5, 0, tzinfo=UTC)
#: More examples for a bug hunt: SCRAPE_PROPERTY_EXAMPLES=2000 pytest tests/unit/test_scrape_properties.py
EXAMPLES = int(os.environ.get("SCRAPE_PROPERTY_EXAMPLES", "150"))
PROPS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=1)
def sample_page() -> bytes:
    """The real page when present (else a generated one in the same markup)."""
    if REAL_PAGE.exists():
        return REAL_PAGE.read_bytes()
    return render_listing(generate_jobs(50), "https://www.topcv.vn", 1, 3).encode("utf-8")


@lru_cache(maxsize=1)
def sample_ids() -> frozenset[str]:
    return frozenset(j.job_id for j in parse_listing(sample_page(), URL, fetched_at=FETCHED))


class _Swallowed(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "unreadable" in record.getMessage():
            self.messages.append(f"{record.getMessage()}: {record.exc_info[1] if record.exc_info else ''}")


@contextmanager
def no_swallowed_errors() -> Iterator[None]:
    """The parsers skip a card/posting that raises (and log it); in these tests none may raise."""
    handler = _Swallowed()
    logger = logging.getLogger("jobinsight.scrape")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert handler.messages == []


def assert_well_typed(jobs: object) -> None:
    assert isinstance(jobs, list)
    for job in jobs:
        assert isinstance(job, RawJob)
        assert isinstance(job.source, str) and job.source
        assert isinstance(job.job_id, str) and job.job_id
        for name in (
            "title",
            "job_url",
            "company_name",
            "company_url",
            "salary",
            "location",
            "location_detail",
            "deadline",
            "last_update",
            "logo_url",
        ):
            value = getattr(job, name)
            assert value is None or (isinstance(value, str) and value != ""), (name, value)
        assert job.skills is None or (
            isinstance(job.skills, list) and all(isinstance(s, str) and s for s in job.skills)
        )
        assert job.verified_employer is None or isinstance(job.verified_employer, bool)
        assert job.posted_time is None or (
            isinstance(job.posted_time, datetime) and job.posted_time.tzinfo is not None
        )
        assert isinstance(job.payload, dict)
        json.dumps(job.payload, allow_nan=False)  # must be storable as JSONB (no NaN/Infinity)


# -- TopCV listing -------------------------------------------------------------------------------


@PROPS
@given(st.one_of(st.text(), st.binary()))
def test_parse_listing_never_raises_on_arbitrary_input(data):
    with no_swallowed_errors():
        assert_well_typed(parse_listing(data, URL, fetched_at=FETCHED))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_parse_listing_on_truncated_real_pages(data):
    body = sample_page()
    start = data.draw(st.integers(0, len(body)))
    end = data.draw(st.integers(start, len(body)))
    chunk = body[start:end]
    with no_swallowed_errors():
        jobs = parse_listing(chunk, URL, fetched_at=FETCHED)
    assert_well_typed(jobs)
    assert len(jobs) <= 50
    # a cut page may lose cards (or read an id from a half card's URL) but never invents jobs
    assert {j.job_id for j in jobs} <= sample_ids()


_CARD_PARTS = st.sampled_from(
    [
        '<div class="job-item-search-result" data-job-id="{v}">',
        '<div class="job-item-2">',
        '<h3 class="title"><a href="{v}"><span data-original-title="{v}">{v}</span></a></h3>',
        '<a class="company" href="{v}"><span class="company-name" data-original-title="{v}">{v}</span></a>',
        '<label class="title-salary"><i class="fa"></i>{v}</label>',
        '<label class="address" data-original-title="{v}"><span class="city-text">{v}</span></label>',
        '<label class="address label-update" data-original-title="{v}">{v}</label>',
        '<label class="time">Còn <strong>{v}</strong> ngày</label>',
        '<label class="deadline">{v}</label>',
        '<div class="tag"><a class="item-tag">{v}</a><span class="item-tag">{v}...</span>'
        '<span class="remaining-items" data-original-title="{v}">+{v}</span></div>',
        '<div class="skills"><label class="item">{v}</label><label class="item" data-original-title="{v}">+2</label></div>',
        '<div class="avatar"><a href="{v}"><img data-src="{v}" alt="{v}"></a></div>',
        '<span class="vip-badge">{v}</span><span class="icon-verified-employer {v}"></span>',
        '<div class="box-label-top"><label class="label">{v}</label></div>',
        "</div>",
        "</a></label></span>",
    ]
)
_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "1914785",
            "/viec-lam/x/123.html",
            "javascript:void(0)",
            "http://[::1",
            "Đăng 2 ngày trước",
            "Cập nhật hôm qua",
            "<p>Hà Nội: Cầu Giấy<br/>Đà Nẵng</p>",
            "",
            " ",
            "+3",
            "data:image/png;base64,AA",
        ]
    ),
)


@PROPS
@given(st.lists(st.tuples(_CARD_PARTS, _VALUES), max_size=25))
def test_parse_listing_on_random_card_soup(parts):
    body = "<html><body>" + "".join(p.replace("{v}", html_lib.escape(v)) for p, v in parts) + "</body></html>"
    with no_swallowed_errors():
        assert_well_typed(parse_listing(body, URL, fetched_at=FETCHED))
        assert_well_typed(parse_listing(body, URL, fetched_at=FETCHED, whole_document=True))


# -- JSON-LD -------------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_POSTING_KEYS = [
    "title",
    "name",
    "url",
    "identifier",
    "hiringOrganization",
    "jobLocation",
    "jobLocationType",
    "baseSalary",
    "estimatedSalary",
    "salaryCurrency",
    "datePosted",
    "validThrough",
    "dateModified",
    "description",
    "skills",
    "employmentType",
]


@PROPS
@given(st.one_of(st.text(), st.binary()))
def test_parse_jobposting_page_never_raises_on_arbitrary_input(data):
    with no_swallowed_errors():
        assert_well_typed(parse_jobposting_page(data, "https://x.vn/job"))


@PROPS
@given(
    st.dictionaries(st.sampled_from(_POSTING_KEYS), _JSON, max_size=10),
    st.sampled_from(["JobPosting", ["JobPosting"], "schema:JobPosting"]),
)
def test_parse_jobposting_page_with_wrongly_typed_fields(fields, kind):
    block = json.dumps({"@context": "https://schema.org", "@type": kind, **fields}, allow_nan=True)
    page = f'<html><script type="application/ld+json">{block}</script></html>'
    with no_swallowed_errors():
        jobs = parse_jobposting_page(page, "https://x.vn/job?utm_source=a")
    assert_well_typed(jobs)
    assert len(jobs) == 1


@PROPS
@given(_JSON, st.text(max_size=40))
def test_parse_jobposting_page_with_random_blocks(value, junk):
    page = (
        f'<script type="application/ld+json">{json.dumps(value)}</script>'
        f'<script type="application/ld+json">{junk}</script>'
        '<script type="application/ld+json">{"@type": "JobPosting", "identifier": "keep"}</script>'
    )
    with no_swallowed_errors():
        jobs = parse_jobposting_page(page, "https://x.vn/job")
    assert_well_typed(jobs)
    assert "keep" in {j.job_id for j in jobs}  # a bad neighbour never hides a good block


# -- small helpers -------------------------------------------------------------------------------


@PROPS
@given(st.text())
def test_text_and_url_helpers_never_raise(text):
    assert isinstance(fragment_lines(text), list)
    out = html_to_text(text)
    assert out is None or isinstance(out, str)
    cleaned = clean_url(text, "https://www.topcv.vn/viec-lam-it")
    assert cleaned is None or isinstance(cleaned, str)
    assert block_marker(text) is None or isinstance(block_marker(text), str)
    assert all(isinstance(u, str) for u in parse_sitemap(text))
