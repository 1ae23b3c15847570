"""eventsourcing's infrastructure: recorders that write idempotency receipts with the events,
and PostgreSQL held to ``TRACKER_DB_TIMEOUT``.

Both application recorders insert the receipts given to ``insert_events(..., receipts=…)``
(see tracker/receipts.py) in the events' own transaction.


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
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

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

from tracker import receipts

T = TypeVar("T")
#: Pause between two attempts, as the library's own retries pause.
PAUSE = 0.2


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

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's hook for writes that go with the events (before its table lock)."""
        receipts.insert_postgres(curs, self.datastore.schema, kwargs.get("receipts", ()))
        super()._insert_events(curs, stored_events, **kwargs)

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        return _within(
            self.datastore.pool.timeout, lambda: _select_notifications(self, *args, **kwargs)
        )

    def max_notification_id(self) -> int | None:
        result: int | None = _within(
            self.datastore.pool.timeout, lambda: _max_notification_id(self)
        )
        return result


class TimelyPostgresFactory(PostgresFactory):
    aggregate_recorder_class = TimelyAggregateRecorder
    application_recorder_class = TimelyApplicationRecorder

    def __init__(self, env: Environment | dict[str, str] | None) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        pool.reconnect_timeout = max(float(pool.timeout), 1.0)


class ReceiptingSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """Events and the notification log, with the receipts of their idempotency keys."""

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        receipts.insert_sqlite(c, kwargs.get("receipts", ()))
        return notification_ids


class ReceiptingSQLiteFactory(SQLiteFactory):
    application_recorder_class = ReceiptingSQLiteApplicationRecorder
