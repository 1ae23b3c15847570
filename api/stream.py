"""Server-Sent Events: one listener per process wakes every connected client.

The projector calls :meth:`EventBroadcaster.publish` from whichever thread applied a batch.
Publishing only sets an asyncio event on each client's loop; each client then reads what it
has not sent yet from the event store, in one read shared by every client woken by the same
publish at the same position. So a waiting client costs a coroutine, not a thread, a write
costs one read of the store however many clients listen, a slow client never makes the
others wait, and a client that resumes from an old position replays from the store exactly
as a live one does.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
import msgspec
from litestar.response import ServerSentEventMessage

from api.schemas import FeedEventOut

#: Seconds between keep-alive comments, so proxies do not close an idle stream.
KEEPALIVE = 15.0
#: Events read from the store per round trip while a client catches up.
STREAM_BATCH = 100
#: Reads kept for clients woken by the same publish that come to read late.
SHARED_READS = 64


@dataclass(frozen=True)
class FeedPage:
    """The feed's events after a position (as many as were read, less any that cannot be
    read), the last position read and whether the read was full (more may follow)."""

    items: list[FeedEventOut]
    last: int
    full: bool


#: Reads the feed: the events after a position, at most so many.
FeedReader = Callable[[int, int], FeedPage]


class Subscription:
    """One connected client, woken from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._woken = asyncio.Event()
        self.closed = False
        #: Where the client's next read starts: the last position read for it.
        self.position = 0

    def wake(self) -> None:
        """Safe from any thread: asyncio events may only be set on their own loop."""
        with suppress(RuntimeError):  # the loop is closed, so nobody waits on it any more
            self._loop.call_soon_threadsafe(self._woken.set)

    async def wait(self, timeout: float) -> bool:
        """Whether something was published (or the broadcaster closed) within ``timeout``."""
        with anyio.move_on_after(timeout):
            await self._woken.wait()
            self._woken.clear()
            return True
        return False


def _wake_all(subscriptions: list[Subscription]) -> None:
    """On the subscriptions' own loop: one call wakes them all."""
    for subscription in subscriptions:
        subscription._woken.set()


class EventBroadcaster:
    """Fans the projector's progress out to every subscribed client of this process, and
    shares the clients' reads of what was published (:meth:`read_published`)."""

    def __init__(self, *, keepalive: float = KEEPALIVE) -> None:
        self.keepalive = keepalive
        self._lock = threading.Lock()
        self._subscriptions: dict[asyncio.AbstractEventLoop, set[Subscription]] = {}
        self._position = 0
        #: How many times something new was published (a read started at a generation sees
        #: every event published by then).
        self.generation = 0
        self._closed = False
        self._reads: OrderedDict[tuple[Any, ...], asyncio.Future[FeedPage]] = OrderedDict()

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return sum(len(subscriptions) for subscriptions in self._subscriptions.values())

    def publish(self, position: int) -> None:
        """Called by the projector after each batch; must be quick and never raise. Wakes the
        clients of each event loop with one call to it (not a call per client: each is a
        write to the loop's wake-up pipe)."""
        with self._lock:
            if position <= self._position:  # the projector re-announces unchanged positions
                return
            self._position = position
            self.generation += 1
            woken = [(loop, list(subs)) for loop, subs in self._subscriptions.items() if subs]
        for loop, subscriptions in woken:
            with suppress(RuntimeError):  # the loop is closed, so nobody waits on it any more
                loop.call_soon_threadsafe(_wake_all, subscriptions)

    def close(self) -> None:
        """End every stream, so shutting down does not wait for clients that never leave."""
        with self._lock:
            self._closed = True
            subscriptions = [sub for subs in self._subscriptions.values() for sub in subs]
        for subscription in subscriptions:
            subscription.closed = True
            subscription.wake()

    @contextmanager
    def subscribe(self) -> Iterator[Subscription]:
        """Must be entered on the client's event loop; leaving it forgets the client."""
        loop = asyncio.get_running_loop()
        subscription = Subscription(loop)
        with self._lock:
            subscription.closed = self._closed
            self._subscriptions.setdefault(loop, set()).add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                subscriptions = self._subscriptions.get(loop)
                if subscriptions is not None:
                    subscriptions.discard(subscription)
                    if not subscriptions:
                        del self._subscriptions[loop]

    async def read_published(self, read: FeedReader, after: int, generation: int) -> FeedPage:
        """The events after ``after``, read once for every client woken by the same publish.

        A thousand clients woken by one write used to read the store a thousand times, in
        turn, through a pool of forty threads. Here the first of them starts a read (in the
        loop's executor, so that no client leaving cancels it for the others) and the rest
        await it. ``generation`` is the broadcaster's when the client was woken: a read shared
        under it started after that publish, so it holds every event the client was woken for.
        """
        loop = asyncio.get_running_loop()
        key = (loop, after, generation)
        future = self._reads.get(key)
        if future is None:
            future = loop.run_in_executor(None, read, after, STREAM_BATCH)
            future.add_done_callback(partial(self._forget_failed, key))
            self._reads[key] = future
            while len(self._reads) > SHARED_READS:
                self._reads.popitem(last=False)
        return await asyncio.shield(future)

    def _forget_failed(self, key: tuple[Any, ...], future: asyncio.Future[Any]) -> None:
        """A failed read is not shared with later clients (each tries again)."""
        failed = not future.cancelled() and future.exception() is not None
        if failed and self._reads.get(key) is future:
            del self._reads[key]


async def event_stream(
    broadcaster: EventBroadcaster, read: FeedReader, after: int
) -> AsyncIterator[ServerSentEventMessage]:
    """The events after ``after``, then each new one as it is stored, until the client leaves.

    The client subscribes before its first read, so an event stored while it replays wakes it
    again instead of slipping between the replay and the wait. A wait that times out reads the
    store too: with the projector in another process nothing here publishes, and the stream
    still moves, one keep-alive interval late. The first read and a read after a timeout go
    to the store alone; a read after a publish is shared with every client woken by it
    (:meth:`EventBroadcaster.read_published`).
    """
    with broadcaster.subscribe() as subscription:
        subscription.position = after
        woken_at: int | None = None  # the generation that woke the client, if one did
        while not subscription.closed:
            if woken_at is None:
                page = await anyio.to_thread.run_sync(read, subscription.position, STREAM_BATCH)
            else:
                page = await broadcaster.read_published(read, subscription.position, woken_at)
            for item in page.items:
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(item).decode(), event=item.type, id=item.position
                )
            subscription.position = page.last
            if page.full:
                continue
            if await subscription.wait(broadcaster.keepalive):
                woken_at = broadcaster.generation
            else:
                woken_at = None
                yield ServerSentEventMessage(data=None, comment="keep-alive")
