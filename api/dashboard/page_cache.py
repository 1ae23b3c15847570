"""Rendered portfolio pages, shared by every open dashboard showing the same view."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from api.single_flight import SingleFlight

log = logging.getLogger(__name__)
#: What a page is kept as (the dashboard keeps each as its answer: api/shortcut.py).
Page = TypeVar("Page")


class PageCache(Generic[Page]):
    """Rendered portfolio pages, shared by every open dashboard showing the same view.

    A page is kept under its view (path, portfolio, the query's view settings, the day, the
    language, the site) and the read model's applied position (exchange rates are events too),
    so a new fact or rate always misses the cache, and so does the next day (stale and
    "no news" counts are the day's). When an event is recorded every open dashboard asks for
    its page again at once: they share one rendering (:meth:`shared`).

    A page also names the moment it was made and the newest signed checkpoint, which move
    without an event: after ``ttl`` seconds it is made again, and the readers who come
    meanwhile are still given it (its figures are those of the position) while one of them
    makes the new one, so a busy page never has them all wait; ``grace`` seconds later it is
    not given any more. And it lists what was recorded in the last 30 days, which changes when
    the oldest of them leaves that window: from then on (``lasts``) it is not given at all.
    """

    def __init__(
        self,
        size: int = 64,
        ttl: float = 300.0,
        grace: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size, self.ttl, self.grace, self.clock = size, ttl, grace, clock
        #: (fresh until, given until, page) by key, least recently read first.
        self._pages: OrderedDict[Hashable, tuple[float, float, Page]] = OrderedDict()
        self._lock = threading.Lock()
        #: One per event loop (a test process runs several apps): futures never cross loops.
        self._flights: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SingleFlight] = (
            weakref.WeakKeyDictionary()
        )
        #: Refreshes under way, held so that they are not collected before they finish.
        self._refreshing: set[asyncio.Task[Page]] = set()
        #: The keys of the pages being made again.
        self._remaking: set[Hashable] = set()

    def cached(self, key: Hashable) -> tuple[Page, bool] | None:
        """The page under ``key`` and whether it is fresh; ``None`` when there is none to give."""
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            fresh_until, given_until, page = found
            now = self.clock()
            if now >= given_until:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page, now < fresh_until

    def given(self, key: Hashable) -> Page | None:
        """The page under ``key`` if a reader may be given it without asking for it again
        (``api/shortcut.py``): fresh, or while it is being made again (:meth:`refresh`)."""
        found = self.cached(key)
        if found is None:
            return None
        page, fresh = found
        return page if fresh or key in self._remaking else None

    def remember(self, keys: Iterable[Hashable], page: Page, lasts: float | None = None) -> None:
        """Keep ``page`` under each of ``keys``; ``lasts``: seconds until it would read
        differently without an event, if that can come."""
        now = self.clock()
        fresh_until = now + self.ttl
        given_until = fresh_until + self.grace
        if lasts is not None:
            given_until = min(given_until, now + lasts)
        with self._lock:
            for key in keys:
                self._pages[key] = (fresh_until, given_until, page)
                self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def _flight(self) -> SingleFlight:
        loop = asyncio.get_running_loop()
        flights = self._flights.get(loop)
        if flights is None:
            flights = self._flights[loop] = SingleFlight()
        return flights

    async def shared(self, key: Hashable, make: Callable[[], Page]) -> Page:
        """``make()`` in a worker thread, or the result of the one already making ``key``."""
        return await self._flight().run(key, make)

    def refresh(self, key: Hashable, make: Callable[[], Page]) -> None:
        """Make the page under ``key`` again in the background, unless that is under way."""
        task = asyncio.ensure_future(self.shared(key, make))
        self._refreshing.add(task)
        self._remaking.add(key)
        task.add_done_callback(lambda task: self._refreshed(key, task))

    def _refreshed(self, key: Hashable, task: asyncio.Task[Page]) -> None:
        self._refreshing.discard(task)
        self._remaking.discard(key)
        if not task.cancelled() and (error := task.exception()) is not None:
            # The readers go on with the page they have; after the grace one of them makes
            # it again and is answered whatever that gives.
            log.warning("a page could not be made again: %r", error)
