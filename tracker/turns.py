"""Writers of one aggregate in one process take turns.

A write loads an aggregate, changes it and saves the new version; two writers that load the
same version collide at the save, and the loser loads and tries again. Within one process
(the API's worker threads, a script's) there is no need to collide at all: a writer waits
for the one already writing the same aggregate, then loads the version it saved. Writers in
other processes still collide and retry (tracker/recording.py).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager


class Turns:
    """One lock per aggregate being written, kept only while a writer holds or awaits it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        #: The lock of each aggregate being written, and how many writers hold or await it.
        self._held: dict[Hashable, tuple[threading.RLock, int]] = {}

    @contextmanager
    def turn(self, aggregate_id: Hashable) -> Iterator[None]:
        """Hold ``aggregate_id``'s turn (reentrant: a writer may take it again inside)."""
        with self._guard:
            lock, writers = self._held.get(aggregate_id) or (threading.RLock(), 0)
            self._held[aggregate_id] = (lock, writers + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, writers = self._held[aggregate_id]
                if writers == 1:
                    del self._held[aggregate_id]
                else:
                    self._held[aggregate_id] = (lock, writers - 1)

    def __len__(self) -> int:
        """How many aggregates are being written (or awaited) now."""
        with self._guard:
            return len(self._held)
