"""The events the check made of a file's new rows, kept on disk until they are recorded.

The check applies every row to the aggregates, so the domain judges each one; the events it
makes are the ones to record. Keeping them (not the file) means each row is parsed and
applied once: the recording only stamps them with the time they are actually recorded and
saves them in batches. They wait in a private temporary SQLite file, encoded as the event
store encodes them, not in memory, so an import's memory stays flat in the file's size.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

#: One checked event: the file line of the row that made it, and the event.
Checked = tuple[int, Any]


class CheckedEvents:
    """The new rows' events in the order of their rows; :meth:`close` deletes the file (so
    does the garbage collector)."""

    def __init__(self, mapper: Mapper[UUID]) -> None:
        self.mapper = mapper
        self._db = sqlite3.connect("", check_same_thread=False)  # "": a temporary file
        self._db.execute(
            "CREATE TABLE events (line INTEGER NOT NULL, originator_id TEXT NOT NULL, "
            "version INTEGER NOT NULL, topic TEXT NOT NULL, state BLOB NOT NULL)"
        )
        self._pending: list[tuple[int, str, int, str, bytes]] = []
        self.count = 0

    def add(self, line: int, events: list[Any]) -> None:
        for event in events:
            stored = self.mapper.to_stored_event(event)
            self._pending.append(
                (
                    line,
                    str(stored.originator_id),
                    stored.originator_version,
                    stored.topic,
                    stored.state,
                )
            )

    def flush(self) -> None:
        """Write what :meth:`add` holds (the check calls it once per window of rows)."""
        self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", self._pending)
        self.count += len(self._pending)
        self._pending = []

    def batches(self, size: int) -> Iterator[list[Checked]]:
        """The events in order, ``size`` at a time."""
        self.flush()
        to_event = self.mapper.to_domain_event
        for start in range(0, self.count, size):
            rows = self._db.execute(
                "SELECT * FROM events WHERE rowid > ? AND rowid <= ? ORDER BY rowid",
                (start, start + size),
            ).fetchall()
            yield [
                (line, to_event(StoredEvent(UUID(originator), version, topic, state)))
                for line, originator, version, topic, state in rows
            ]

    def close(self) -> None:
        self._db.close()


def stamped(event: Any, at: datetime) -> Any:
    """``event`` (freshly decoded, so no one else holds it) as recorded at ``at``; a
    simulated event keeps the time it was given."""
    if not getattr(event, "simulated", False):
        object.__setattr__(event, "timestamp", at)
    return event
