"""SQLite's recorder: the tracker's questions in SQLite's SQL, receipts and links written with
the events (see tracker/eventstore/recorders.py for what all recorders do)."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory

from tracker.eventstore.chain import GENESIS, StoredEntry, links_of
from tracker.eventstore.receipts import TABLE as RECEIPTS
from tracker.eventstore.receipts import Receipt
from tracker.eventstore.recorders import CHAIN, Stored, TrackerRecorder


class TrackerSQLiteRecorder(TrackerRecorder, SQLiteApplicationRecorder):
    """SQLite: the tracker's questions in SQLite's SQL, receipts written with the events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The (position, link) this thread's write is storing, until its commit.
        self._written = threading.local()
        #: The last (position, link) a write of this process committed.
        self._committed: tuple[int, bytes] | None = None

    def event_positions(self, originator_id: UUID, *, version: int | None = None) -> dict[int, int]:
        statement = (
            f"SELECT originator_version, rowid FROM {self.events_table_name} "
            "WHERE originator_id = ?"
        )
        params: tuple[Any, ...] = (originator_id.hex,)
        if version is not None:
            statement += " AND originator_version = ?"
            params += (version,)
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return {int(row[0]): int(row[1]) for row in cursor.fetchall()}

    def select_events_at(self, originator_id: UUID, versions: Collection[int]) -> list[StoredEvent]:
        if not versions:
            return []
        marks = ", ".join("?" * len(versions))
        statement = (
            f"{self.select_events_statement}AND originator_version IN ({marks}) "
            "ORDER BY originator_version"
        )
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (originator_id.hex, *versions))
            rows = cursor.fetchall()
        return [
            StoredEvent(originator_id, row["originator_version"], row["topic"], row["state"])
            for row in rows
        ]

    def stored_after(self, start: int, limit: int, stop: int | None = None) -> list[Stored]:
        statement = (
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {self.events_table_name} WHERE rowid > ?"
        )
        params: tuple[int, ...] = (start,)
        if stop is not None:
            statement += " AND rowid <= ?"
            params += (stop,)
        with self.datastore.transaction(commit=False) as c:
            c.sqlite_cursor.row_factory = None  # tuples: a sqlite3.Row is looked up by name
            c.execute(f"{statement} ORDER BY rowid LIMIT ?", (*params, limit))
            rows = c.fetchall()
        return [Stored(p, _uuid_text(o), v, t, s) for p, o, v, t, s in rows]

    def _select_stored(self, ids: list[UUID]) -> list[UUID]:
        marks = ", ".join("?" * len(ids))
        statement = (
            f"SELECT originator_id FROM {self.events_table_name} "
            f"WHERE originator_id IN ({marks}) AND originator_version = 1"
        )
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, [i.hex for i in ids])
            return [UUID(row[0]) for row in cursor.fetchall()]

    def write_back(self) -> None:
        """Copy the write-ahead log's pages into the database file now (a passive checkpoint:
        it waits for no reader). SQLite does it once the log passes 1,000 pages, in the
        commit that passes them: after an import, that would be the next writer's commit."""
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.fetchall()

    def count_events(self, *, after: int | None = None, upto: int | None = None) -> int:
        statement = f"SELECT count(*) FROM {self.events_table_name} WHERE rowid > ?"
        params: tuple[Any, ...] = (after or 0,)
        if upto is not None:
            statement += " AND rowid <= ?"
            params += (upto,)
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return int(cursor.fetchone()[0])

    def _select_receipts(
        self, aggregate_id: UUID, keys: list[str]
    ) -> list[tuple[str, str | None, int]]:
        marks = ", ".join("?" * len(keys))
        statement = (
            f"SELECT key, digest, version FROM {RECEIPTS} "
            f"WHERE aggregate_id = ? AND key IN ({marks})"
        )
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (aggregate_id.hex, *keys))
            return [(row[0], row[1], row[2]) for row in cursor.fetchall()]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = self._insert_rows(c, stored_events)
        receipts: Sequence[Receipt] = kwargs.get("receipts", ())
        if receipts:
            c.executemany(
                f"INSERT INTO {RECEIPTS} (aggregate_id, key, digest, version) VALUES (?, ?, ?, ?)",
                [(r.aggregate_id.hex, r.key, r.digest, r.version) for r in receipts],
            )
        if notification_ids and self.chained:
            # The INSERT above took SQLite's write lock: no other writer runs until the commit.
            links = links_of(
                self._link_before(c, notification_ids[0]), stored_events, notification_ids
            )
            self._written.last = links[-1]
            c.executemany(f"INSERT INTO {CHAIN} (position, link) VALUES (?, ?)", links)
        return notification_ids

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert; then, committed, this thread's last link is the one the
        next write in this process may start from (a rolled-back write's never is)."""
        self._written.last = None
        positions = super().insert_events(stored_events, **kwargs)
        if self._written.last is not None:
            self._committed = self._written.last
        return positions

    def _link_before(self, c: SQLiteCursor, position: int) -> bytes:
        """The link of the event before ``position``: the last one this process committed
        when it is that event's (a SELECT per write is a quarter of the chain's cost on
        one-event writes), else the last stored one. Positions are rowids, one after
        another: the event before ``position`` is at ``position - 1`` whoever wrote it."""
        committed = self._committed
        if committed is not None and committed[0] == position - 1:
            return committed[1]
        c.execute(f"SELECT link FROM {CHAIN} ORDER BY position DESC LIMIT 1")
        last = c.fetchone()
        return last[0] if last else GENESIS

    def _insert_rows(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent]) -> list[int]:
        """Insert the events with one ``executemany`` (the library runs a statement per
        event to read each rowid); their positions follow the largest rowid after it.

        The rowid is the position, and SQLite gives a new row of a rowid table (not
        AUTOINCREMENT) the largest rowid so far plus one: under the write lock the insert
        took, the events got the ``n`` rowids up to the largest one, in order."""
        if not stored_events:
            return []
        c.executemany(
            self.insert_events_statement,
            [
                (
                    s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                    s.originator_version,
                    s.topic,
                    s.state,
                )
                for s in stored_events
            ],
        )
        c.execute(f"SELECT max(rowid) FROM {self.events_table_name}")
        last = int(c.fetchone()[0])
        return list(range(last - len(stored_events) + 1, last + 1))

    def _chain_page(self, after: int, limit: int) -> tuple[list[StoredEntry], dict[int, bytes]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
            entries = [_sqlite_entry(*row) for row in c.fetchall()]
            statement = f"SELECT position, link FROM {CHAIN} WHERE position > ?"
            params: tuple[int, ...] = (after,)
            if len(entries) == limit:
                statement += " AND position <= ?"
                params += (entries[-1].position,)
            c.execute(statement, params)
            links = {row[0]: row[1] for row in c.fetchall()}
        return entries, links


def _sqlite_entry(
    position: int, originator_id: str, version: int, topic: str, state: bytes | str
) -> StoredEntry:
    """A row as the chain reads it; SQLite keeps whatever type a hand-made UPDATE wrote, and
    a value the tracker could not have written makes a digest no link matches."""
    try:
        aggregate = UUID(str(originator_id))
    except ValueError:
        aggregate = UUID(int=0)
    content = state.encode() if isinstance(state, str) else bytes(state or b"")
    return StoredEntry(position, aggregate, int(version or 0), str(topic), content)


@lru_cache(maxsize=1 << 14)
def _uuid_text(stored: Any) -> Any:
    """A stored originator id (the UUID's hex) as the text of its UUID; kept as it is if it
    is none (a hand-made UPDATE): the event's reader refuses it. Remembered for the most
    recent aggregates (a few MB at most): a batch names each of its projects many times."""
    try:
        return str(UUID(stored))
    except (TypeError, ValueError, AttributeError):
        return stored


class TrackerSQLiteFactory(SQLiteFactory):
    application_recorder_class = TrackerSQLiteRecorder
