"""``DemoBoard``: a local job board on 127.0.0.1 (ephemeral port) with fault injection.

Why: the crawler's hard parts — retries, ``Retry-After``, robots.txt, block pages, repeated
pages, slow responses — only show up against a server that misbehaves on purpose. This one
runs in a daemon thread of the test (or demo) process, needs no network, and records every
request with its own monotonic timestamp so tests can check behaviour (e.g. "the retry came
at least Retry-After seconds later") from the server's side.

Routes::

    GET /viec-lam-it?page=N      listing pages 1..pages with per_page cards, then zero cards
    GET /viec-lam/<slug>/<id>.html
                                 detail page in TopCV's detail markup (with its JSON-LD)
    GET /brand/.../<slug>-j<id>.html, /jobs/<id>
                                 JSON-LD-only detail page (a layout the TopCV parser does not know)
    GET /sitemap.xml             sitemap index -> /sitemaps/jobs-<k>.xml (url sets of /jobs/<id>)
    GET /robots.txt              "Disallow: /private/" unless overridden
    GET /private/...             a listing page (only robots.txt keeps crawlers out)

Faults, from constructor arguments or per request from query parameters (``fault`` may repeat):

    rate_limit_first=K, retry_after=S   ?fault=429&k=K&retry_after=S  first K requests of a page -> 429
    error_first=K                       ?fault=500&k=K                first K requests of a page -> 500
    delay_seconds=D                     ?fault=slow&delay=D           every response waits D seconds
    captcha_page=P                      ?fault=captcha&at=P           page P is a captcha/block page
    repeat_page=P                       ?fault=repeat&at=P            page P repeats page P-1
    challenge=True                      ?fault=challenge              a JavaScript challenge first

The JavaScript challenge (like Cloudflare's "Just a moment..."): every page but robots.txt
answers 403 with a page whose inline script computes a token from a per-board secret nonce
(``CHALLENGE_ROUNDS`` rounds of FNV-1a), stores it in the ``demo_clearance`` cookie and reloads.
The server checks the cookie against its own computation, so only a client that runs the
script gets through; ``challenge_passes`` counts the requests that did.

"First K requests of a page" counts per (path, page number), so every page is throttled anew.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jobinsight.scrape.sources.demo import (
    DemoJob,
    generate_jobs,
    render_block_page,
    render_detail,
    render_listing,
    render_sitemap_index,
    render_topcv_detail,
    render_urlset,
)

DEFAULT_ROBOTS = "User-agent: *\nDisallow: /private/\n"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the server saw it (``at`` is the server's ``time.monotonic()``)."""

    at: float
    method: str
    path: str
    query: str
    page: int | None
    user_agent: str
    status: int


class DemoBoard:
    """A fake TopCV-like board; ``with DemoBoard(pages=3) as board: board.url("/viec-lam-it")``."""

    def __init__(
        self,
        *,
        pages: int = 3,
        per_page: int = 20,
        seed: int = 7,
        version: int = 0,
        changing_every: int = 5,
        detail_padding: int = 0,
        rate_limit_first: int = 0,
        retry_after: int | str = 1,
        error_first: int = 0,
        delay_seconds: float = 0.0,
        captcha_page: int | None = None,
        captcha_status: int = 200,
        repeat_page: int | None = None,
        robots_txt: str | None = DEFAULT_ROBOTS,
        sitemap_chunk: int = 100,
        canonical_base: str | None = None,
        challenge: bool = False,
        today: date | None = None,
    ) -> None:
        self.pages = pages
        self.per_page = per_page
        self.seed = seed
        self.version = version
        #: with ``version != 0`` every ``changing_every``-th posting's card (its salary) differs
        self.changing_every = changing_every
        #: bytes of inert markup added to each TopCV-markup detail page (a real one is ~1.4 MB)
        self.detail_padding = detail_padding
        self.rate_limit_first = rate_limit_first
        self.retry_after = retry_after
        self.error_first = error_first
        self.delay_seconds = delay_seconds
        self.captcha_page = captcha_page
        self.captcha_status = captcha_status
        self.repeat_page = repeat_page
        self.robots_txt = robots_txt
        self.sitemap_chunk = sitemap_chunk
        #: The board's public name (e.g. https://demo.jobinsight.invalid): every page it serves
        #: links there instead of to this run's loopback port, so a job keeps one URL across runs
        #: (and its content hash). A crawler reaches it through ``FetchSettings.routes``.
        self.canonical_base = canonical_base
        self.challenge = challenge
        self.challenge_nonce = secrets.token_hex(8)
        self.challenge_passes = 0
        #: the day detail pages' dates count from (deadlines, posted); None: the board's today
        self.today = today
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._page_hits: Counter[tuple[str, int | None]] = Counter()
        self._in_flight = 0
        self.max_in_flight = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._jobs_cache: tuple[tuple[int, int, int, int], list[DemoJob]] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> DemoBoard:
        if self._server is not None:
            return self
        board = self

        class Handler(_Handler):
            owner = board

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-board", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> DemoBoard:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses & content -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("DemoBoard is not running; use 'with DemoBoard() as board'")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def public_base(self) -> str:
        """The origin the board's pages name: its canonical base, else where it is served."""
        return self.canonical_base or self.base_url

    def public_url(self, path: str = "/viec-lam-it") -> str:
        """``path`` under the board's public name (what a crawler routed to it records)."""
        return f"{self.public_base}{path if path.startswith('/') else '/' + path}"

    def url(self, path: str = "/viec-lam-it") -> str:
        return f"{self.base_url}{path if path.startswith('/') else '/' + path}"

    @property
    def listing_url(self) -> str:
        return self.url("/viec-lam-it")

    @property
    def sitemap_url(self) -> str:
        return self.url("/sitemap.xml")

    def jobs(self) -> list[DemoJob]:
        """All jobs of the board as currently configured (``pages * per_page``)."""
        key = (self.pages * self.per_page, self.seed, self.version, self.changing_every)
        with self._lock:
            if self._jobs_cache is None or self._jobs_cache[0] != key:
                self._jobs_cache = (key, generate_jobs(key[0], seed=self.seed, version=self.version,
                                                       changing_every=self.changing_every))
            return self._jobs_cache[1]

    def jobs_on_page(self, page: int) -> list[DemoJob]:
        if page < 1 or page > self.pages:
            return []
        return self.jobs()[(page - 1) * self.per_page : page * self.per_page]

    # -- request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def request_count(self, path: str | None = None, page: int | None = None) -> int:
        """Requests seen, optionally for one path (and one listing page number)."""
        return len(self.requests_for(path, page))

    def requests_for(self, path: str | None = None, page: int | None = None) -> list[RequestRecord]:
        return [
            r for r in self.requests if (path is None or r.path == path) and (page is None or r.page == page)
        ]

    def reset_log(self) -> None:
        with self._lock:
            self._records.clear()
            self._page_hits.clear()
            self.max_in_flight = 0

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    # -- request handling (called from server threads) ---------------------------------------

    def _count_hit(self, path: str, page: int | None) -> int:
        with self._lock:
            self._page_hits[(path, page)] += 1
            return self._page_hits[(path, page)]

    def _record(
        self, at: float, method: str, path: str, query: str, page: int | None, agent: str, status: int
    ) -> None:
        with self._lock:
            self._records.append(RequestRecord(at, method, path, query, page, agent, status))

    def challenge_answer(self, cookie_header: str | None, path: str, query: str) -> bytes | None:
        """The challenge page when this request must solve one first, else ``None``."""
        faults = set(parse_qs(query).get("fault", []))
        if path == "/robots.txt" or not (self.challenge or "challenge" in faults):
            return None
        cookies = SimpleCookie()
        try:
            cookies.load(cookie_header or "")
        except CookieError:
            pass
        expected = challenge_token(self.challenge_nonce)
        if CHALLENGE_COOKIE in cookies and cookies[CHALLENGE_COOKIE].value == expected:
            with self._lock:
                self.challenge_passes += 1
            return None
        return render_challenge_page(self.challenge_nonce).encode("utf-8")

    def respond(self, path: str, query: str) -> tuple[int, dict[str, str], bytes, float]:
        """(status, headers, body, delay) for a GET; the handler does the I/O."""
        params = parse_qs(query)
        faults = set(params.get("fault", []))
        page = _int(params.get("page", ["1"])[0], 1) if _is_listing(path) else None
        hit = self._count_hit(path, page)
        delay = self.delay_seconds
        if "slow" in faults:
            delay = _float(params.get("delay", ["0.2"])[0], 0.2)
        k = _int(params.get("k", ["1"])[0], 1)

        rate_k = k if "429" in faults else self.rate_limit_first
        if rate_k and hit <= rate_k and path != "/robots.txt":
            retry_after = params.get("retry_after", [str(self.retry_after)])[0]
            return (
                429,
                {"Retry-After": retry_after, "Content-Type": "text/html; charset=utf-8"},
                _TOO_MANY,
                delay,
            )
        error_k = k if "500" in faults else self.error_first
        if error_k and hit <= error_k and path != "/robots.txt":
            return (
                500,
                {"Content-Type": "text/html; charset=utf-8"},
                b"<h1>500 Internal Server Error</h1>",
                delay,
            )

        if path == "/robots.txt":
            if self.robots_txt is None:
                return 404, {"Content-Type": "text/plain"}, b"not found", delay
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, self.robots_txt.encode("utf-8"), delay
        if _is_listing(path):
            assert page is not None
            at = _int(params.get("at", ["0"])[0], 0)
            captcha_at = at if "captcha" in faults else self.captcha_page
            repeat_at = at if "repeat" in faults else self.repeat_page
            if captcha_at is not None and page == captcha_at:
                return self.captcha_status, _HTML, render_block_page().encode("utf-8"), delay
            shown = page - 1 if (repeat_at is not None and page == repeat_at and page > 1) else page
            body = render_listing(self.jobs_on_page(shown), self.public_base, page, self.pages)
            return 200, _HTML, body.encode("utf-8"), delay
        if path == "/sitemap.xml":
            chunks = max(1, -(-len(self.jobs()) // self.sitemap_chunk))
            urls = [self.public_url(f"/sitemaps/jobs-{i + 1}.xml") for i in range(chunks)]
            return 200, _XML, render_sitemap_index(urls).encode("utf-8"), delay
        if path.startswith("/sitemaps/jobs-") and path.endswith(".xml"):
            n = _int(path[len("/sitemaps/jobs-") : -len(".xml")], 0)
            chunk = self.jobs()[(n - 1) * self.sitemap_chunk : n * self.sitemap_chunk] if n >= 1 else []
            if not chunk:
                return 404, _HTML, b"<h1>404</h1>", delay
            return (
                200,
                _XML,
                render_urlset([self.public_url(f"/jobs/{j.job_id}") for j in chunk]).encode("utf-8"),
                delay,
            )
        job = self._job_for_path(path)
        if job is not None:
            if path.startswith("/viec-lam/"):
                body = render_topcv_detail(job, self.public_base, self.today).encode("utf-8")
                if self.detail_padding:
                    pad = b"<script>/*" + b"x" * self.detail_padding + b"*/</script>"
                    body = body.replace(b"</body>", pad + b"</body>", 1)
                return 200, _HTML, body, delay
            return 200, _HTML, render_detail(job, self.public_base, self.today).encode("utf-8"), delay
        return 404, _HTML, b"<h1>404 Not Found</h1>", delay

    def _job_for_path(self, path: str) -> DemoJob | None:
        job_id = None
        if path.startswith("/jobs/"):
            job_id = path[len("/jobs/") :].strip("/")
        elif path.endswith(".html") and (path.startswith("/viec-lam/") or path.startswith("/brand/")):
            stem = path.rsplit("/", 1)[-1][: -len(".html")]
            job_id = stem.rsplit("-j", 1)[-1] if "-j" in stem else stem
        if not job_id:
            return None
        return next((j for j in self.jobs() if j.job_id == job_id), None)


class StaticSite(DemoBoard):
    """A loopback site serving fixed responses, e.g. saved real pages as listing pages 1..N.

    ``routes`` maps ``"/path?query"`` (exact) or ``"/path"`` to a body (200, HTML) or to a
    ``(status, headers, body)`` tuple; anything else is 404. Requests are logged like
    ``DemoBoard``'s (robots.txt is served from ``robots_txt``).
    """

    def __init__(
        self,
        routes: dict[str, bytes | str | tuple[int, dict[str, str], bytes | str]],
        *,
        robots_txt: str | None = DEFAULT_ROBOTS,
    ) -> None:
        super().__init__(pages=0, robots_txt=robots_txt)
        self.routes = dict(routes)

    def respond(self, path: str, query: str) -> tuple[int, dict[str, str], bytes, float]:
        self._count_hit(path, None)
        if path == "/robots.txt" and path not in self.routes:
            if self.robots_txt is None:
                return 404, {"Content-Type": "text/plain"}, b"not found", 0.0
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, self.robots_txt.encode("utf-8"), 0.0
        route = self.routes.get(f"{path}?{query}" if query else path, self.routes.get(path))
        if route is None:
            return 404, _HTML, b"<h1>404 Not Found</h1>", 0.0
        if isinstance(route, tuple):
            status, headers, body = route
        else:
            status, headers, body = 200, _HTML, route
        return status, dict(headers), body.encode("utf-8") if isinstance(body, str) else body, 0.0


CHALLENGE_COOKIE = "demo_clearance"
CHALLENGE_ROUNDS = 20_000


def challenge_token(nonce: str, rounds: int = CHALLENGE_ROUNDS) -> str:
    """The token the challenge script computes: 32-bit FNV-1a over ``nonce`` cycled ``rounds``
    times, in hex — the same arithmetic as the page's JavaScript (``Math.imul``, ``>>> 0``)."""
    h = 2166136261
    for i in range(rounds):
        h ^= ord(nonce[i % len(nonce)])
        h = (h * 16777619) & 0xFFFFFFFF
    return format(h, "x")


def render_challenge_page(nonce: str, rounds: int = CHALLENGE_ROUNDS) -> str:
    """A "Just a moment..." page that clears itself only where JavaScript runs."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Just a moment...</title>
</head><body><h1>Checking your browser before accessing the demo board</h1>
<noscript>Enable JavaScript and cookies to continue.</noscript>
<script>
(function () {{
  var s = "{nonce}", h = 2166136261;
  for (var i = 0; i < {rounds}; i++) {{
    h ^= s.charCodeAt(i % s.length);
    h = Math.imul(h, 16777619) >>> 0;
  }}
  document.cookie = "{CHALLENGE_COOKIE}=" + h.toString(16) + "; path=/";
  setTimeout(function () {{ location.reload(); }}, 50);
}})();
</script></body></html>"""


_HTML = {"Content-Type": "text/html; charset=utf-8"}
#: What a client closing its end of the connection raises in the handler.
_CLIENT_GONE = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
_XML = {"Content-Type": "application/xml; charset=utf-8"}
_TOO_MANY = "<h1>429 Too Many Requests</h1><p>Bạn đã gửi quá nhiều yêu cầu</p>".encode()


def _is_listing(path: str) -> bool:
    return path == "/viec-lam-it" or path.startswith("/private/")


def _int(raw: str, default: int) -> int:
    try:
        return int(raw)
    except ValueError:
        return default


def _float(raw: str, default: float) -> float:
    try:
        return float(raw)
    except ValueError:
        return default


class _Handler(BaseHTTPRequestHandler):
    owner: DemoBoard
    protocol_version = "HTTP/1.1"
    server_version = "DemoBoard/1.0"

    def handle(self) -> None:
        """Serve the connection; a client that hangs up mid-request is not an error.

        Crawlers close keep-alive connections (and time out slow pages) whenever they like; the
        base class would print a ``ConnectionResetError`` / ``BrokenPipeError`` traceback to
        stderr for each. Only those disconnects are swallowed: any other exception still reaches
        ``socketserver``'s error reporting.
        """
        try:
            super().handle()
        except _CLIENT_GONE:
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self.owner._enter()
        try:
            self._get()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a limit, a cancel)
            pass
        finally:
            self.owner._leave()

    def _get(self) -> None:
        at = time.monotonic()
        parts = urlsplit(self.path)
        challenge = self.owner.challenge_answer(self.headers.get("Cookie"), parts.path, parts.query)
        if challenge is not None:
            status, headers, body, delay = 403, dict(_HTML), challenge, 0.0
        else:
            status, headers, body, delay = self.owner.respond(parts.path, parts.query)
        params = parse_qs(parts.query)
        page = _int(params["page"][0], 0) if "page" in params else (1 if _is_listing(parts.path) else None)
        self.owner._record(
            at, "GET", parts.path, parts.query, page, self.headers.get("User-Agent", ""), status
        )
        if delay > 0:
            time.sleep(delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
        return
