"""eventsourcing's infrastructure, one recorder per database, each owning its SQL.

Beyond the library's interface the tracker asks its event store a few things (the global
positions of an aggregate's events, an aggregate's events at chosen versions, the receipts of
idempotency keys, how many events lie between two positions): :class:`TrackerRecorder` names
them, and each database's recorder answers them in its own SQL, so no caller switches on the
kind of database. Both application recorders insert the receipts given to
``insert_events(..., receipts=…)`` (see tracker/eventstore/receipts.py) in the events' own
transaction, and each event's link in the hash chain (tracker/eventstore/chain.py) after the
events have their positions: PostgreSQL holds its table lock for notification order until the
commit, and SQLite its single write lock, so concurrent writers extend one chain.


Left alone, the library behaves badly while PostgreSQL is down:

- each recorder call is retried ten times on a connection error, and each attempt waits up to
  the pool timeout for a connection, so a request waits some 22 s (with a 2 s timeout) before
  it can answer 503, holding a worker thread all along;
- the pool retries a lost connection with a doubling delay for five minutes, so after an
  outage of half a minute it may be another half a minute before it tries again, and the
  API keeps answering 503 although the database is back.

Here a recorder call is retried for at most ``TRACKER_DB_TIMEOUT`` seconds, and the pool gives
up on a lost connection after as long: the next request then asks for a new one at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory
from eventsourcing.utils import Environment
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composable, Composed, Identifier

from tracker.domain.base import CommandRecord
from tracker.eventstore.chain import GENESIS, Step, StoredEntry, links_for, merge
from tracker.eventstore.receipts import TABLE as RECEIPTS
from tracker.eventstore.receipts import Receipt

T = TypeVar("T")
#: Pause between two attempts, as the library's own retries pause.
PAUSE = 0.2
#: Keys looked up per statement (well under both databases' parameter limits).
CHUNK = 500
#: The hash chain's links, one row per event position (migration 0013).
CHAIN = "event_chain"
#: From this many events on, PostgreSQL's links are computed here and written in one
#: statement (after one round trip for the last link) rather than one statement each.
BULK_LINKS = 16


class TrackerRecorder:
    """What the tracker asks of its event store beyond the library's recorder interface."""

    def event_positions(self, originator_id: UUID, *, version: int | None = None) -> dict[int, int]:
        """Map each version of one aggregate (or only ``version``) to its position in the
        global notification log."""
        raise NotImplementedError

    def select_events_at(self, originator_id: UUID, versions: Collection[int]) -> list[StoredEvent]:
        """The stored events of one aggregate at ``versions`` (one indexed read), in version
        order; a version with no event is left out."""
        raise NotImplementedError

    def find_receipts(self, aggregate_id: UUID, keys: Collection[str]) -> dict[str, CommandRecord]:
        """The receipts of some of one aggregate's keys (absent keys have none)."""
        wanted = sorted(set(keys))
        found: dict[str, CommandRecord] = {}
        for start in range(0, len(wanted), CHUNK):
            for key, digest, version in self._select_receipts(
                aggregate_id, wanted[start : start + CHUNK]
            ):
                found[key] = CommandRecord(digest, int(version))
        return found

    def stored_aggregates(self, ids: Collection[UUID]) -> set[UUID]:
        """Those of ``ids`` that have events in the store (one indexed read per chunk)."""
        wanted = list(ids)
        found: set[UUID] = set()
        for start in range(0, len(wanted), CHUNK):
            found.update(self._select_stored(wanted[start : start + CHUNK]))
        return found

    def _select_stored(self, ids: list[UUID]) -> list[UUID]:
        raise NotImplementedError

    def count_events(self, *, after: int | None = None, upto: int | None = None) -> int:
        """How many events the log holds at positions ``after`` < p <= ``upto`` (both optional).

        Positions are the same as counts on SQLite; on PostgreSQL a rolled-back write leaves a
        gap in the sequence, so positions overstate how many events there are.
        """
        raise NotImplementedError

    #: Whether new events get their links (off only to write a store as it was before
    #: migration 0013, which chains what it finds).
    chained = True

    def chain_steps(self, *, after: int = 0, page: int = 5000) -> Iterator[Step]:
        """Every position after ``after`` with its stored event and stored link, in order
        (read a page at a time; a link without an event, or an event without a link, too)."""
        while True:
            entries, links = self._chain_page(after, page)
            upto = entries[-1].position if len(entries) == page else None
            yield from merge(entries, links, upto)
            if upto is None:
                return
            after = upto

    def _chain_page(self, after: int, limit: int) -> tuple[list[StoredEntry], dict[int, bytes]]:
        """Up to ``limit`` events after ``after`` and the links of the same positions (all
        links after ``after`` when fewer events are left)."""
        raise NotImplementedError

    def _select_receipts(
        self, aggregate_id: UUID, keys: list[str]
    ) -> list[tuple[str, str | None, int]]:
        raise NotImplementedError


def _entries(stored_events: Sequence[StoredEvent], positions: Sequence[int]) -> list[StoredEntry]:
    return [
        StoredEntry(
            p,
            e.originator_id if isinstance(e.originator_id, UUID) else UUID(e.originator_id),
            e.originator_version,
            e.topic,
            e.state,
        )
        for e, p in zip(stored_events, positions, strict=True)
    ]


def _unretried(method: Callable[..., Any]) -> Callable[..., Any]:
    """The library's method without its retry decorator (``functools.wraps`` keeps it)."""
    return getattr(method, "__wrapped__", method)


def _within(budget: float, attempt: Callable[[], T]) -> T:
    """Call ``attempt``, again after a connection error, until ``budget`` seconds are spent."""
    deadline = time.monotonic() + budget
    while True:
        try:
            return attempt()
        except (InterfaceError, OperationalError):
            if time.monotonic() + PAUSE >= deadline:
                raise
            time.sleep(PAUSE)


_insert_events = _unretried(PostgresAggregateRecorder.insert_events)
_select_events = _unretried(PostgresAggregateRecorder.select_events)
_insert_notified = _unretried(PostgresApplicationRecorder.insert_events)
_select_notifications = _unretried(PostgresApplicationRecorder.select_notifications)
_max_notification_id = _unretried(PostgresApplicationRecorder.max_notification_id)


class TimelyAggregateRecorder(PostgresAggregateRecorder):
    """Snapshots: retried for at most the pool timeout."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        result: Sequence[int] | None = _within(
            self.datastore.pool.timeout, lambda: _insert_events(self, stored_events, **kwargs)
        )
        return result

    def select_events(self, *args: Any, **kwargs: Any) -> Sequence[StoredEvent]:
        result: Sequence[StoredEvent] = _within(
            self.datastore.pool.timeout, lambda: _select_events(self, *args, **kwargs)
        )
        return result


class TimelyApplicationRecorder(PostgresApplicationRecorder):
    """Events and the notification log: retried for at most the pool timeout."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        result: Sequence[int] | None = _within(
            self.datastore.pool.timeout, lambda: _insert_notified(self, stored_events, **kwargs)
        )
        return result

    def select_events(self, *args: Any, **kwargs: Any) -> Sequence[StoredEvent]:
        result: Sequence[StoredEvent] = _within(
            self.datastore.pool.timeout, lambda: _select_events(self, *args, **kwargs)
        )
        return result

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        return _within(
            self.datastore.pool.timeout, lambda: _select_notifications(self, *args, **kwargs)
        )

    def max_notification_id(self) -> int | None:
        result: int | None = _within(
            self.datastore.pool.timeout, lambda: _max_notification_id(self)
        )
        return result


class TrackerPostgresRecorder(TrackerRecorder, TimelyApplicationRecorder):
    """PostgreSQL: the tracker's questions in PostgreSQL's SQL."""

    def _table(self, name: str) -> Composable:
        return SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(name))

    def event_positions(self, originator_id: UUID, *, version: int | None = None) -> dict[int, int]:
        query: Composed = SQL(
            "SELECT originator_version, notification_id FROM {} WHERE originator_id = %s"
        ).format(self._table(self.events_table_name))
        params: tuple[Any, ...] = (originator_id,)
        if version is not None:
            query += SQL(" AND originator_version = %s")
            params += (version,)
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        return {int(r["originator_version"]): int(r["notification_id"]) for r in rows}

    def select_events_at(self, originator_id: UUID, versions: Collection[int]) -> list[StoredEvent]:
        if not versions:
            return []
        query = self.select_events_statement + SQL(
            " AND originator_version = ANY(%s) ORDER BY originator_version"
        )
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(query, (originator_id, list(versions)), prepare=True)
            rows = cursor.fetchall()
        return [
            StoredEvent(originator_id, r["originator_version"], r["topic"], bytes(r["state"]))
            for r in rows
        ]

    def _select_stored(self, ids: list[UUID]) -> list[UUID]:
        query = SQL(
            "SELECT DISTINCT originator_id FROM {} WHERE originator_id = ANY(%s) "
            "AND originator_version = 1"
        ).format(self._table(self.events_table_name))
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (ids,), prepare=True)
            return [UUID(str(r["originator_id"])) for r in cursor.fetchall()]

    def count_events(self, *, after: int | None = None, upto: int | None = None) -> int:
        query: Composed = SQL("SELECT count(*) AS n FROM {} WHERE notification_id > %s").format(
            self._table(self.events_table_name)
        )
        params: tuple[Any, ...] = (after or 0,)
        if upto is not None:
            query += SQL(" AND notification_id <= %s")
            params += (upto,)
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, params)
            row = cursor.fetchone()
        return int(row["n"]) if row else 0

    def _select_receipts(
        self, aggregate_id: UUID, keys: list[str]
    ) -> list[tuple[str, str | None, int]]:
        query = SQL(
            "SELECT key, digest, version FROM {} WHERE aggregate_id = %s AND key = ANY(%s)"
        ).format(self._table(RECEIPTS))
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (aggregate_id, keys), prepare=True)
            return [(r["key"], r["digest"], r["version"]) for r in cursor.fetchall()]

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's hook for writes that go with the events (before its table lock):
        the receipts, in one statement (arrays sent in binary: psycopg writes the text
        form of an array element by element in Python, five times slower)."""
        receipts: Sequence[Receipt] = kwargs.get("receipts", ())
        if receipts:
            curs.execute(
                SQL(
                    "INSERT INTO {} (aggregate_id, key, digest, version) "
                    "SELECT * FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::bigint[])"
                ).format(self._table(RECEIPTS)),
                (
                    [r.aggregate_id for r in receipts],
                    [r.key for r in receipts],
                    [r.digest for r in receipts],
                    [r.version for r in receipts],
                ),
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's insert under its table lock, with a column of values each instead
        of an array of composite values (built one by one in Python)."""
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            SQL(
                "INSERT INTO {} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
                "RETURNING notification_id"
            ).format(self._table(self.events_table_name)),
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
        )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The events' positions, then their links (still under the library's table lock)."""
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if not positions or not self.chained:
            return positions
        chain = self._table(CHAIN)
        entries = _entries(stored_events, positions)
        if len(entries) < BULK_LINKS:
            # Each link from the one before it, in SQL: the pipeline needs no round trip.
            curs.executemany(
                SQL(
                    "INSERT INTO {0} (position, link) SELECT %s, sha256(COALESCE("
                    "(SELECT link FROM {0} ORDER BY position DESC LIMIT 1), %s) || %s)"
                ).format(chain),
                [
                    (entry.position, GENESIS, entry.digest())
                    for entry in sorted(entries, key=lambda e: e.position)
                ],
            )
            return positions
        # Many events (an import's batch): one round trip for the last link, the links
        # computed here and written in one statement. The lock keeps other writers out.
        curs.execute(SQL("SELECT link FROM {} ORDER BY position DESC LIMIT 1").format(chain))
        last = curs.fetchone()
        links = links_for(bytes(last["link"]) if last else GENESIS, entries)
        curs.execute(
            SQL(
                "INSERT INTO {} (position, link) SELECT * FROM unnest(%b::bigint[], %b::bytea[])"
            ).format(chain),
            ([p for p, _ in links], [link for _, link in links]),
        )
        return positions

    def _chain_page(self, after: int, limit: int) -> tuple[list[StoredEntry], dict[int, bytes]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    "FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                ).format(self._table(self.events_table_name)),
                (after, limit),
                prepare=True,
            )
            entries = [
                StoredEntry(
                    r["notification_id"],
                    r["originator_id"],
                    r["originator_version"],
                    r["topic"],
                    bytes(r["state"]),
                )
                for r in curs.fetchall()
            ]
            query = SQL("SELECT position, link FROM {} WHERE position > %s").format(
                self._table(CHAIN)
            )
            params: tuple[int, ...] = (after,)
            if len(entries) == limit:
                query += SQL(" AND position <= %s")
                params += (entries[-1].position,)
            curs.execute(query, params, prepare=True)
            links = {r["position"]: bytes(r["link"]) for r in curs.fetchall()}
        return entries, links


class TrackerPostgresFactory(PostgresFactory):
    aggregate_recorder_class = TimelyAggregateRecorder
    application_recorder_class = TrackerPostgresRecorder

    def __init__(self, env: Environment | dict[str, str] | None) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        pool.reconnect_timeout = max(float(pool.timeout), 1.0)


class TrackerSQLiteRecorder(TrackerRecorder, SQLiteApplicationRecorder):
    """SQLite: the tracker's questions in SQLite's SQL, receipts written with the events."""

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

    def _select_stored(self, ids: list[UUID]) -> list[UUID]:
        marks = ", ".join("?" * len(ids))
        statement = (
            f"SELECT originator_id FROM {self.events_table_name} "
            f"WHERE originator_id IN ({marks}) AND originator_version = 1"
        )
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, [i.hex for i in ids])
            return [UUID(row[0]) for row in cursor.fetchall()]

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
            c.execute(f"SELECT link FROM {CHAIN} ORDER BY position DESC LIMIT 1")
            last = c.fetchone()
            c.executemany(
                f"INSERT INTO {CHAIN} (position, link) VALUES (?, ?)",
                links_for(last[0] if last else GENESIS, _entries(stored_events, notification_ids)),
            )
        return notification_ids

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


class TrackerSQLiteFactory(SQLiteFactory):
    application_recorder_class = TrackerSQLiteRecorder
