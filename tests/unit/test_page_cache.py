"""The page cache: one rendering for concurrent misses, an old page given while a new one is
made, none given once it is twice its age."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from api.dashboard.page_cache import PageCache

T = TypeVar("T")


def run_alone(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` in a thread of its own: a browser test run earlier by the same
    worker leaves Playwright's event loop running in the main thread for the whole session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def test_concurrent_misses_share_one_rendering() -> None:
    cache = PageCache()
    made: list[int] = []
    started = threading.Event()

    def make() -> bytes:
        made.append(1)
        started.wait(2)
        return b"page"

    async def readers() -> list[bytes]:
        waiting = [asyncio.ensure_future(cache.shared("key", make)) for _ in range(8)]
        await asyncio.sleep(0.05)
        started.set()
        return await asyncio.gather(*waiting)

    assert run_alone(readers) == [b"page"] * 8
    assert len(made) == 1


def test_an_old_page_is_given_while_one_reader_makes_it_again() -> None:
    now = [1000.0]
    cache = PageCache(size=2, ttl=60, grace=60, clock=lambda: now[0])
    cache.remember(["a", "b"], b"old")
    assert cache.cached("a") == (b"old", True)
    now[0] += 61
    assert cache.cached("a") == (b"old", False)  # still given, to be made again

    async def refresh() -> None:
        cache.refresh("a", lambda: (cache.remember(["a"], b"new"), b"new")[1])
        cache.refresh("a", lambda: pytest.fail("made twice"))  # one at a time
        while cache._refreshing:
            await asyncio.sleep(0.01)

    run_alone(refresh)
    assert cache.cached("a") == (b"new", True)
    now[0] += 60
    assert cache.cached("b") is None  # past its grace: not given any more
    cache.remember(["c"], b"c")
    cache.remember(["d"], b"d")
    assert cache.cached("a") is None  # the least recently read went when a third came
    assert cache.cached("c") == (b"c", True)


def test_a_failed_refresh_leaves_the_old_page(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    cache = PageCache(ttl=60, grace=60, clock=lambda: now[0])
    cache.remember(["a"], b"old")
    now[0] += 61

    def broken() -> bytes:
        raise RuntimeError("database away")

    async def refresh() -> None:
        cache.refresh("a", broken)
        while cache._refreshing:
            await asyncio.sleep(0.01)

    run_alone(refresh)
    assert cache.cached("a") == (b"old", False)
    assert "database away" in caplog.text


def test_a_page_is_not_given_once_what_it_lists_would_change() -> None:
    now = [1000.0]
    cache = PageCache(ttl=300, grace=60, clock=lambda: now[0])
    cache.remember(["soon"], b"soon", lasts=10)
    cache.remember(["later"], b"later", lasts=3600)
    cache.remember(["gone"], b"gone", lasts=-5)
    assert cache.cached("gone") is None
    now[0] += 9
    assert cache.cached("soon") == (b"soon", True)
    now[0] += 2
    assert cache.cached("soon") is None
    assert cache.cached("later") == (b"later", True)
    now[0] += 290
    assert cache.cached("later") == (b"later", False)  # made again after ttl


def test_a_page_is_given_before_the_handler_while_fresh_or_being_made_again() -> None:
    """``given`` (api/shortcut.py's recall): an old page goes to the handler, which has it
    made again, until that is under way; then the others are given it meanwhile."""
    now = [1000.0]
    cache = PageCache(ttl=60, grace=60, clock=lambda: now[0])
    assert cache.given("a") is None
    cache.remember(["a"], b"old")
    assert cache.given("a") == b"old"
    now[0] += 61
    assert cache.given("a") is None  # old: to the handler, which has it made again
    started, finish = threading.Event(), threading.Event()

    def make() -> bytes:
        started.set()
        finish.wait(2)
        cache.remember(["a"], b"new")
        return b"new"

    async def refresh() -> list[bytes | None]:
        cache.refresh("a", make)
        await asyncio.to_thread(started.wait, 2)
        given = [cache.given("a")]  # being made again: the old page meanwhile
        finish.set()
        while cache._refreshing:
            await asyncio.sleep(0.01)
        return [*given, cache.given("a")]

    assert run_alone(refresh) == [b"old", b"new"]
    now[0] += 121
    assert cache.given("a") is None  # past its grace: given by nobody
