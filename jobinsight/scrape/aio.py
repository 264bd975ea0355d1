"""Run the async crawler from plain synchronous code, inside or outside an event loop.

Why: the fetcher is async (many polite connections, one thread), but its callers are a CLI, a
benchmark and Prefect tasks — and a Prefect task may already be running inside an event loop,
where ``asyncio.run`` refuses to start. In that case the coroutine gets a fresh loop on a
short-lived worker thread and the caller blocks on its result.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


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


def blocking(async_fn: Callable[P, Awaitable[T]], doc: str | None = None) -> Callable[P, T]:
    """The synchronous twin of ``async_fn``: same parameters, runs it through :func:`run_sync`.

    Why: each async crawl had a hand-written sync wrapper repeating its whole signature; this
    derives it, so a new parameter is added in one place.
    """

    @functools.wraps(async_fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return run_sync(lambda: async_fn(*args, **kwargs))

    call.__name__ = call.__qualname__ = async_fn.__name__.removeprefix("a")
    if doc is not None:
        call.__doc__ = doc
    return call
