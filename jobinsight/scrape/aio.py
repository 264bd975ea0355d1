"""Run the async crawler from plain synchronous code, inside or outside an event loop.

Why: the fetcher is async (many polite connections, one thread), but its callers are a CLI, a
benchmark and Prefect tasks — and a Prefect task may already be running inside an event loop,
where ``asyncio.run`` refuses to start. In that case the coroutine gets a fresh loop on a
short-lived worker thread and the caller blocks on its result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run ``factory()`` to completion and return its result.

    ``factory`` (not a coroutine object) is passed so the coroutine is created on the thread
    whose loop runs it.
    """

    async def _main() -> T:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_main())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobinsight-scrape") as pool:
        return pool.submit(asyncio.run, _main()).result()
