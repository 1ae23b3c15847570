"""Rendered portfolio pages, shared by every open dashboard showing the same view."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class PageCache:
    """Rendered portfolio pages, shared by every open dashboard showing the same view.

    When an event is recorded every open dashboard asks for its page again at once; the key
    holds the read model's applied position (exchange rates are events too), so they share
    one rendering and a new fact or rate always misses the cache.
    """

    def __init__(self, size: int = 64, ttl: float = 60.0) -> None:
        self.size, self.ttl = size, ttl
        self._pages: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _cached(self, key: Hashable) -> str | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None or found[0] <= time.monotonic():
                return None
            self._pages.move_to_end(key)
            return found[1]

    def get(self, key: Hashable, make: Callable[[], str]) -> str:
        """The page under ``key``; concurrent requests for a missing page wait for one maker."""
        if (page := self._cached(key)) is not None:
            return page
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        with making:
            if (page := self._cached(key)) is not None:
                return page
            try:
                page = make()
            finally:
                with self._lock:
                    self._making.pop(key, None)
            with self._lock:
                self._pages[key] = (time.monotonic() + self.ttl, page)
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        return page
