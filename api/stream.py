"""Server-Sent Events: one listener per process wakes every connected client.

The projector calls :meth:`EventBroadcaster.publish` from whichever thread applied a batch.
Publishing only sets an asyncio event on each client's loop; each client then reads what it
has not sent yet from the event store itself. So a waiting client costs a coroutine, not a
thread, a slow client never makes the others wait, and a client that resumes from an old
position replays from the store exactly as a live one does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress

import anyio
import anyio.to_thread
import msgspec
from litestar.response import ServerSentEventMessage

from api.schemas import FeedEventOut

#: Seconds between keep-alive comments, so proxies do not close an idle stream.
KEEPALIVE = 15.0
#: Events read from the store per round trip while a client catches up.
STREAM_BATCH = 100

#: Reads the feed: the events after a position, at most so many.
FeedReader = Callable[[int, int], Sequence[FeedEventOut]]


class Subscription:
    """One connected client, woken from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._woken = asyncio.Event()
        self.closed = False
        #: The last position sent to the client.
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


class EventBroadcaster:
    """Fans the projector's progress out to every subscribed client of this process."""

    def __init__(self, *, keepalive: float = KEEPALIVE) -> None:
        self.keepalive = keepalive
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._position = 0
        self._closed = False

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def publish(self, position: int) -> None:
        """Called by the projector after each batch; must be quick and never raise."""
        with self._lock:
            if position <= self._position:  # the projector re-announces unchanged positions
                return
            self._position = position
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.wake()

    def close(self) -> None:
        """End every stream, so shutting down does not wait for clients that never leave."""
        with self._lock:
            self._closed = True
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.closed = True
            subscription.wake()

    @contextmanager
    def subscribe(self) -> Iterator[Subscription]:
        """Must be entered on the client's event loop; leaving it forgets the client."""
        subscription = Subscription(asyncio.get_running_loop())
        with self._lock:
            subscription.closed = self._closed
            self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                self._subscriptions.discard(subscription)


async def event_stream(
    broadcaster: EventBroadcaster, read: FeedReader, after: int
) -> AsyncIterator[ServerSentEventMessage]:
    """The events after ``after``, then each new one as it is stored, until the client leaves.

    The client subscribes before its first read, so an event stored while it replays wakes it
    again instead of slipping between the replay and the wait. A wait that times out reads the
    store too: with the projector in another process nothing here publishes, and the stream
    still moves, one keep-alive interval late.
    """
    with broadcaster.subscribe() as subscription:
        subscription.position = after
        while not subscription.closed:
            items = await anyio.to_thread.run_sync(read, subscription.position, STREAM_BATCH)
            for item in items:
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(item).decode(), event=item.type, id=item.position
                )
                subscription.position = item.position
            if len(items) >= STREAM_BATCH:
                continue
            if not await subscription.wait(broadcaster.keepalive):
                yield ServerSentEventMessage(data=None, comment="keep-alive")
