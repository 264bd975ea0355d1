"""A real browser for pages a plain HTTP client cannot get: Playwright driving system Chromium.

Why: job boards sit behind Cloudflare, which answers a scripted client with "Attention
Required" or a JavaScript challenge ("Just a moment...") that only a browser running its script
gets past. The ``Fetcher`` calls this only for those pages (``fetcher="auto"``) or for
everything (``fetcher="browser"``); pacing, concurrency, robots.txt and deadlines stay the
fetcher's, so the browser is exactly as polite as the HTTP client.

The browser is the Debian ``chromium`` package (``/usr/bin/chromium``; Playwright's own browser
download is not used), started lazily on first use, headless, one context per host so a
cleared challenge's cookie serves the rest of that host. Images, media and fonts are not
loaded. Every request the page makes (navigations, redirects, script-driven reloads, scripts,
XHR) passes the fetcher's scheme/address check before it leaves the machine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from jobinsight.scrape.block_detect import strong_block_marker
from jobinsight.scrape.urls import host_of

logger = logging.getLogger("jobinsight.scrape")

LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
TargetCheck = Callable[[str], Awaitable[tuple[str, str] | None]]


_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>\s*\S", re.IGNORECASE)


def may_clear(html: str) -> bool:
    """Whether a challenge page could clear itself: it runs inline script (Cloudflare's managed
    challenge does). A page without any is a static block page; waiting for it is wasted time."""
    return _INLINE_SCRIPT.search(html) is not None


class BrowserError(Exception):
    """The browser could not be started or could not load the page."""


@dataclass(slots=True)
class BrowserResult:
    """What the browser ended up showing for one URL."""

    status: int | None
    final_url: str
    html: str
    #: Notes for the page's ``tried`` list ("browser: challenge cleared after 1.2s").
    notes: tuple[str, ...] = ()
    limit: str | None = None
    limit_message: str | None = None
    #: The answer's ``Retry-After`` header (a 429 or 503 asking us to wait), for the retry logic.
    retry_after: str | None = None


@dataclass(slots=True)
class _PageState:
    """What one fetch saw; reset before each fetch of a reused tab."""

    status: int | None = None
    retry_after: str | None = None
    refused: list[tuple[str, str, str]] = field(default_factory=list)
    #: Requests of the page's own (scripts, XHR) refused by the address/scheme check.
    blocked_requests: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Tab:
    """A browser tab kept open between fetches of one host (opening one costs ~0.5-1 s)."""

    page: Any
    state: _PageState


class BrowserSession:
    """One headless Chromium for a fetcher's life; ``await fetch(url)``, then ``await close()``."""

    def __init__(self, settings: Any, check_target: TargetCheck, check_navigation: TargetCheck | None = None) -> None:
        """``check_target``: scheme and address, for every request a page makes; ``check_navigation``
        (default: the same): for documents (redirect hops, script navigations), where the fetcher
        also applies the target host's robots.txt, as its HTTP client does for each redirect hop."""
        self.settings = settings
        self._check_target = check_target
        self._check_navigation = check_navigation or check_target
        self._playwright: Any = None
        self._browser: Any = None
        self._contexts: dict[str, Any] = {}
        self._idle: dict[str, list[_Tab]] = {}
        self._start_lock = asyncio.Lock()
        self._user_agent: str | None = None

    async def _ensure(self) -> None:
        async with self._start_lock:
            if self._browser is not None:
                return
            path = self.settings.browser_executable
            if not os.path.exists(path):
                raise BrowserError(
                    f"Chromium was not found at {path}. Install it (Debian/Ubuntu: apt-get install -y "
                    "chromium), or point JOBINSIGHT_BROWSER_EXECUTABLE at a Chromium binary, or run "
                    "with --fetcher http."
                )
            try:
                from playwright.async_api import async_playwright
            except ImportError as exc:  # pragma: no cover - declared dependency
                raise BrowserError(f"playwright is not installed ({exc}); pip install playwright") from None
            self._playwright = await async_playwright().start()
            try:
                self._browser = await self._playwright.chromium.launch(
                    executable_path=path, headless=True, args=list(LAUNCH_ARGS)
                )
            except Exception as exc:
                await self._playwright.stop()
                self._playwright = None
                raise BrowserError(f"could not start Chromium at {path}: {exc}") from None
            logger.info("browser started: %s %s", path, self._browser.version)

    async def _context(self, host: str) -> Any:
        context = self._contexts.get(host)
        if context is None:
            if self._user_agent is None:
                probe = await self._browser.new_page()
                agent = await probe.evaluate("navigator.userAgent")
                await probe.close()
                # The browser's own identity, plus ours, so a site owner can tell who visits.
                token = self.settings.user_agent.split(" ", 1)[0]
                self._user_agent = f"{agent} {token}"
            context = await self._browser.new_context(
                user_agent=self._user_agent, locale="vi-VN", java_script_enabled=True
            )
            self._contexts[host] = context
        return context

    async def fetch(self, url: str) -> BrowserResult:
        """Load ``url``, wait for a challenge to clear (up to ``challenge_wait_seconds``)."""
        from playwright.async_api import Error as PlaywrightError

        await self._ensure()
        loop = asyncio.get_running_loop()
        host = host_of(url)
        tab = await self._take_tab(host)
        page, state = tab.page, tab.state
        state.status, state.retry_after, state.refused, state.blocked_requests = None, None, [], []
        reusable = False
        timeout_ms = self.settings.request_deadline_seconds * 1000
        notes: list[str] = []
        try:
            try:
                response = await page.goto(url, wait_until="load", timeout=timeout_ms)
            except PlaywrightError as exc:
                if state.refused:
                    target, limit, why = state.refused[0]
                    return BrowserResult(None, target, "", limit=limit,
                                         limit_message=f"browser navigation to {target} refused: {why}")
                raise BrowserError(str(exc).splitlines()[0]) from None
            if response is not None and state.status is None:
                state.status = response.status
                state.retry_after = response.headers.get("retry-after")
            started = loop.time()
            html = await self._content(page)
            if strong_block_marker(html) is not None and not may_clear(html):
                notes.append("browser: blocked too (a static block page, no script to run)")
            elif strong_block_marker(html) is not None:
                waited_until = started + self.settings.challenge_wait_seconds
                while strong_block_marker(html) is not None and loop.time() < waited_until:
                    await asyncio.sleep(0.2)
                    try:
                        await page.wait_for_load_state("load", timeout=timeout_ms)
                    except PlaywrightError:
                        pass
                    html = await self._content(page)
                if strong_block_marker(html) is None:
                    notes.append(f"browser: challenge cleared after {loop.time() - started:.1f}s")
                else:
                    notes.append(
                        f"browser: still a challenge after {self.settings.challenge_wait_seconds:g}s"
                    )
            if state.refused:
                target, limit, why = state.refused[0]
                return BrowserResult(None, target, "", limit=limit,
                                     limit_message=f"browser navigation to {target} refused: {why}")
            if state.blocked_requests:
                notes.append(f"browser: refused {len(state.blocked_requests)} request(s) of the page to "
                             f"forbidden addresses (first: {state.blocked_requests[0]})")
            reusable = True
            return BrowserResult(state.status, page.url, html, tuple(notes), retry_after=state.retry_after)
        finally:
            if reusable:
                self._idle.setdefault(host, []).append(tab)
            else:
                await page.close()

    async def _take_tab(self, host: str) -> _Tab:
        """An idle tab of ``host``'s context, or a new one with the navigation guard installed."""
        idle = self._idle.get(host)
        if idle:
            return idle.pop()
        context = await self._context(host)
        page = await context.new_page()
        tab = _Tab(page, _PageState())

        async def route(route: Any) -> None:
            request = route.request
            if request.resource_type in _SKIPPED_RESOURCES:
                await route.abort()
                return
            # Every request the page makes — navigations, scripts, XHR — passes the scheme and
            # address check: a hostile page must not reach the metadata service through us.
            scheme = request.url.split(":", 1)[0].lower()
            navigation = request.is_navigation_request()
            if scheme not in ("data", "blob", "about"):
                check = self._check_navigation if navigation else self._check_target
                problem = await check(request.url)
                if problem is not None:
                    if navigation:
                        tab.state.refused.append((request.url, *problem))
                    else:
                        tab.state.blocked_requests.append(request.url)
                    await route.abort("blockedbyclient")
                    return
            if navigation:
                # The browser follows redirects without asking the route again, so a document
                # request is made here, one hop at a time, and its Location checked first
                # (address, and the robots.txt of the host it leads to).
                response = await route.fetch(max_redirects=0)
                location = response.headers.get("location")
                if 300 <= response.status < 400 and location:
                    target = urljoin(request.url, location)
                    problem = await self._check_navigation(target)
                    if problem is not None:
                        tab.state.refused.append((target, *problem))
                        await route.abort("blockedbyclient")
                        return
                await route.fulfill(response=response)
                return
            await route.continue_()

        def on_response(response: Any) -> None:
            if response.request.is_navigation_request() and response.frame == page.main_frame:
                tab.state.status = response.status
                tab.state.retry_after = response.headers.get("retry-after")

        await page.route("**/*", route)
        page.on("response", on_response)
        return tab

    @staticmethod
    async def _content(page: Any) -> str:
        """``page.content()``, retried while a navigation replaces the document."""
        from playwright.async_api import Error as PlaywrightError

        for _ in range(50):
            try:
                return await page.content()
            except PlaywrightError:
                await asyncio.sleep(0.1)
        return await page.content()

    async def close(self) -> None:
        self._idle.clear()
        for context in self._contexts.values():
            try:
                await context.close()
            except Exception:  # noqa: BLE001 - closing a dead browser is not an error worth raising
                pass
        self._contexts.clear()
        if self._browser is not None:
            try:
                await self._browser.close()
            except Exception:  # noqa: BLE001
                pass
            self._browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None
