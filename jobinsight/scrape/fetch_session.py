"""One fetcher for a whole scrape run, shared by steps that are separate synchronous calls.

Why: politeness is per host, not per step. The listing crawl and the detail pages it leads to
go to the same host, so they must share its delay, its concurrency cap, its robots.txt (and
Crawl-delay) and, in ``auto`` mode, the browser: a host the browser took over for the listing
would otherwise be asked again over plain HTTP for its details, blocked again, and a second
Chromium started. But the run's steps are separate synchronous calls (the scrape flow's Prefect
tasks), each of which would run its crawl on a fresh event loop, and a ``Fetcher``'s state (its
connections, semaphores, pacing locks, the Playwright browser) belongs to the loop it was
opened on. So the session keeps one event loop on a background thread for the run, opens the
``Fetcher`` there, and runs each step's crawl coroutine on that loop::

    with FetchSession(settings) as session:
        outcome = session.run(lambda f: acrawl_listing(url, 5, fetcher=f))
        details = session.run(lambda f: acrawl_details(targets, fetcher=f))

Calls from several threads at once are fine: their requests meet the same per-host limits.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TypeVar

from jobinsight.scrape.fetcher import Fetcher, FetchSettings, FetchStats

T = TypeVar("T")


class FetchSession:
    """A ``Fetcher`` (and its browser) open for a ``with`` block, on its own event loop thread."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._fetcher: Fetcher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FetchSession:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        thread = threading.Thread(target=serve, name="jobinsight-fetch-session", daemon=True)
        thread.start()
        ready.wait()
        self._loop, self._thread = loop, thread
        try:
            fetcher = Fetcher(self.settings)
            self._fetcher = asyncio.run_coroutine_threadsafe(fetcher.__aenter__(), loop).result()
        except BaseException:
            self._stop_loop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Cancel what is still running on the loop, close the fetcher (and browser), stop the loop."""
        if self._loop is None:
            return
        fetcher, self._fetcher = self._fetcher, None

        async def shut_down() -> None:
            current = asyncio.current_task()
            stray = [task for task in asyncio.all_tasks() if task is not current]
            for task in stray:  # a caller that gave up waiting (interrupted) left its crawl behind
                task.cancel()
            await asyncio.gather(*stray, return_exceptions=True)
            if fetcher is not None:
                await fetcher.__aexit__(None, None, None)

        try:
            asyncio.run_coroutine_threadsafe(shut_down(), self._loop).result()
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join()
        loop.close()

    @property
    def fetcher(self) -> Fetcher:
        """The open fetcher; only to be awaited on the session's loop (inside ``run``)."""
        if self._fetcher is None:
            raise RuntimeError("FetchSession is not open; use 'with FetchSession(settings) as session'")
        return self._fetcher

    @property
    def stats(self) -> FetchStats:
        """The run's counters so far (every step's requests)."""
        return self.fetcher.stats

    def run(self, crawl: Callable[[Fetcher], Awaitable[T]]) -> T:
        """Run ``crawl(fetcher)`` on the session's loop and return its result (blocking).

        ``crawl`` builds the coroutine (``lambda f: acrawl_listing(..., fetcher=f)``), so it is
        created on the loop that runs it. Safe from any thread, including one running its own loop.
        """
        fetcher = self.fetcher
        if threading.current_thread() is self._thread:
            raise RuntimeError("FetchSession.run called from the session's own loop: await the crawl instead")
        assert self._loop is not None

        async def main() -> T:
            return await crawl(fetcher)

        future = asyncio.run_coroutine_threadsafe(main(), self._loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # interrupted while waiting: the crawl must not go on without a caller
            raise
