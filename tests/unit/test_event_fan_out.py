"""Clients of the event stream woken by one publish share one read of the store, and none of
them misses an event stored after the read it shared."""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import anyio
from litestar.response import ServerSentEventMessage

from api.schemas import FeedEventOut
from api.stream import STREAM_BATCH, EventBroadcaster, FeedPage, event_stream

CLIENTS = 50


class Store:
    """The event store's log, as the feed reads it; counts the reads."""

    def __init__(self) -> None:
        self.positions: list[int] = []
        self.reads = 0
        self._lock = threading.Lock()

    def append(self) -> int:
        with self._lock:
            self.positions.append(len(self.positions) + 1)
            return self.positions[-1]

    def read(self, after: int, limit: int) -> FeedPage:
        with self._lock:
            self.reads += 1
            found = [p for p in self.positions if p > after][:limit]
        items = [event(position) for position in found]
        return FeedPage(items, found[-1] if found else after, len(found) == limit)


def event(position: int) -> FeedEventOut:
    return FeedEventOut(
        position=position,
        aggregate_type="project",
        aggregate_id=uuid.UUID(int=position),
        type="milestone",
        version=position,
        effective_date=date(2025, 1, 1),
        recorded_at=datetime(2025, 1, 1, tzinfo=UTC),
        actor="test",
        source=None,
        payload={},
    )


def run_in_thread(main: Callable[[], Awaitable[None]]) -> None:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, main).result()


def test_one_publish_costs_one_read_however_many_clients_listen() -> None:
    store = Store()
    broadcaster = EventBroadcaster(keepalive=30)  # only a publish wakes a client here
    received: list[list[int]] = [[] for _ in range(CLIENTS)]

    async def listen(index: int, ready: anyio.Event) -> None:
        stream: AsyncIterator[ServerSentEventMessage] = event_stream(broadcaster, store.read, 0)
        ready.set()
        async for message in stream:
            if message.id is not None:
                received[index].append(int(message.id))
            if len(received[index]) == 3:
                return

    async def main() -> None:
        with anyio.fail_after(20):
            await fan_out()

    async def fan_out() -> None:
        async with anyio.create_task_group() as clients:
            for index in range(CLIENTS):
                ready = anyio.Event()
                clients.start_soon(listen, index, ready)
                await ready.wait()
            while broadcaster.subscriber_count < CLIENTS:
                await anyio.sleep(0.01)
            await anyio.sleep(0.1)  # every client has made its first read and waits
            first_reads = store.reads
            for expected_reads in (1, 2):
                position = store.append()
                await anyio.to_thread.run_sync(broadcaster.publish, position)
                while min(len(r) for r in received) < position:
                    await anyio.sleep(0.01)
                assert store.reads - first_reads == expected_reads
            # Stored and published while a shared read may run: nobody misses it.
            position = store.append()
            await anyio.to_thread.run_sync(broadcaster.publish, position)

    run_in_thread(main)
    assert received == [[1, 2, 3]] * CLIENTS
    assert broadcaster.subscriber_count == 0
    assert STREAM_BATCH > 3
