"""The read model as a service: projector, catch-up thread, read-your-writes waits, reports."""

from __future__ import annotations

import logging
import math
import os
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
import psycopg.sql
from sqlalchemy import Connection

from tracker.application import TrackerApplication
from tracker.domain.errors import N_, Busy
from tracker.readmodel.database import DATABASE_ERRORS, create_readmodel_engine
from tracker.readmodel.projector import Projector, position_channel

log = logging.getLogger("tracker.readmodel")
#: What a failed catch-up may raise without failing the write or the thread that triggered it.
GUARDED: tuple[type[BaseException], ...] = (*DATABASE_ERRORS, OSError)
T = TypeVar("T")

#: How long a read with ``min_position`` waits for the projector at most (seconds).
MAX_WAIT = 2.0
POLL_INTERVAL = 0.5
#: How long ``stop`` waits for each of the read model's threads to end (seconds).
STOP_WAIT = 5.0
#: How often a process without the projector reads its position (seconds).
WATCH_INTERVAL = 0.05
#: How long a cached report may be served at most, and how many are kept.
REPORT_TTL = 10.0
REPORT_CACHE_SIZE = 256
#: For the last this many seconds of its life, a cached report is computed again by one
#: request (:meth:`ReadModel.claim_refresh`) while the others are still served it.
REPORT_REFRESH = 2.0
#: How long a report waits for a slot of the report budget before it is refused (seconds).
REPORT_WAIT = 5.0


class ReadModel:
    """Keeps the read-model tables up to date and answers queries over them.

    ``in_process``: this process applies events itself, right after each save (so a read
    after a write sees it) and from a background thread that polls (SQLite) or listens
    (PostgreSQL, LISTEN/NOTIFY) for events written by other processes. Without it a separate
    ``tracker projector`` process does the work and reads only wait for its position.
    """

    def __init__(self, tracker: TrackerApplication, *, in_process: bool = True) -> None:
        self.tracker = tracker
        self.settings = tracker.settings
        self.engine = create_readmodel_engine(self.settings)
        self.projector = Projector(tracker, self.engine)
        self.in_process = in_process
        self._stop = threading.Event()
        self._wake = threading.Event()
        #: Written by :meth:`stop`: a listening thread waits on it beside its connection.
        self._stopping: tuple[int, int] | None = None
        self._threads: list[threading.Thread] = []
        self._reports: OrderedDict[Hashable, _Remembered] = OrderedDict()
        self._reports_lock = threading.Lock()
        self._report_slots = threading.BoundedSemaphore(self.settings.report_workers)
        if in_process:
            tracker.after_save.append(self._after_save)

    # Lifecycle

    def start(self) -> None:
        """Catch up now, then keep catching up in the background (or, with an external
        projector, keep learning its position)."""
        if self.settings.is_postgres:  # its threads listen: stop() wakes them through it
            self._stopping = os.pipe()
        if not self.in_process:
            self._spawn(self._watch, "projector-watch")
            return
        self._guarded(self.projector.catch_up)
        self._spawn(self._run, "projector")
        if self.settings.is_postgres:
            channel = self.tracker.recorder.channel_name  # type: ignore[attr-defined]
            self._spawn(lambda: self._listen(channel, self._woken), "projector-listen")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._stopping is not None:
            os.write(self._stopping[1], b"!")
        for thread in self._threads:
            thread.join(timeout=STOP_WAIT)
        if self._stopping is not None and not any(t.is_alive() for t in self._threads):
            for end in self._stopping:
                os.close(end)
            self._stopping = None
        self.engine.dispose()

    @property
    def threads(self) -> list[threading.Thread]:
        """The threads :meth:`start` started."""
        return list(self._threads)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _after_save(self, position: int) -> None:
        self._guarded(lambda: self.projector.ensure_applied(position))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(POLL_INTERVAL)
            self._wake.clear()
            if not self._stop.is_set():
                self._guarded(self.projector.catch_up)

    def _watch(self) -> None:
        """With a separate projector process, follow its position: the reports cached by
        position and the SSE clients then move with it, and no request needs a query to learn
        it. On PostgreSQL the projector sends each position as it commits it
        (``Projector.tell_watchers``); on SQLite it is read every ``WATCH_INTERVAL``."""
        if self.settings.is_postgres:
            self._listen(position_channel(self.settings.db_schema), self._told)
            return
        while not self._stop.wait(WATCH_INTERVAL):
            self._guarded(self._learn_position)

    def _learn_position(self) -> None:
        self.projector.announce(self.projector.applied_position())

    def _told(self, payload: str | None) -> None:
        """A position sent by the projector, or (``None``) a connection just made, before
        which whatever was sent is lost: then it is read."""
        if payload is None:
            self._guarded(self._learn_position)
        else:
            self.projector.announce(int(payload))

    def _woken(self, payload: str | None) -> None:
        """Events written by another process (or a connection just made): catch up."""
        self._wake.set()

    def _listen(self, channel: str, heard: Callable[[str | None], None]) -> None:
        """Call ``heard`` with each notification's payload on PostgreSQL's ``channel``, and
        with ``None`` each time the connection that listens is made (again), until
        :meth:`stop`, which wakes it at once."""
        url = self.settings.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(
                        psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel))
                    )
                    heard(None)
                    while self._notified(conn):
                        for notification in conn.notifies(timeout=0):
                            heard(notification.payload)
            except psycopg.Error as error:
                log.warning("LISTEN connection lost (%s); retrying", error)
                self._stop.wait(1.0)

    def _notified(self, conn: psycopg.Connection[Any]) -> bool:
        """Wait until ``conn`` has something to read or :meth:`stop` is called (at most
        ``POLL_INTERVAL``); whether to go on."""
        stopping = self._stopping
        if stopping is None:  # stopped already
            return False
        select.select([conn.fileno(), stopping[0]], [], [], POLL_INTERVAL)
        return not self._stop.is_set()

    def _guarded(self, work: Callable[[], object]) -> None:
        """Projection failures must not fail the write that triggered them: the event is
        stored, and the background thread or the next write will apply it."""
        try:
            work()
        except GUARDED as error:
            log.warning("projector could not catch up yet: %s", error)

    # Reading

    def wait_for(self, min_position: int | None, timeout: float = MAX_WAIT) -> int:
        """The applied position, after waiting (bounded) until it reaches ``min_position``."""
        applied = self.projector.applied_position()
        if min_position is None or applied >= min_position:
            return applied
        deadline = time.monotonic() + timeout
        while applied < min_position and time.monotonic() < deadline:
            self._wake.set()
            time.sleep(0.02)
            applied = self.projector.applied_position()
        return applied

    # Reports served from memory

    def cached_report(
        self, key: Hashable, min_position: int | None, *, due_too: bool = True
    ) -> Any | None:
        """A report computed at the position this process has seen applied, if still fresh.

        The position is known without asking the database: an in-process projector announces
        it, and an external one sends it (PostgreSQL) or has it read every ``WATCH_INTERVAL``
        (SQLite: a read without ``min_position`` may lag that much behind; :meth:`_watch`).
        The entry also dies after ``REPORT_TTL`` seconds. ``due_too=False``: nothing for a
        report due to be computed again that no request has claimed yet (:meth:`claim_refresh`).
        """
        position = self.projector.seen_position
        if position is None or (min_position is not None and position < min_position):
            return None
        with self._reports_lock:
            entry = self._reports.get(key)
        now = time.monotonic()
        if entry is None or entry.position != position or entry.expires < now:
            return None
        if not due_too and entry.refresh_at <= now:
            return None
        return entry.report

    def claim_refresh(self, key: Hashable) -> bool:
        """Whether the caller should compute the report under ``key`` again: true for one
        caller once the cached report is in its last ``REPORT_REFRESH`` seconds, so that it is
        replaced before it expires while the others are still served it (had it expired, every
        request of a busy report would wait for its computation, and set the p99)."""
        now = time.monotonic()
        with self._reports_lock:
            entry = self._reports.get(key)
            if entry is None or entry.refresh_at > now:
                return False
            entry.refresh_at = math.inf
            return True

    def remember_report(self, key: Hashable, position: int, report: Any) -> None:
        expires = time.monotonic() + REPORT_TTL
        with self._reports_lock:
            self._reports[key] = _Remembered(position, expires, report)
            while len(self._reports) > REPORT_CACHE_SIZE:
                self._reports.popitem(last=False)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def query(self, report: Callable[[Connection], T]) -> T:
        with self.connection() as conn:
            return report(conn)

    @contextmanager
    def report_budget(self) -> Iterator[None]:
        """Hold one of the process's report slots (``TRACKER_REPORT_WORKERS``) while a report
        is computed. Reports cost CPU in proportion to the data; without a bound, a few dozen
        heavy requests starve every other request of the interpreter. A request that finds no
        slot within ``REPORT_WAIT`` seconds is refused as busy (503, Retry-After)."""
        if not self._report_slots.acquire(timeout=REPORT_WAIT):
            raise Busy(
                N_("%(report_workers)s reports are being computed already; retry shortly"),
                report_workers=self.settings.report_workers,
            )
        try:
            yield
        finally:
            self._report_slots.release()

    def report(self, compute: Callable[[Connection], T]) -> T:
        """A report computed within the budget (:meth:`report_budget`)."""
        with self.report_budget():
            return self.query(compute)


class _Remembered:
    """A cached report: the position it was computed at, when it expires, when it is due to
    be computed again (:meth:`ReadModel.claim_refresh`), and the report."""

    __slots__ = ("expires", "position", "refresh_at", "report")

    def __init__(self, position: int, expires: float, report: Any) -> None:
        self.position = position
        self.expires = expires
        self.refresh_at = expires - REPORT_REFRESH
        self.report = report
