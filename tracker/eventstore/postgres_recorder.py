"""PostgreSQL's recorders: the tracker's questions in PostgreSQL's SQL, and calls that give up
while the database is down (see tracker/eventstore/recorders.py for what all recorders do).

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
from collections.abc import Callable, Collection, Sequence
from functools import cached_property
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import Environment
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier

from tracker.eventstore import pg_arrays
from tracker.eventstore.chain import GENESIS, StoredEntry, links_of
from tracker.eventstore.receipts import TABLE as RECEIPTS
from tracker.eventstore.receipts import Receipt
from tracker.eventstore.recorders import CHAIN, Stored, TrackerRecorder

T = TypeVar("T")
#: Pause between two attempts, as the library's own retries pause.
PAUSE = 0.2
#: From this many events on, PostgreSQL's links are computed here and written in one more
#: statement (after one round trip for the last link) rather than by the events' insert
#: (whose recursive query takes time quadratic in the events).
BULK_LINKS = 16


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

    # The write path's statements, composed once: composing one per write (and psycopg
    # turning it into bytes again) cost as much as sending it.

    @cached_property
    def _receipts_insert(self) -> bytes:
        return (
            SQL(
                "INSERT INTO {} (aggregate_id, key, digest, version) "
                "SELECT * FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::bigint[])"
            )
            .format(self._table(RECEIPTS))
            .as_bytes(None)
        )

    @cached_property
    def _events_insert(self) -> bytes:
        return (
            SQL(
                "INSERT INTO {} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
                "RETURNING notification_id"
            )
            .format(self._table(self.events_table_name))
            .as_bytes(None)
        )

    @cached_property
    def _linked_events_insert(self) -> bytes:
        """:attr:`_events_insert` and each event's link, in one statement (a second one
        waited for its answer: it cost a twentieth of a one-event write). The entry and
        the link are tracker/eventstore/chain.py's digests, spelled in SQL (``int8send``
        and ``int4send`` are big-endian, ``uuid_send`` the id's 16 bytes)."""
        return (
            SQL(
                "WITH RECURSIVE new AS ("
                " INSERT INTO {events} (originator_id, originator_version, topic, state)"
                " SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[])"
                " RETURNING notification_id, originator_id, originator_version, topic, state"
                "), entry AS ("
                " SELECT row_number() OVER (ORDER BY notification_id) AS i,"
                " notification_id AS position,"
                " sha256(int8send(notification_id) || int8send(originator_version)"
                " || int4send(octet_length(convert_to(topic, 'UTF8'))) || uuid_send(originator_id)"
                " || convert_to(topic, 'UTF8') || sha256(state)) AS digest"
                " FROM new"
                "), link (i, position, link) AS ("
                " SELECT 0::bigint, 0::bigint,"
                " COALESCE((SELECT link FROM {chain} ORDER BY position DESC LIMIT 1), %b)"
                " UNION ALL"
                " SELECT entry.i, entry.position, sha256(link.link || entry.digest)"
                " FROM link JOIN entry ON entry.i = link.i + 1"
                "), linked AS ("
                " INSERT INTO {chain} (position, link) SELECT position, link FROM link WHERE i > 0"
                ") SELECT notification_id FROM new ORDER BY notification_id"
            )
            .format(events=self._table(self.events_table_name), chain=self._table(CHAIN))
            .as_bytes(None)
        )

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

    def stored_after(self, start: int, limit: int, stop: int | None = None) -> list[Stored]:
        query = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {} WHERE notification_id > %s"
        ).format(self._table(self.events_table_name))
        params: tuple[int, ...] = (start,)
        if stop is not None:
            query += SQL(" AND notification_id <= %s")
            params += (stop,)
        query += SQL(" ORDER BY notification_id LIMIT %s")

        def read() -> list[Stored]:
            with (
                self.datastore.get_connection() as conn,
                conn.cursor(row_factory=tuple_row) as curs,
            ):
                curs.execute(query, (*params, limit), prepare=True)
                return [Stored(p, o, v, t, bytes(s)) for p, o, v, t, s in curs.fetchall()]

        return _within(self.datastore.pool.timeout, read)

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
        # one statement, on its own in autocommit: no BEGIN and ROLLBACK round trips (an
        # import asks this once per window of rows)
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
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
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:  # as above
            cursor.execute(query, (aggregate_id, keys), prepare=True)
            return [(r["key"], r["digest"], r["version"]) for r in cursor.fetchall()]

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's hook for writes that go with the events (before its table lock):
        the receipts, in one statement (arrays sent in binary, packed here:
        tracker/eventstore/pg_arrays.py)."""
        receipts: Sequence[Receipt] = kwargs.get("receipts", ())
        if receipts:
            pg_arrays.register(curs)
            ids, keys, digests, versions = zip(*receipts, strict=True)  # the columns
            curs.execute(
                self._receipts_insert,
                (
                    pg_arrays.uuids(ids),
                    pg_arrays.texts(keys),
                    pg_arrays.texts(digests),
                    pg_arrays.bigints(versions),
                ),
            )
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's insert under its table lock, with a column of values each instead
        of an array of composite values (built one by one in Python), packed here. A few
        events (a command's) are linked into the chain by the same statement."""
        self._lock_table(curs)
        self._notify_channel(curs)
        pg_arrays.register(curs)  # the links' statements below use this cursor too
        columns = (
            pg_arrays.uuids([e.originator_id for e in stored_events]),
            pg_arrays.bigints([e.originator_version for e in stored_events]),
            pg_arrays.texts([e.topic for e in stored_events]),
            pg_arrays.byteas([e.state for e in stored_events]),
        )
        if self._linked_by_insert(stored_events):
            curs.execute(self._linked_events_insert, (*columns, GENESIS))
        else:
            curs.execute(self._events_insert, columns)

    def _linked_by_insert(self, stored_events: Sequence[StoredEvent]) -> bool:
        """Whether the events' insert links them too (a command's few events)."""
        return self.chained and len(stored_events) < BULK_LINKS

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The events' positions, then (unless the insert linked them) their links, still
        under the library's table lock."""
        if self._linked_by_insert(stored_events):
            return [row["notification_id"] for row in curs.fetchall()]
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if not positions or not self.chained:
            return positions
        # Many events (an import's batch): one round trip for the last link, the links
        # computed here and written in one statement. The lock keeps other writers out.
        chain = self._table(CHAIN)
        curs.execute(SQL("SELECT link FROM {} ORDER BY position DESC LIMIT 1").format(chain))
        last = curs.fetchone()
        links = links_of(bytes(last["link"]) if last else GENESIS, stored_events, positions)
        curs.execute(
            SQL(
                "INSERT INTO {} (position, link) SELECT * FROM unnest(%b::bigint[], %b::bytea[])"
            ).format(chain),
            (
                pg_arrays.bigints([p for p, _ in links]),
                pg_arrays.byteas([link for _, link in links]),
            ),
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
