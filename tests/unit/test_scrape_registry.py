"""The source registry: a new board is one parser plus one entry, crawled with no other edit.

The toy board here paginates with "next" links (no ``?page=N``) and serves its own markup on
a loopback server; registering it makes it a valid ``PipelineOptions.source`` and lets the
runner (what the scrape flow calls) crawl it.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from pydantic import ValidationError

from jobinsight.options import PipelineOptions
from jobinsight.scrape.records import RawJob
from jobinsight.scrape.registry import (
    NextLink,
    PageNumbers,
    Politeness,
    Source,
    get_parser,
    get_source,
    parser_name,
    query_page,
    register,
    registered,
    source_names,
)
from jobinsight.scrape.runner import crawl, fetch_settings_for, open_source
from jobinsight.scrape.sources import topcv
from jobinsight.scrape.sources.demo_board import StaticSite

_JOB = re.compile(r'<li class="job" data-id="([^"]+)">([^<]+)</li>')
_NEXT = re.compile(r'<a rel="next" href="([^"]+)"')


def parse_toy(html: str | bytes, page_url: str, *, fetched_at: datetime | None = None,
              source: str = "toy") -> list[RawJob]:
    text = html.decode("utf-8") if isinstance(html, bytes) else html
    return [RawJob(source=source, job_id=job_id, title=title, job_url=f"{page_url}#{job_id}")
            for job_id, title in _JOB.findall(text)]


def next_toy_page(html: str | bytes, page_url: str) -> str | None:
    from urllib.parse import urljoin

    text = html.decode("utf-8") if isinstance(html, bytes) else html
    found = _NEXT.search(text)
    return urljoin(page_url, found.group(1)) if found else None


def _page(jobs: list[tuple[str, str]], next_href: str | None) -> str:
    items = "".join(f'<li class="job" data-id="{i}">{t}</li>' for i, t in jobs)
    link = f'<a rel="next" href="{next_href}">more</a>' if next_href else ""
    return f"<html><body><ul>{items}</ul>{link}</body></html>"


TOY = Source(
    name="toy",
    parser=parse_toy,
    description="a toy board that links each listing page to the next",
    pagination=NextLink(next_toy_page),
    politeness=Politeness(delay_seconds=0.0, concurrency=1),
)


def test_a_registered_toy_source_is_crawled_through_its_next_links() -> None:
    routes = {
        "/jobs": _page([("a1", "Kế toán"), ("a2", "Tester")], "/jobs/older-7f3"),
        "/jobs/older-7f3": _page([("b1", "Backend Developer")], "/jobs/oldest-x"),
        "/jobs/oldest-x": _page([("c1", "Data Engineer"), ("c2", "DevOps")], None),
    }
    with StaticSite(routes) as site, registered(TOY):
        assert "toy" in source_names()
        assert parser_name(parse_toy) == "toy" and get_parser("toy") is parse_toy
        options = PipelineOptions(pipeline_mode="scrapeOnly", source="toy", base_url=site.url("/jobs"), max_pages=10)
        with open_source(options) as target:
            assert target.settings.delay_seconds == 0.0 and target.settings.concurrency == 1
            outcome = crawl(target, options)
        requested = [p.page.url.removeprefix(site.base_url) for p in outcome.pages]
    assert requested == ["/jobs", "/jobs/older-7f3", "/jobs/oldest-x"]  # never a ?page=N
    assert [j.job_id for j in outcome.jobs] == ["a1", "a2", "b1", "c1", "c2"]
    assert {j.source for j in outcome.jobs} == {"toy"}
    assert outcome.stopped_reason == "last_page" and outcome.problems == [] and outcome.ok
    assert "toy" not in source_names()  # unregistered after the block
    with pytest.raises(ValidationError, match="registered sources"):
        PipelineOptions(source="toy")


def test_next_links_stop_at_max_pages_and_at_a_link_back() -> None:
    routes = {"/a": _page([("1", "x")], "/b"), "/b": _page([("2", "y")], "/a")}
    with StaticSite(routes) as site, registered(TOY):
        looped = PipelineOptions(source="toy", base_url=site.url("/a"), max_pages=10)
        with open_source(looped) as target:
            cycle = crawl(target, looped)
        capped = PipelineOptions(source="toy", base_url=site.url("/a"), max_pages=1)
        with open_source(capped) as target:
            one = crawl(target, capped)
    assert [j.job_id for j in cycle.jobs] == ["1", "2"] and cycle.stopped_reason == "last_page"
    assert [j.job_id for j in one.jobs] == ["1"] and one.stopped_reason == "max_pages"


def test_numbered_pages_in_the_path_are_the_sources_own_scheme() -> None:
    """A board numbering pages as /page/N/: the crawler asks exactly for those URLs."""
    routes = {f"/it/page/{n}/": _page([(f"{n}-{k}", f"Job {n}.{k}") for k in range(3)], None) for n in (1, 2)}
    routes["/it/page/3/"] = _page([], None)
    paged = Source(name="toy-paged", parser=parse_toy, description="pages in the path",
                   pagination=PageNumbers(lambda base, n: f"{base.rstrip('/')}/page/{n}/"),
                   politeness=Politeness(delay_seconds=0.0))
    with StaticSite(routes) as site, registered(paged):
        options = PipelineOptions(source="toy-paged", base_url=site.url("/it"), max_pages=5)
        with open_source(options) as target:
            outcome = crawl(target, options)
        requested = [p.page.url.removeprefix(site.base_url) for p in outcome.pages]
    assert requested == ["/it/page/1/", "/it/page/2/", "/it/page/3/"]
    assert len(outcome.jobs) == 6 and outcome.stopped_reason == "empty"


def test_politeness_order_run_option_then_source_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBINSIGHT_SCRAPE_DELAY", "3.5")
    monkeypatch.setenv("JOBINSIGHT_SCRAPE_CONCURRENCY", "5")
    topcv_settings = fetch_settings_for(PipelineOptions(source="topcv"), get_source("topcv"))
    demo_settings = fetch_settings_for(PipelineOptions(source="demo"), get_source("demo"))
    explicit = fetch_settings_for(PipelineOptions(source="demo", delay_seconds=2), get_source("demo"))
    assert (topcv_settings.delay_seconds, topcv_settings.concurrency) == (3.5, 5)
    assert (demo_settings.delay_seconds, demo_settings.concurrency) == (0.0, 5)
    assert explicit.delay_seconds == 2


def test_built_in_sources_and_their_parser_names() -> None:
    assert source_names()[:4] == ["topcv", "jsonld", "archive", "demo"]
    assert parser_name(topcv.parse_listing) == "topcv"  # the demo board's pages are archived as topcv
    assert get_source("demo").parser is topcv.parse_listing
    assert get_source("topcv").pagination.plan("https://x.vn/it?sort=1", 2) == [
        "https://x.vn/it?sort=1&page=1", "https://x.vn/it?sort=1&page=2"]
    assert query_page("p").plan("https://x.vn/it", 1) == ["https://x.vn/it?p=1"]
    with pytest.raises(ValueError, match="already registered"):
        register(Source(name="topcv", parser=parse_toy, description="again"))
    with pytest.raises(KeyError, match="known: topcv, jsonld, archive, demo"):
        get_source("nope")


def test_the_readme_names_every_built_in_source_and_walks_through_adding_one() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "## Adding a source" in readme
    scrape_row = next(line for line in readme.splitlines() if line.startswith("| `jobinsight scrape"))
    assert all(name in scrape_row for name in ("topcv", "jsonld", "archive", "demo"))
