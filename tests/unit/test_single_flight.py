"""Concurrent misses of the same report share one computation; different keys do not."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio
import pytest

from api.single_flight import SingleFlight

T = TypeVar("T")


def run(main: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``anyio.run`` in a thread of its own: another test (Playwright's) may leave an event
    loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, main, *args).result()


def test_concurrent_calls_with_one_key_share_one_computation() -> None:
    flights = SingleFlight()
    calls: list[str] = []
    release = threading.Event()

    def compute(key: str) -> str:
        calls.append(key)
        release.wait(5)
        return f"report {key}"

    async def main() -> list[str]:
        results: list[str] = []

        async def ask(key: str) -> None:
            results.append(await flights.run(key, lambda: compute(key)))

        async with anyio.create_task_group() as group:
            for key in ["a", "a", "a", "b"]:
                group.start_soon(ask, key)
            await anyio.sleep(0.2)
            release.set()
        return results

    results = run(main)
    assert sorted(calls) == ["a", "b"]
    assert sorted(results) == ["report a"] * 3 + ["report b"]


def test_an_error_reaches_every_caller_and_the_next_call_computes_again() -> None:
    flights = SingleFlight()
    release = threading.Event()
    attempts = 0

    def failing() -> str:
        nonlocal attempts
        attempts += 1
        release.wait(5)
        raise RuntimeError("database down")

    async def main() -> list[BaseException]:
        errors: list[BaseException] = []

        async def ask() -> None:
            try:
                await flights.run("k", failing)
            except RuntimeError as error:
                errors.append(error)

        async with anyio.create_task_group() as group:
            group.start_soon(ask)
            group.start_soon(ask)
            await anyio.sleep(0.2)
            release.set()
        assert await flights.run("k", lambda: "fresh") == "fresh"
        return errors

    errors = run(main)
    assert attempts == 1
    assert [str(e) for e in errors] == ["database down", "database down"]


@pytest.mark.parametrize("key", [("progress", None), ("progress", 3)])
def test_nothing_is_left_running_after_a_call(key: tuple[str, int | None]) -> None:
    flights = SingleFlight()
    assert run(flights.run, key, lambda: 1) == 1
    assert not flights._running
