"""The source registry: every job board the scrape flow can crawl, one entry each.

Why: adding a board used to take about six edits (the parser table, the options' allowed
values, the runner's special cases, the CLI's help), and the crawler assumed TopCV's
``?page=N``. Now a board is one module (its parser) plus one :class:`Source` entry here: its
name, parser, where its listing starts, how its pages are numbered or linked, and how politely
to fetch it. The CLI's ``--source`` help, ``PipelineOptions.source`` validation, the runner and
the archive's parser lookup all read this registry. The README's "Adding a source" walks
through it with the demo source.

Kept light on purpose: ``jobinsight --help`` imports it, so the parsers' modules are imported
but the fetcher, the archive and the demo server are only imported when a crawl runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jobinsight.scrape.records import RawJob
from jobinsight.scrape.sources import jsonld, topcv, topcv_detail
from jobinsight.scrape.sources.demo import CANONICAL_BASE as DEMO_BASE
from jobinsight.scrape.urls import with_query

if TYPE_CHECKING:
    from jobinsight.options import PipelineOptions
    from jobinsight.scrape.outcome import CrawlOutcome

#: A page parser: ``(html, page_url, *, fetched_at=None, source=...) -> list[RawJob]``.
ParserFn = Callable[..., list[RawJob]]


# -- pagination ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageNumbers:
    """Listing pages addressed by number: ``page_url(base_url, n)`` for n = 1, 2, …

    The crawler knows every URL ahead, so it keeps several pages in flight.
    """

    page_url: Callable[[str, int], str]

    def plan(self, base_url: str, max_pages: int, start_page: int = 1) -> list[str]:
        """The URLs of pages ``start_page .. start_page + max_pages - 1``."""
        if max_pages < 0:
            raise ValueError(f"max_pages must be >= 0, got {max_pages}")
        return [self.page_url(base_url, n) for n in range(start_page, start_page + max_pages)]


@dataclass(frozen=True)
class NextLink:
    """Each listing page links to the next: ``find_next(html, page_url)`` gives its URL or None.

    The crawler learns a URL only from the page before it, so pages are fetched one at a time;
    a link back to a page already seen ends the crawl.
    """

    find_next: Callable[[bytes | str, str], str | None]


Pagination = PageNumbers | NextLink


def query_page(param: str = "page") -> PageNumbers:
    """Pages numbered by a query parameter (``?page=N``), the base URL's other parameters kept."""

    def page_url(base_url: str, n: int) -> str:
        if n < 1:
            raise ValueError(f"page must be >= 1, got {n}")
        return with_query(base_url, **{param: n})

    return PageNumbers(page_url)


#: What a crawl with a parser but no registered source uses (the convention most boards follow).
DEFAULT_PAGINATION: Pagination = query_page("page")


# -- the entry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Politeness:
    """The board's own fetch defaults; None leaves the environment's (``JOBINSIGHT_SCRAPE_*``).

    A run's ``--delay`` / ``concurrency`` option wins over these, these over the environment.
    """

    delay_seconds: float | None = None
    concurrency: int | None = None


@dataclass(frozen=True)
class Source:
    """One job board (or page source) the scrape flow can crawl.

    ``pagination`` decides the crawl: :class:`PageNumbers` / :class:`NextLink` crawl a listing
    from ``start_url`` (``--base-url`` overrides it); ``None`` fetches the URLs given in
    ``--urls`` one page each, expanding sitemaps. ``serve`` (the demo) starts a local board for
    the run and yields the origin serving it (``http://127.0.0.1:<port>``): the crawl still
    uses ``start_url``'s public name for every URL it records, and only the fetcher sends that
    origin's requests to the serving one (``FetchSettings.routes``), so job URLs are the same
    on every run and detail pages are followed on the listing's own (public) host.
    ``crawl`` replaces fetching altogether (the archive replays saved pages).
    ``detail_parser`` reads a job's own page where a board has one.
    """

    name: str
    parser: ParserFn | None
    description: str
    start_url: str | None = None
    pagination: Pagination | None = DEFAULT_PAGINATION
    politeness: Politeness = field(default_factory=Politeness)
    detail_parser: ParserFn | None = None
    serve: Callable[[PipelineOptions], AbstractContextManager[str]] | None = None
    crawl: Callable[[PipelineOptions], CrawlOutcome] | None = None

    @property
    def fetches_pages(self) -> bool:
        """False for a source that reads pages already saved (nothing new to archive)."""
        return self.crawl is None


_SOURCES: dict[str, Source] = {}
_PARSERS: dict[str, ParserFn] = {}


def register(source: Source, *, replace: bool = False) -> Source:
    """Add ``source`` (``replace=True`` to overwrite an entry of the same name); returns it.

    Its parser is recorded by name for the archive (a page is re-parsed by the parser that
    read it): under the source's name, unless the same function is already known under another
    name (the demo board reuses ``topcv``'s parser, and its archived pages say ``topcv``).
    """
    if not source.name or not source.name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"source name {source.name!r}: use letters, digits, '-' and '_'")
    if source.name in _SOURCES and not replace:
        raise ValueError(f"source {source.name!r} is already registered")
    for suffix, parser in (("", source.parser), ("-detail", source.detail_parser)):
        if parser is not None and _name_of(parser) is None:
            _PARSERS[f"{source.name}{suffix}"] = parser
    _SOURCES[source.name] = source
    return source


def unregister(name: str) -> None:
    """Remove a source (and the parsers registered under its name)."""
    _SOURCES.pop(name, None)
    for key in (name, f"{name}-detail"):
        _PARSERS.pop(key, None)


@contextmanager
def registered(source: Source) -> Iterator[Source]:
    """``source`` registered for the block only (tests, notebooks)."""
    register(source)
    try:
        yield source
    finally:
        unregister(source.name)


def source_names() -> list[str]:
    """The registered source names, in registration order."""
    return list(_SOURCES)


def get_source(name: str) -> Source:
    """The entry registered as ``name``; ``KeyError`` lists the known ones."""
    try:
        return _SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(_SOURCES)}") from None


def get_parser(name: str) -> ParserFn:
    """The parser recorded as ``name`` (archive sidecars name it); ``KeyError`` lists the known ones."""
    try:
        return _PARSERS[name]
    except KeyError:
        raise KeyError(f"unknown parser {name!r}; known: {sorted(_PARSERS)}") from None


def find_parser(name: str) -> ParserFn | None:
    """The parser recorded as ``name``, or None."""
    return _PARSERS.get(name)


def _name_of(parser: ParserFn) -> str | None:
    return next((name for name, fn in _PARSERS.items() if fn is parser), None)


def parser_name(parser: str | ParserFn) -> str:
    """The recorded name of ``parser`` (a name or a function); ``custom:<module>.<name>`` for others."""
    if isinstance(parser, str):
        get_parser(parser)
        return parser
    return _name_of(parser) or (
        f"custom:{getattr(parser, '__module__', '?')}.{getattr(parser, '__qualname__', repr(parser))}"
    )


# -- the built-in sources ------------------------------------------------------------------------


def _serve_demo(options: PipelineOptions) -> AbstractContextManager[str]:
    """A local TopCV-like board on 127.0.0.1 for the run; yields the origin serving it.

    The board names itself demo.jobinsight.invalid on every page (cards, detail pages), not
    this run's loopback port, so demo jobs keep their URLs and a second run finds them unchanged.
    """
    from jobinsight.scrape.sources.demo import CANONICAL_BASE
    from jobinsight.scrape.sources.demo_board import DemoBoard

    @contextmanager
    def serving() -> Iterator[str]:
        with DemoBoard(pages=options.demo_pages, per_page=options.demo_per_page,
                       canonical_base=CANONICAL_BASE, challenge=options.demo_challenge) as board:
            yield board.base_url

    return serving()


def _replay_archive(options: PipelineOptions) -> CrawlOutcome:
    """Re-parse the saved pages (``archive_root``, optionally one ``archive_date``)."""
    from jobinsight.config import archive_root
    from jobinsight.scrape.sources.archive import replay_archive

    return replay_archive(options.archive_root or archive_root(), date=options.archive_date)


register(Source(
    name="topcv",
    parser=topcv.parse_listing,
    description="TopCV search-result pages (both markups)",
    start_url=topcv.DEFAULT_BASE_URL,
    pagination=PageNumbers(topcv.listing_url),
    politeness=Politeness(),  # the environment's defaults (1 s apart, 2 in flight) suit TopCV
    detail_parser=topcv_detail.parse_detail,
))
register(Source(
    name="jsonld",
    parser=jsonld.parse_jobposting_page,
    description="any site's schema.org JobPosting pages, from --urls (job pages or sitemaps)",
    pagination=None,
))
register(Source(
    name="archive",
    parser=None,
    description="re-parse pages saved by earlier crawls, with the parser each one was read by",
    pagination=None,
    crawl=_replay_archive,
))
register(Source(
    name="demo",
    parser=topcv.parse_listing,
    description="a local TopCV-like demo board on 127.0.0.1 (offline)",
    start_url=f"{DEMO_BASE}/viec-lam-it",  # its public name; served on loopback (``_serve_demo``)
    pagination=PageNumbers(topcv.listing_url),
    politeness=Politeness(delay_seconds=0.0),  # our own loopback server: no need to wait
    detail_parser=topcv_detail.parse_detail,
    serve=_serve_demo,
))

__all__ = [
    "DEFAULT_PAGINATION", "NextLink", "PageNumbers", "Pagination", "ParserFn", "Politeness", "Source",
    "find_parser", "get_parser", "get_source", "parser_name", "query_page", "register", "registered",
    "source_names", "unregister",
]
