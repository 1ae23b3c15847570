"""The projector: applies each stored event to the read-model tables exactly once.

Each batch of events and the new position are written in one transaction, and the position
only moves if nobody else moved it meanwhile (``UPDATE … WHERE position = old``): a crash,
a restart or a second projector process never double-counts or skips an event.

A batch is applied in memory and written with a few statements (``view_batch``); what costs
per batch is then the handful of round trips around it, so each pass over the log does as
few as it can: the position row is made sure of once per process, a batch starts where this
process left the position (the lock checks it), one statement both locks and reads the
position, and a short batch ends the pass (nothing more was there to read).

No single event may stop the projector. A batch that fails for a reason other than the
database being unavailable is applied again one event at a time; an event that still fails is
*set aside*: recorded in ``rm_failures`` with its reason, in the same transaction that moves
the position past it. Readiness, metrics and ``tracker projections status`` report it until a
rebuild applies it (docs/operations.md).

On PostgreSQL each transaction that moves the live view's position also sends it on a channel
of the schema's (:func:`position_channel`), so that an API process without the projector
learns it when it commits instead of asking the database over and over (``ReadModel._watch``).

A rebuild (tracker/readmodel/rebuild.py) writes a complete view into copies of the tables with
a projector of their own (``rebuilding``), and swaps it in once it has reached the head.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tracker.application import TrackerApplication
from tracker.eventstore.recorders import Stored
from tracker.readmodel import tables as t
from tracker.readmodel.database import UNAVAILABLE, naive_utc
from tracker.readmodel.nul_text import free_of_nul, storable
from tracker.readmodel.stored_facts import decoder
from tracker.readmodel.view_batch import apply_events
from tracker.readmodel.views import DERIVED, LIVE, Views

NAME = "readmodel"
#: Events per transaction when catching up (at most: a batch holds what is pending).
BATCH = 1000

_position = t.projection_position.c.position
_named = t.projection_position.c.name
# A batch's statements on the position row, made once: SQLAlchemy keys its compiled
# statements by a walk of the statement object, which the object remembers.
_LOCK = (
    update(t.projection_position)
    .where(_named == bindparam("row_name"))
    .values(position=_position)
    .returning(_position)
)
_MOVE = (
    update(t.projection_position)
    .where(_named == bindparam("row_name"))
    .where(_position == bindparam("start"))
    .values(position=bindparam("end"))
)
log = logging.getLogger("tracker.readmodel")

#: SQLite: the page cache of a rebuild's transactions, in KiB (the connection's own is
#: SQLite's default, 2 MB): the copies' pages, and the sorts that build their indexes and
#: recount their sums, stay in memory rather than going to the file and back (a rebuild of
#: 200,000 events: its writes −16 % of CPU, its finishing −10 %). As PostgreSQL's finishing
#: takes ``maintenance_work_mem`` (tracker/readmodel/swap.py).
REBUILD_CACHE_KIB = 256 * 1024

#: How much of an error's text a failure row keeps.
ERROR_TEXT = 2000


def position_channel(schema: str | None) -> str:
    """The PostgreSQL channel the live view's position is sent on, one per schema (several
    trackers may share a database): a name of the schema's digest, since a channel name is an
    identifier of at most 63 bytes and a schema's name may be that long already."""
    digest = hashlib.blake2s((schema or "").encode(), digest_size=10).hexdigest()
    return f"tracker_position_{digest}"


class PositionMoved(Exception):
    """Another projector applied the same events first; this batch was rolled back."""


#: Not an event's fault: let the caller try the same events again.
TRY_AGAIN: tuple[type[BaseException], ...] = (PositionMoved, *UNAVAILABLE)


@dataclass(frozen=True)
class Applied:
    """One batch: the position it left the view at, and how many events it applied."""

    position: int
    events: int


@dataclass(frozen=True)
class SetAside:
    """An event the projector could not apply, and why."""

    position: int
    originator_id: str
    originator_version: int
    topic: str
    error: str
    failed_at: datetime


@dataclass(frozen=True)
class ProjectionState:
    """Where a projection stands: what readiness, metrics and ``projections status`` report."""

    applied: int
    head: int
    #: How long the oldest event not yet applied has been waiting (0: none waits); ``None``
    #: when that event cannot be read (the projector will set it aside).
    lag_seconds: float | None
    set_aside: list[SetAside]

    def trouble(self, max_lag_seconds: float) -> str | None:
        """Why the read model cannot be trusted to be complete and current, if it cannot."""
        if self.set_aside:
            first = self.set_aside[0]
            return (
                f"the read model set aside {len(self.set_aside)} event(s) it could not apply, "
                f"first at position {first.position} ({first.error}); the reports lack them "
                "until `tracker projections rebuild` applies them"
            )
        if self.lag_seconds is None:
            return f"the event after position {self.applied} cannot be read by the projector"
        if self.lag_seconds > max_lag_seconds:
            return (
                f"the read model is {self.lag_seconds:.1f} s behind the event log (applied "
                f"position {self.applied}, head {self.head}; TRACKER_READY_MAX_LAG is "
                f"{max_lag_seconds:g} s)"
            )
        return None


class Projector:
    def __init__(
        self,
        tracker: TrackerApplication,
        engine: Engine,
        *,
        name: str = NAME,
        views: Views = LIVE,
        rebuilding: bool = False,
    ) -> None:
        self.tracker = tracker
        self.engine = engine
        self.name = name
        self.views = views
        #: Whether this projector writes a rebuild's copies: they recount the ledger's sums
        #: once, when they swap in, instead of keeping them batch by batch, and their batches
        #: do not wait for the disk.
        self.rebuilding = rebuilding
        #: Whether batches keep the ledger's sums (a rebuild's copies: once recounted).
        self.keeps_totals = not rebuilding
        self._lock = threading.Lock()
        self._applied = threading.Condition()
        self._position: int | None = None
        #: Whether this process knows the position row exists (a rebuild deletes it).
        self._has_position_row = False
        #: Where the next batch starts, as far as this process knows: it left the position
        #: there. An idle pass then asks the read model nothing; a busy one finds out when
        #: it locks the position (a rival moved it: read it again).
        self._start: int | None = None
        #: Called after each committed batch with the new position (e.g. to wake SSE clients).
        self.listeners: list[Callable[[int], None]] = []

    # Positions

    @property
    def lock(self) -> threading.Lock:
        """Held while this process applies a batch (or swaps a rebuild in)."""
        return self._lock

    def left_at(self, position: int) -> None:
        """Note that this process left the position row at ``position`` (it exists)."""
        self._start = position
        self._has_position_row = True

    def applied_position(self) -> int:
        with self.engine.connect() as conn:
            return self._read_position(conn)

    @property
    def seen_position(self) -> int | None:
        """The last position this process saw applied (no database round trip)."""
        return self._position

    def head_position(self) -> int:
        return self.tracker.recorder.max_notification_id() or 0

    def state(self) -> ProjectionState:
        """Positions, lag and set-aside events, read from the database (so they are right
        whichever process projects)."""
        applied = self.applied_position()
        waiting = self.tracker.store.stored_after(applied, 1)
        lag: float | None = 0.0
        if waiting:
            try:
                event: Any = self.tracker.mapper.to_domain_event(waiting[0])
                lag = max((datetime.now(UTC) - event.timestamp).total_seconds(), 0.0)
            except Exception:  # noqa: BLE001 - reported as an unreadable event (lag None)
                lag = None
        return ProjectionState(applied, self.head_position(), lag, self.set_aside())

    def _read_position(self, conn: Connection) -> int:
        position = conn.execute(select(_position).where(_named == self.name)).scalar_one_or_none()
        return int(position or 0)

    def _ensure_position_row(self) -> None:
        if self._has_position_row:
            return
        with self.engine.begin() as conn:
            exists = conn.execute(select(func.count()).where(_named == self.name)).scalar_one()
            if not exists:
                try:
                    conn.execute(insert(t.projection_position).values(name=self.name, position=0))
                except IntegrityError:  # another process inserted it first: fine
                    conn.rollback()
        self._has_position_row = True

    # Applying

    def catch_up(self, *, until: int | None = None) -> int:
        """Apply every event recorded so far (or up to ``until``); return the position."""
        with self._lock:
            return self._catch_up(until)

    def ensure_applied(self, position: int) -> int:
        """Return once ``position`` is applied (read-your-writes after a save).

        With many writers, most find their event already applied by another writer's call:
        that costs no round trip. Otherwise this applies everything pending, not only up to
        ``position``, so that the writers queued on the lock behind it find theirs done.
        """
        if self._has_seen(position):
            return position
        with self._lock:
            if self._has_seen(position):
                return position
            return self._catch_up(None, enough=position)

    def _has_seen(self, position: int) -> bool:
        seen = self._position
        return seen is not None and seen >= position

    def _catch_up(self, until: int | None, *, enough: int | None = None) -> int:
        """Apply batches until a short one (nothing more to read) or ``enough`` is reached."""
        size = BATCH
        while True:
            applied = self.next_batch(until, size)
            if applied.events < size or (enough is not None and applied.position >= enough):
                return applied.position

    def next_batch(self, until: int | None, size: int) -> Applied:
        """Apply the next batch (again, if a rival moved the position first); announce it."""
        while True:
            self._ensure_position_row()
            try:
                applied = self._applynext_batch(until, size)
            except PositionMoved:
                continue
            self.announce(applied.position)
            return applied

    def _applynext_batch(self, until: int | None, size: int) -> Applied:
        start = self._start if self._start is not None else self.applied_position()
        if until is not None and start >= until:
            return Applied(start, 0)
        notifications = self.tracker.store.stored_after(start, size, until)
        if not notifications:
            return Applied(start, 0)
        try:
            end = self._commit(start, lambda conn: self.apply(conn, notifications), notifications)
        except TRY_AGAIN:
            raise
        except Exception:  # noqa: BLE001 - one event's fault: find it, one event at a time
            end = start
            for notification in notifications:
                end = self._apply_or_set_aside(end, notification)
        return Applied(end, len(notifications))

    def _apply_or_set_aside(self, start: int, notification: Stored) -> int:
        """Apply one event; if it fails for a reason of its own, set it aside instead."""
        try:
            return self._commit(
                start, lambda conn: self.apply(conn, [notification]), [notification]
            )
        except TRY_AGAIN:
            raise
        except Exception as error:  # noqa: BLE001 - recorded with its reason, and reported
            failure = _set_aside(notification, error)
            log.error(
                "the read model set aside event %s (%s v%s) and went on: %s",
                failure.position,
                failure.originator_id,
                failure.originator_version,
                failure.error,
            )
            return self._commit(
                start,
                lambda conn: conn.execute(
                    insert(self.views.failures).values(storable(vars(failure)))
                ),
                [notification],
            )

    def _commit(
        self,
        start: int,
        change: Callable[[Connection], object],
        notifications: Sequence[Stored],
    ) -> int:
        """Make ``change`` and move the position from ``start`` past ``notifications``, in one
        transaction; return the new position."""
        end = notifications[-1].id
        with self.transaction() as conn:
            # Lock the position row before writing (a row lock on PostgreSQL, the write lock
            # on SQLite), so that a rival projector waits here until this batch commits
            # instead of writing the same rows beside it; then make sure nobody moved it.
            if self.lock_position(conn) != start:
                self._start = None
                raise PositionMoved(f"{self.name} moved past {start} before this batch")
            change(conn)
            self.tell_watchers(conn, end)  # sent at COMMIT: only if the position moved
            moved = conn.execute(
                _MOVE, {"row_name": self.name, "start": start, "end": end}
            ).rowcount
            if moved != 1:
                self._start = None
                raise PositionMoved(f"{self.name} moved past {start} during this batch")
        self._start = end
        return end

    def tell_watchers(self, conn: Connection, position: int) -> None:
        """On PostgreSQL, send the live view's new ``position`` to the processes that watch it
        (:func:`position_channel`); delivered when ``conn``'s transaction commits, never if it
        rolls back. A rebuild's copies have no watchers until they are swapped in."""
        if self.tracker.settings.is_postgres and not self.rebuilding:
            channel = position_channel(self.tracker.settings.db_schema)
            conn.execute(select(func.pg_notify(channel, str(position))))

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A batch's transaction, which does not wait for the disk: PostgreSQL's
        ``synchronous_commit`` off for the transaction, SQLite's ``synchronous`` NORMAL (in
        WAL mode it never corrupts the file). The view is made from the events, which are
        durable when acknowledged, and its position moves in the same transaction as its
        rows: a crash of the machine may only lose its last batches, which the projector
        applies again (a rebuild's copies are started afresh, and the swap itself is
        durable). The next durable commit on the database (a write's) makes them durable
        too. On SQLite a rebuild's transactions also take a larger page cache
        (``REBUILD_CACHE_KIB``). The connection goes back to the pool as it was."""
        with self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                if self.rebuilding:
                    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
                    conn.exec_driver_sql(f"PRAGMA cache_size=-{REBUILD_CACHE_KIB}")
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                conn.commit()
            try:
                with conn.begin():
                    if not sqlite:
                        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    yield conn
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA synchronous=FULL")
                    if self.rebuilding:
                        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
                    conn.commit()

    def lock_position(self, conn: Connection) -> int | None:
        """Lock the position row and read it (``None``: the row is gone, e.g. a rebuild)."""
        position = conn.execute(_LOCK, {"row_name": self.name}).scalar_one_or_none()
        if position is None:
            self._has_position_row = False
        return position

    def apply(self, conn: Connection, notifications: Sequence[Stored]) -> None:
        """Apply a batch inside the caller's transaction (the view change and nothing else)."""
        mapper = self.tracker.mapper
        decode = decoder(mapper)
        apply_events(
            conn,
            [(n.id, decode(n)) for n in notifications],
            self.views,
            totals=self.keeps_totals,
            nul_free=free_of_nul(mapper, notifications),
        )

    def announce(self, position: int) -> None:
        """Note ``position`` as applied (by this process, or by the projector process that
        :meth:`ReadModel.start` watches) and wake whoever waits for it."""
        with self._applied:
            if self._position is None or position > self._position:
                self._position = position
                self._applied.notify_all()
        for listener in self.listeners:
            listener(position)

    def wait_for(self, position: int, timeout: float) -> int:
        """Block until this process has seen ``position`` applied (or time is up)."""
        with self._applied:
            self._applied.wait_for(
                lambda: self._position is not None and self._position >= position, timeout
            )
        return self.applied_position()

    def set_aside(self) -> list[SetAside]:
        """The events this view set aside, oldest first."""
        failures = self.views.failures
        with self.engine.connect() as conn:
            rows = conn.execute(select(failures).order_by(failures.c.position))
            return [SetAside(**row._mapping) for row in rows]

    def refresh_statistics(self) -> None:
        """After a bulk change, let the query planner see the new sizes of the tables."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                schema = conn.get_execution_options()["schema_translate_map"][None]
                quote = conn.dialect.identifier_preparer.quote
                for table in DERIVED:
                    conn.execute(text(f"ANALYZE {quote(schema)}.{quote(table.name)}"))
            else:
                conn.execute(text("PRAGMA optimize"))


def _set_aside(notification: Stored, error: BaseException) -> SetAside:
    return SetAside(
        position=notification.id,
        originator_id=str(notification.originator_id),
        originator_version=notification.originator_version,
        topic=notification.topic,
        error=f"{type(error).__name__}: {error}"[:ERROR_TEXT],
        failed_at=naive_utc(datetime.now(UTC)),
    )
