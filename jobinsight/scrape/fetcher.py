"""A polite async HTTP fetcher: bounded concurrency, per-host pacing, retries, robots.txt.

Why its own module: politeness is what keeps a crawler from being blocked (and what a site
owner judges us by), and it is independent of what is being parsed. Rules, in order:

* ``robots.txt`` is read once per host with Protego (RFC 9309: wildcards, longest match; 4xx ->
  everything allowed, 5xx/unreachable -> nothing allowed) and a disallowed URL is never
  requested; ``Crawl-delay`` raises the per-host delay.
* At most ``concurrency`` requests are in flight, at most ``per_host_concurrency`` to one host,
  and requests to one host start at least ``delay_seconds`` apart (retries, redirects and
  browser fetches included: one ``Fetcher`` serves listing and detail pages alike).
* Redirects are followed by hand, one hop at a time, and every hop passes the same checks as
  the first request: http/https only, no private/link-local targets (see ``addresses``), the
  target host's robots.txt and pacing. Inside the browser every document it is about to load
  (redirect hops, script navigations) passes the same scheme, address and robots.txt checks.
* Limits, each reported on the page (``limit``) and counted in ``FetchStats.limits``: the body
  is streamed and counted *after* decompression (``max_body_bytes``: a 2 MB gzip bomb stops at
  the limit, it is never inflated in memory); each attempt has a total deadline (connect +
  headers + body, ``request_deadline_seconds``) and the fetcher as a whole a run deadline.
* ``fetcher="auto"`` (default): a page that looks like a block or challenge (status 403/429/503
  or a Cloudflare-style marker, see ``block_detect``) is fetched again through a real browser
  (``browser.BrowserSession``), which then serves the rest of that host; ``"browser"`` uses it
  for everything, ``"http"`` never.
* Connect errors, timeouts, 5xx and 429 are retried with exponential backoff plus jitter;
  ``Retry-After`` (seconds or an HTTP date) on 429/503 replaces the backoff, capped by
  ``max_retry_after`` — for pages the browser fetched too.
* Each URL yields a ``FetchedPage`` — failures included, with ``error`` set — so a caller
  never loses track of a page because an exception escaped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import zlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from jobinsight.scrape.addresses import AddressGuard
from jobinsight.scrape.aio import run_sync
from jobinsight.scrape.block_detect import block_kind
from jobinsight.scrape.text import Decoded, decode_html
from jobinsight.scrape.urls import Routes, host_of, is_origin, route_url, unroute_url
from jobinsight.settings import DEFAULT_USER_AGENT, Settings, get_settings

if TYPE_CHECKING:
    from jobinsight.scrape.browser import BrowserSession

logger = logging.getLogger("jobinsight.scrape")

DEFAULT_BROWSER = "/usr/bin/chromium"
FetcherMode = Literal["http", "browser", "auto"]
FETCHER_MODES: tuple[str, ...] = ("http", "browser", "auto")
ALLOWED_SCHEMES = frozenset({"http", "https"})
_RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.ConnectError,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
_MAX_CRAWL_DELAY = 60.0
_CHUNK = 65_536


def _allow_private_default() -> bool:
    return get_settings().allow_private_addresses


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How politely to fetch, and how much to take. Defaults suit a public job board."""

    concurrency: int = 2
    #: Requests in flight to one host (listing, detail, robots and browser fetches together).
    per_host_concurrency: int = 2
    delay_seconds: float = 1.0
    #: Seconds to wait for a TCP/TLS connection.
    connect_timeout_seconds: float = 10.0
    #: Seconds between two bytes (httpx's read timeout; the total is bounded below).
    timeout_seconds: float = 20.0
    #: Total seconds for one attempt: connect + headers + body + redirect hops. A server that
    #: trickles one byte every few seconds never trips the between-bytes timeout; this stops it.
    request_deadline_seconds: float = 60.0
    #: Total seconds for everything this fetcher does; later requests fail with "run deadline".
    run_deadline_seconds: float = 4 * 3600.0
    #: Largest body accepted, counted after decompression while it streams in.
    max_body_bytes: int = 25 * 1024 * 1024
    max_redirects: int = 10
    max_retries: int = 4
    backoff_base: float = 0.5
    max_backoff: float = 30.0
    #: Longest honoured ``Retry-After`` wait; a longer server request is cut to this.
    max_retry_after: float = 120.0
    respect_robots: bool = True
    #: Loopback and RFC 1918 targets are refused unless set (the demo board and tests set it via
    #: ``JOBINSIGHT_ALLOW_PRIVATE_ADDRESSES=1``, the default here). Link-local/metadata: never.
    allow_private_addresses: bool = field(default_factory=_allow_private_default)
    fetcher: str = "auto"
    browser_executable: str = DEFAULT_BROWSER
    #: How long the browser waits for a JavaScript challenge to clear before calling it blocked.
    challenge_wait_seconds: float = 15.0
    user_agent: str = DEFAULT_USER_AGENT
    accept_language: str = "vi-VN,vi;q=0.9,en;q=0.8"
    #: ``((public origin, serving origin), ...)``: requests for a public origin go to the serving
    #: one, pages keep the public URL (see ``urls.route_url``). Set by a source that serves its
    #: own board (the demo); empty for real boards.
    routes: Routes = ()

    def __post_init__(self) -> None:
        for pair in self.routes:
            if len(pair) != 2 or not all(isinstance(o, str) and is_origin(o) for o in pair):
                raise ValueError(f"routes must be (public origin, serving origin) pairs like "
                                 f"('https://board.example', 'http://127.0.0.1:8080'), got {pair!r}")
        for name in ("concurrency", "per_host_concurrency", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("delay_seconds", "backoff_base", "max_backoff", "max_retry_after", "challenge_wait_seconds"):
            value = getattr(self, name)
            if not value >= 0 or value == float("inf"):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        for name in ("timeout_seconds", "connect_timeout_seconds", "request_deadline_seconds",
                     "run_deadline_seconds"):
            value = getattr(self, name)
            if not value > 0 or value == float("inf"):
                raise ValueError(f"{name} must be a finite number > 0, got {value}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.max_redirects < 0:
            raise ValueError(f"max_redirects must be >= 0, got {self.max_redirects}")
        if self.fetcher not in FETCHER_MODES:
            raise ValueError(f"fetcher must be one of {', '.join(FETCHER_MODES)}, got {self.fetcher!r}")
        if not self.user_agent.strip():
            raise ValueError("user_agent must not be empty")

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: object) -> FetchSettings:
        """The validated environment (``jobinsight.settings``: ``JOBINSIGHT_SCRAPE_*``,
        ``JOBINSIGHT_FETCHER``, the limits, ...), then explicit ``overrides`` (e.g. from flow
        options; ``None`` values are ignored)."""
        settings = settings or get_settings()
        values: dict[str, object] = {
            "delay_seconds": settings.scrape_delay, "concurrency": settings.scrape_concurrency,
            "per_host_concurrency": settings.scrape_per_host_concurrency,
            "user_agent": settings.user_agent, "respect_robots": settings.respect_robots,
            "fetcher": settings.fetcher, "browser_executable": settings.browser_executable,
            "max_body_bytes": settings.max_body_bytes, "connect_timeout_seconds": settings.connect_timeout,
            "request_deadline_seconds": settings.request_deadline,
            "run_deadline_seconds": settings.scrape_run_deadline,
            "allow_private_addresses": settings.allow_private_addresses,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> FetchSettings:
        """A copy with some settings changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(slots=True)
class FetchedPage:
    """The outcome of fetching one URL — success or failure, never an exception.

    ``text`` is decoded from ``body`` on first use (BOM, header charset, meta tag, detector:
    ``text.decode_html``), because most pages are parsed straight from bytes.
    """

    url: str
    final_url: str
    #: Last HTTP status seen; ``None`` when no response was ever received.
    status: int | None
    body: bytes
    #: Wall time from first attempt to result, waits between retries included.
    elapsed_s: float
    attempts: int
    retries: int
    error: str | None
    fetched_at: datetime
    content_type: str | None = None
    robots_disallowed: bool = False
    #: Bytes received; stays right after ``release_body()``.
    size: int = -1
    #: Which fetcher produced this page: "http" or "browser".
    via: str = "http"
    #: What was tried before, one line each ("http: HTTP 403 Cloudflare ...").
    tried: tuple[str, ...] = ()
    #: The limit this page hit (``max_body_bytes``, ``request_deadline``, ``run_deadline``,
    #: ``address``, ``scheme``, ``redirects``), else ``None``.
    limit: str | None = None
    _decoded: Decoded | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.size < 0:
            self.size = len(self.body)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 400

    @property
    def decoded(self) -> Decoded:
        if self._decoded is None:
            self._decoded = decode_html(self.body, self.content_type)
        return self._decoded

    @property
    def text(self) -> str:
        return self.decoded.text if self.body else ""

    def release_body(self) -> None:
        """Drop body and decoded text (kept in the archive) so long crawls hold only metadata."""
        self.body = b""
        self._decoded = None


@dataclass(slots=True)
class FetchStats:
    """Counters over a fetcher's life (robots.txt requests included)."""

    requests: int = 0
    retries: int = 0
    bytes: int = 0
    pages_ok: int = 0
    pages_failed: int = 0
    robots_disallowed: int = 0
    wait_s: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    #: Pages that hit each limit (``max_body_bytes``, ``request_deadline``, ...).
    limits: dict[str, int] = field(default_factory=dict)
    #: Pages fetched through the browser, and hosts it took over in ``auto`` mode.
    browser_pages: int = 0
    browser_hosts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def snapshot(self) -> FetchStats:
        """A copy of the counters now; with ``since`` a crawl sharing the run's fetcher reports
        only what it did itself (listing and detail crawls each count their own retries, bytes)."""
        return replace(self, statuses=dict(self.statuses), limits=dict(self.limits),
                       browser_hosts=list(self.browser_hosts))

    def since(self, earlier: FetchStats) -> FetchStats:
        """What was counted after ``earlier`` (a ``snapshot()`` of these same counters)."""
        def minus(now: dict[str, int], then: dict[str, int]) -> dict[str, int]:
            return {key: value - then.get(key, 0) for key, value in now.items() if value != then.get(key, 0)}

        return FetchStats(
            requests=self.requests - earlier.requests, retries=self.retries - earlier.retries,
            bytes=self.bytes - earlier.bytes, pages_ok=self.pages_ok - earlier.pages_ok,
            pages_failed=self.pages_failed - earlier.pages_failed,
            robots_disallowed=self.robots_disallowed - earlier.robots_disallowed,
            wait_s=self.wait_s - earlier.wait_s, statuses=minus(self.statuses, earlier.statuses),
            limits=minus(self.limits, earlier.limits), browser_pages=self.browser_pages - earlier.browser_pages,
            browser_hosts=self.browser_hosts[len(earlier.browser_hosts):],
        )


class _LimitHit(Exception):
    """An attempt stopped by one of our limits (not retried)."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(slots=True)
class _Response:
    status: int
    final_url: str
    body: bytes
    content_type: str | None
    headers: httpx.Headers


class Fetcher:
    """Async fetcher; use as ``async with Fetcher(settings) as f: await f.fetch_many(urls)``."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self.stats = FetchStats()
        self._transport = transport
        self._rng = rng or random.Random()
        self._client: httpx.AsyncClient | None = None
        self._sem: asyncio.Semaphore | None = None
        self._host_sems: dict[str, asyncio.Semaphore] = {}
        self._host_next: dict[str, float] = {}
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._crawl_delay: dict[str, float] = {}
        self._robots: dict[str, Protego | bool] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._guard = AddressGuard(allow_private=self.settings.allow_private_addresses)
        self._browser: BrowserSession | None = None
        self._browser_lock: asyncio.Lock | None = None
        self._browser_hosts: set[str] = set()
        self._deadline = float("inf")
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self._client = httpx.AsyncClient(
            headers={
                "User-Agent": s.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": s.accept_language,
                # Only what ``_read_body`` inflates itself, under the body limit.
                "Accept-Encoding": "gzip, deflate",
            },
            timeout=httpx.Timeout(s.timeout_seconds, connect=s.connect_timeout_seconds),
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=s.concurrency + 1, max_keepalive_connections=s.concurrency + 1
            ),
            transport=self._transport,
        )
        self._sem = asyncio.Semaphore(s.concurrency)
        self._browser_lock = asyncio.Lock()
        self._loop = asyncio.get_running_loop()
        self._deadline = self._loop.time() + s.run_deadline_seconds
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._browser is not None:
            await self._browser.close()
            self._browser = None

    # -- public -------------------------------------------------------------------------------

    async def fetch(self, url: str) -> FetchedPage:
        """Fetch one URL, honouring robots.txt, pacing, limits and retries; in ``auto`` mode a
        page that looks blocked is fetched again through the browser."""
        if self._client is None:
            raise RuntimeError("Fetcher must be used as 'async with Fetcher(...) as f'")
        if asyncio.get_running_loop() is not self._loop:
            raise RuntimeError(
                "this Fetcher was opened on another event loop (its connections, locks and browser "
                "belong to that loop); share one across synchronous steps with "
                "jobinsight.scrape.fetch_session.FetchSession.run, which runs every crawl on the fetcher's loop"
            )
        started = time.perf_counter()
        refused = await self._precheck(url, started)
        if refused is not None:
            return self._count(refused)
        mode = self.settings.fetcher
        host = host_of(url)
        if mode == "browser" or (mode == "auto" and host in self._browser_hosts):
            return self._count(await self._browser_fetch(url, started))
        page = await self._get_with_retries(url, started)
        if mode == "auto" and page.limit is None:
            kind = block_kind(page.status, page.text if page.body else "")
            if kind is not None:
                logger.info("%s looks blocked (%s): fetching it again through the browser", url, kind)
                if host not in self._browser_hosts:
                    self._browser_hosts.add(host)
                    self.stats.browser_hosts.append(host)
                tried = (*page.tried, f"http: {kind}")
                page = await self._browser_fetch(url, started)
                page.tried = (*tried, *page.tried)
        return self._count(page)

    async def fetch_many(self, urls: Iterable[str]) -> list[FetchedPage]:
        """Fetch all ``urls`` (concurrency-bounded); results in input order."""
        return list(await asyncio.gather(*(self.fetch(u) for u in urls)))

    # -- checks -------------------------------------------------------------------------------

    def _count(self, page: FetchedPage) -> FetchedPage:
        if page.ok:
            self.stats.pages_ok += 1
        else:
            self.stats.pages_failed += 1
        if page.limit is not None:
            self.stats.limits[page.limit] = self.stats.limits.get(page.limit, 0) + 1
        return page

    def _failed(self, url: str, started: float, error: str, *, limit: str | None = None,
                robots: bool = False, attempts: int = 0) -> FetchedPage:
        return FetchedPage(
            url=url, final_url=url, status=None, body=b"", elapsed_s=time.perf_counter() - started,
            attempts=attempts, retries=max(0, attempts - 1), error=error, fetched_at=datetime.now(UTC),
            robots_disallowed=robots, limit=limit,
        )

    async def _precheck(self, url: str, started: float) -> FetchedPage | None:
        """Scheme, address, run deadline and robots.txt checks before the first byte is sent."""
        problem = await self._target_problem(url)
        if problem is not None:
            limit, message = problem
            logger.warning("not fetching %s: %s", url, message)
            return self._failed(url, started, message, limit=limit)
        if self._remaining() <= 0:
            return self._failed(url, started, self._run_deadline_message(), limit="run_deadline")
        if self.settings.respect_robots:
            allowed, why = await self._robots_allows(url)
            if not allowed:
                self.stats.robots_disallowed += 1
                logger.info("robots.txt disallows %s (%s)", url, why)
                return self._failed(url, started, f"disallowed by robots.txt ({why})", robots=True)
        return None

    async def _target_problem(self, url: str) -> tuple[str, str] | None:
        """``(limit, message)`` when ``url`` may not be requested at all: a scheme other than
        http/https, or an address the guard refuses (private, loopback, link-local, metadata)."""
        url = route_url(url, self.settings.routes)  # a routed public name: check where it really goes
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            return "scheme", f"invalid URL: {exc}"
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            return "scheme", f"scheme {parts.scheme or '(none)'!r} is not allowed (only http and https)"
        why = await self._guard.refusal(url)
        if why is not None:
            return "address", why
        return None

    def _remaining(self) -> float:
        return self._deadline - asyncio.get_running_loop().time()

    def _run_deadline_message(self) -> str:
        return (f"run deadline of {self.settings.run_deadline_seconds:g}s reached "
                "(JOBINSIGHT_SCRAPE_RUN_DEADLINE); not fetched")

    # -- HTTP ---------------------------------------------------------------------------------

    async def _get_with_retries(self, url: str, started: float, *, robots_hops: bool = True) -> FetchedPage:
        """GET with retries. ``robots_hops=False`` is the robots.txt fetch: its redirects are not
        robots-checked, and it takes no global permit, because it is often made on behalf of a
        request that holds one (a redirect, in the HTTP client or the browser, to a host not seen
        yet): with ``concurrency=1`` waiting for a second permit there never ended. It still
        takes the host's own permit and pacing."""
        assert self._client is not None and self._sem is not None
        s = self.settings
        attempts = 0
        status: int | None = None
        body = b""
        final_url = url
        content_type: str | None = None
        error: str | None = None
        limit: str | None = None
        fetched_at = datetime.now(UTC)
        while True:
            attempts += 1
            wait: float | None = None
            remaining = self._remaining()
            if remaining <= 0:
                status, body, error, limit = None, b"", self._run_deadline_message(), "run_deadline"
                break
            budget = min(s.request_deadline_seconds, remaining)
            async with self._sem if robots_hops else contextlib.nullcontext():
                try:
                    async with asyncio.timeout(budget):
                        response = await self._follow(url, check_robots=robots_hops)
                except _LimitHit as exc:
                    status, body, error, limit = None, b"", str(exc), exc.limit
                except TimeoutError:
                    status, body = None, b""
                    if budget < s.request_deadline_seconds:
                        error, limit = self._run_deadline_message(), "run_deadline"
                    else:
                        error = (f"request deadline of {s.request_deadline_seconds:g}s exceeded "
                                 "(connect + headers + body; JOBINSIGHT_REQUEST_DEADLINE)")
                        limit = "request_deadline"
                except _RETRY_EXCEPTIONS as exc:
                    status, body, error = None, b"", f"{type(exc).__name__}: {exc}".rstrip(": ")
                    wait = self.retry_wait(None, None, attempts)
                except Exception as exc:  # invalid URL, unsupported scheme...
                    status, body, error = None, b"", f"{type(exc).__name__}: {exc}".rstrip(": ")
                else:
                    fetched_at = datetime.now(UTC)
                    status = response.status
                    body = response.body
                    final_url = response.final_url
                    content_type = response.content_type
                    error = None if status < 400 else f"HTTP {status}"
                    if status == 429 or status >= 500:
                        wait = self.retry_wait(status, response.headers.get("retry-after"), attempts)
            if limit is not None:
                logger.warning("%s: %s", url, error)
            if wait is None or attempts > s.max_retries:
                break
            self.stats.retries += 1
            self.stats.wait_s += wait
            logger.debug("retrying %s in %.2fs after %s (attempt %d)", url, wait, error, attempts)
            await asyncio.sleep(wait)
        if error is not None and attempts > 1:
            error = f"{error} after {attempts} attempts"
        return FetchedPage(
            url=url,
            final_url=final_url,
            status=status,
            body=body,
            elapsed_s=time.perf_counter() - started,
            attempts=attempts,
            retries=attempts - 1,
            error=error,
            fetched_at=fetched_at,
            content_type=content_type,
            limit=limit,
        )

    async def _follow(self, url: str, *, check_robots: bool) -> _Response:
        """GET ``url``, following redirects one hop at a time, each hop checked like a new URL."""
        assert self._client is not None
        current = url
        for hop in range(self.settings.max_redirects + 1):
            if hop > 0:
                problem = await self._target_problem(current)
                if problem is not None:
                    raise _LimitHit(problem[0], f"redirect to {current} refused: {problem[1]}")
                if check_robots and self.settings.respect_robots:
                    allowed, why = await self._robots_allows(current)
                    if not allowed:
                        raise _LimitHit("robots", f"redirect to {current} disallowed by robots.txt ({why})")
            host = host_of(current)
            async with self._host_sem(host):
                await self._pace(host)
                self.stats.requests += 1
                async with self._client.stream("GET", route_url(current, self.settings.routes)) as response:
                    self._answered(host)
                    status = response.status_code
                    self.stats.statuses[str(status)] = self.stats.statuses.get(str(status), 0) + 1
                    location = response.headers.get("location")
                    if response.is_redirect and location:
                        current = unroute_url(urljoin(current, location.strip()), self.settings.routes)
                        continue
                    body = await self._read_body(response)
                    self.stats.bytes += len(body)
                    return _Response(status, current, body, response.headers.get("content-type"),
                                     response.headers)
        raise _LimitHit("redirects", f"more than {self.settings.max_redirects} redirects from {url}")

    async def _read_body(self, response: httpx.Response) -> bytes:
        """The body, inflated here (gzip/deflate) and counted as it streams, stopped at the limit."""
        limit = self.settings.max_body_bytes
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding in ("", "identity") and declared.isdigit() and int(declared) > limit:
            raise _LimitHit("max_body_bytes", _too_big(limit, f"Content-Length says {int(declared):,} bytes"))
        inflate = _Inflater(encoding)
        chunks: list[bytes] = []
        total = 0
        async for raw in response.aiter_raw(_CHUNK):
            for piece in inflate.feed(raw, limit - total + 1):
                total += len(piece)
                if total > limit:
                    raise _LimitHit("max_body_bytes", _too_big(limit, f"stopped after {total:,} bytes"
                                                               + (f" inflated from {encoding}" if inflate.active else "")))
                chunks.append(piece)
        return b"".join(chunks)

    def _host_sem(self, host: str) -> asyncio.Semaphore:
        sem = self._host_sems.get(host)
        if sem is None:
            sem = self._host_sems[host] = asyncio.Semaphore(self.settings.per_host_concurrency)
        return sem

    def retry_wait(self, status: int | None, retry_after: str | None, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        ``Retry-After`` on 429/503 wins (capped by ``max_retry_after``), else backoff.
        """
        if status in (429, 503):
            seconds = parse_retry_after(retry_after)
            if seconds is not None:
                return min(seconds, self.settings.max_retry_after)
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random."""
        s = self.settings
        ceiling = min(s.max_backoff, s.backoff_base * (2 ** (attempt - 1)))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _answered(self, host: str) -> None:
        """The host answered: its next request waits ``delay`` from now too. The booking in
        ``_pace`` counts from when a request was *sent*; a slow connection can deliver it late,
        so this keeps the gap the server sees between two requests at least the delay."""
        delay = max(self.settings.delay_seconds, self._crawl_delay.get(host, 0.0))
        if delay > 0:
            now = asyncio.get_running_loop().time()
            self._host_next[host] = max(self._host_next.get(host, 0.0), now + delay)

    async def _pace(self, host: str) -> None:
        """Wait until ``host`` may get its next request, then book the slot after it."""
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        loop = asyncio.get_running_loop()
        async with lock:
            # Re-checked after each sleep: the previous request's answer may push the slot back.
            while (wait := self._host_next.get(host, 0.0) - loop.time()) > 0:
                await asyncio.sleep(wait)
            delay = max(self.settings.delay_seconds, self._crawl_delay.get(host, 0.0))
            self._host_next[host] = loop.time() + delay

    # -- browser ------------------------------------------------------------------------------

    async def _browser_fetch(self, url: str, started: float) -> FetchedPage:
        """One page through the shared browser; a 429 or 5xx answer is retried with backoff like the
        HTTP client's, since in ``auto`` mode the browser serves every later page of a host that
        once looked blocked (detail pages included), and a passing rate limit must not lose them."""
        attempt = 1
        while True:
            page, retry_after = await self._browser_attempt(url, started)
            status = page.status
            if (page.limit is not None or status is None or not (status == 429 or status >= 500)
                    or attempt > self.settings.max_retries):
                page.attempts, page.retries = attempt, attempt - 1
                if page.error is not None and attempt > 1:
                    page.error = f"{page.error} after {attempt} attempts"
                return page
            wait = self.retry_wait(status, retry_after, attempt)  # the server's Retry-After, as over HTTP
            self.stats.retries += 1
            self.stats.wait_s += wait
            logger.debug("retrying %s through the browser in %.2fs after HTTP %s", url, wait, status)
            await asyncio.sleep(wait)
            attempt += 1

    async def _browser_attempt(self, url: str, started: float) -> tuple[FetchedPage, str | None]:
        """One attempt through the shared browser, under the same semaphores, pacing and deadlines;
        with the ``Retry-After`` header of the answer, if it had one."""
        from jobinsight.scrape.browser import BrowserError, BrowserSession

        assert self._sem is not None and self._browser_lock is not None
        s = self.settings
        async with self._browser_lock:
            if self._browser is None:
                self._browser = BrowserSession(s, self._target_problem, self._navigation_problem)
        remaining = self._remaining()
        if remaining <= 0:
            page = self._failed(url, started, self._run_deadline_message(), limit="run_deadline")
            page.via = "browser"
            return page, None
        budget = min(s.request_deadline_seconds + s.challenge_wait_seconds, remaining)
        host = host_of(url)
        async with self._sem, self._host_sem(host):
            await self._pace(host)
            self.stats.requests += 1
            self.stats.browser_pages += 1
            try:
                async with asyncio.timeout(budget):
                    result = await self._browser.fetch(route_url(url, s.routes))
                self._answered(host)
            except TimeoutError:
                page = self._failed(url, started, f"browser: deadline of {budget:g}s exceeded",
                                    limit="request_deadline", attempts=1)
                page.via = "browser"
                return page, None
            except BrowserError as exc:
                page = self._failed(url, started, f"browser: {exc}", attempts=1)
                page.via = "browser"
                return page, None
        body = result.html.encode("utf-8")
        status = result.status
        error = None if status is not None and status < 400 else f"HTTP {status} (browser)"
        limit = None
        if result.limit is not None:
            error, limit = result.limit_message, result.limit
        elif len(body) > s.max_body_bytes:
            error, limit, body = _too_big(s.max_body_bytes, f"browser page has {len(body):,} bytes"), \
                "max_body_bytes", b""
        if status is not None:
            self.stats.statuses[str(status)] = self.stats.statuses.get(str(status), 0) + 1
        self.stats.bytes += len(body)
        return FetchedPage(
            url=url, final_url=unroute_url(result.final_url, s.routes), status=status, body=body,
            elapsed_s=time.perf_counter() - started, attempts=1, retries=0, error=error,
            fetched_at=datetime.now(UTC), content_type="text/html; charset=utf-8", via="browser",
            tried=result.notes, limit=limit,
        ), result.retry_after

    async def _navigation_problem(self, url: str) -> tuple[str, str] | None:
        """What :meth:`_follow` checks before each redirect hop, for a document the browser is about
        to load (a redirect hop, a script's navigation): scheme and address, then the target host's
        robots.txt (read first if this host is new)."""
        problem = await self._target_problem(url)
        if problem is not None or not self.settings.respect_robots:
            return problem
        allowed, why = await self._robots_allows(unroute_url(url, self.settings.routes))
        return None if allowed else ("robots", f"disallowed by robots.txt ({why})")

    # -- robots.txt ---------------------------------------------------------------------------

    async def _robots_allows(self, url: str) -> tuple[bool, str]:
        host = host_of(url)
        lock = self._robots_locks.setdefault(host, asyncio.Lock())
        async with lock:
            rules = self._robots.get(host)
            if rules is None:
                rules = await self._load_robots(host)
                self._robots[host] = rules
        if rules is False:
            return False, "robots.txt unreachable or server error: assuming full disallow (RFC 9309)"
        if rules is True:
            return True, "no robots.txt"
        if rules.can_fetch(url, self.settings.user_agent):
            return True, "allowed"
        return False, "Disallow rule matches"

    async def _load_robots(self, host: str) -> Protego | bool:
        """Protego rules; ``True`` (4xx: allow all) or ``False`` (5xx/unreachable: disallow all)."""
        robots_url = f"{host}/robots.txt"
        page = await self._get_with_retries(robots_url, time.perf_counter(), robots_hops=False)
        if page.status is not None and 200 <= page.status < 300:
            text = page.text
            rules = Protego.parse(text)
            delay = crawl_delay(text, self.settings.user_agent)
            if delay:
                self._crawl_delay[host] = min(delay, _MAX_CRAWL_DELAY)
            return rules
        if page.status is not None and 400 <= page.status < 500:
            return True
        logger.warning("robots.txt for %s unavailable (%s): not crawling this host", host, page.error)
        return False


def _too_big(limit: int, detail: str) -> str:
    return (f"body larger than the {limit:,}-byte limit ({detail}; JOBINSIGHT_MAX_BODY_BYTES); "
            "nothing from it is stored")


class _Inflater:
    """Incremental gzip/deflate decoding with a cap on the output of each step.

    ``zlib``'s ``max_length`` keeps a decompression bomb from inflating more than the caller
    can still accept: a 2 MB gzip of zeros never becomes 2 GiB in memory.
    """

    def __init__(self, encoding: str) -> None:
        self.active = encoding in ("gzip", "x-gzip", "deflate")
        self._raw_deflate = False
        self._encoding = encoding
        wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._d = zlib.decompressobj(wbits) if self.active else None
        self._first = True

    def feed(self, data: bytes, max_out: int) -> Iterable[bytes]:
        if self._d is None:
            yield data
            return
        if self._first and self._encoding == "deflate":
            self._first = False
            # Some servers send raw deflate (no zlib header) for "deflate".
            if data and (data[0] & 0x0F) != 8:
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            out = self._d.decompress(data, max(1, max_out))
            yield out
            while self._d.unconsumed_tail:
                out = self._d.decompress(self._d.unconsumed_tail, max(1, max_out))
                if not out:
                    break
                yield out
        except zlib.error as exc:
            raise httpx.DecodingError(f"invalid {self._encoding} body: {exc}") from None


def crawl_delay(robots_txt: str, user_agent: str) -> float | None:
    """``Crawl-delay`` for ``user_agent`` (its own group, else ``*``); fractions allowed.

    ``urllib.robotparser`` only accepts whole seconds, so this small reader does the job.
    """
    token = user_agent.split("/", 1)[0].strip().lower()
    delays: dict[str, float] = {}
    agents: list[str] = []
    in_rules = False
    for raw in robots_txt.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
        else:
            in_rules = True
            if key == "crawl-delay":
                try:
                    seconds = float(value)
                except ValueError:
                    continue
                if seconds >= 0:
                    for agent in agents:
                        delays.setdefault(agent, seconds)
    for agent, seconds in delays.items():
        if agent != "*" and agent and agent in token:
            return seconds
    return delays.get("*")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: ``"120"`` -> 120.0, an HTTP date -> seconds until it (>= 0)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@asynccontextmanager
async def open_fetcher(shared: Fetcher | None, settings: FetchSettings | None = None) -> AsyncIterator[Fetcher]:
    """``shared`` as it is (an open fetcher the caller owns; left open), else a new ``Fetcher(settings)``
    for the block. Why: a crawl takes the run's fetcher when it has one, so listing and detail
    requests share one host's pacing, concurrency, robots.txt and browser."""
    if shared is not None:
        yield shared
        return
    async with Fetcher(settings) as fetcher:
        yield fetcher


async def afetch_all(urls: Iterable[str], settings: FetchSettings | None = None) -> list[FetchedPage]:
    """Fetch ``urls`` with a fresh ``Fetcher``; results in input order."""
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch_many(list(urls))


def fetch_all(urls: Iterable[str], settings: FetchSettings | None = None) -> list[FetchedPage]:
    """Synchronous ``afetch_all``: safe to call from plain code or from inside a running loop."""
    url_list = list(urls)
    return run_sync(lambda: afetch_all(url_list, settings))
