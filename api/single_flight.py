"""One computation per key at a time: concurrent misses of a cached report share it.

Without it, when a cached report expires under load every waiting request computes the same
report at once, each in its own worker thread, and the slowest of them sets the p99.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")


class SingleFlight:
    """Per event loop (one app per process): futures never cross loops."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` in a worker thread, or the result of the call already running."""
        running = self._running.get(key)
        if running is not None:
            result: T = await asyncio.shield(running)
            return result
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            value = await anyio.to_thread.run_sync(compute)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: only the callers that share it re-raise it
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._running[key]
