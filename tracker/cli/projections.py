"""``tracker projections status|rebuild`` and ``tracker projector``: running the read model.

The read model is a projection of the event log (``tracker.readmodel``): these commands show
how far it has got, rebuild it from the log, and run its projector as a process of its own
(the scale-out path on PostgreSQL, where API processes run with ``TRACKER_PROJECTOR=external``).

Exit codes: 0 ok, 1 the database is unreachable or not migrated or the work failed,
2 a usage or configuration error.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal
from types import FrameType
from typing import NoReturn

import click
import psycopg
from eventsourcing.domain import EventSourcingError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from tracker.application import TrackerApplication
from tracker.cli import err, error_line, load_settings
from tracker.eventstore.migrate import MigrationError, current_revision, head_revision, is_at_head
from tracker.i18n import N_, gettext, ngettext, said
from tracker.i18n import formats as cldr
from tracker.logs import JsonFormatter, LogSettings, TextFormatter
from tracker.readmodel import rebuild as rebuilding
from tracker.readmodel.rebuild import RebuildFailed
from tracker.readmodel.service import ReadModel
from tracker.settings import Settings

log = logging.getLogger("tracker.projector")
out = Console()

#: Everything a database, its drivers or the event store may raise while we work.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    EventSourcingError,
    psycopg.Error,
    OSError,
)
#: What stops a rebuild that may be run again: the database, or readers holding the swap.
REBUILD_ERRORS: tuple[type[BaseException], ...] = (*DATABASE_ERRORS, RebuildFailed)

#: How often ``tracker projector`` checks that its worker threads are alive (seconds).
WATCH_INTERVAL = 0.25


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr (never wrapped, never a traceback), then exit."""
    err.print(error_line(escape(message)), soft_wrap=True, highlight=False)
    sys.exit(code)


def reason(error: BaseException) -> str:
    """The first line of what the driver said, without SQLAlchemy's decorations."""
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def where(settings: Settings) -> str:
    """The database, for messages (the password is hidden)."""
    if settings.is_postgres:
        return f"{settings.url.render_as_string()} (schema {settings.db_schema})"
    return str(settings.sqlite_path)


def ready_settings() -> Settings:
    """The settings, once the database is known to be reachable and migrated (else exit 1)."""
    settings = load_settings()
    if not settings.is_postgres and not settings.sqlite_path.is_file():
        fail(f"there is no database file {settings.sqlite_path}; run `tracker migrate` first")
    try:
        if not is_at_head(settings):
            revision = current_revision(settings)
            state = "not migrated" if revision is None else f"at revision {revision}"
            fail(
                f"the database {where(settings)} is {state}, this code needs revision "
                f"{head_revision()}; run `tracker migrate` first"
            )
    except MigrationError as error:
        fail(str(error))
    except DATABASE_ERRORS as error:
        fail(f"cannot reach the database {where(settings)}: {reason(error)}")
    return settings


@contextmanager
def opened(settings: Settings) -> Iterator[ReadModel]:
    """The tracker application and a read model on it (not started), closed afterwards."""
    try:
        tracker = TrackerApplication(settings)
    except DATABASE_ERRORS as error:
        fail(f"cannot open the event store at {where(settings)}: {reason(error)}")
    try:
        readmodel = ReadModel(tracker, in_process=True)
        try:
            yield readmodel
        finally:
            readmodel.stop()
    finally:
        tracker.close()


@dataclass(frozen=True)
class Positions:
    projection: str
    applied: int
    head: int
    lag: int
    pending_events: int
    #: How long the oldest pending event has waited (None: it cannot be read).
    lag_seconds: float | None
    #: Events the projector could not apply and set aside: the reports lack them.
    set_aside: list[dict[str, object]]


def read_status(settings: Settings, readmodel: ReadModel) -> Positions:
    projector = readmodel.projector
    state = projector.state()
    pending = readmodel.tracker.store.count_events(after=state.applied)
    return Positions(
        projector.name,
        state.applied,
        state.head,
        max(state.head - state.applied, 0),
        pending,
        state.lag_seconds,
        [
            {
                "position": failure.position,
                "aggregate": failure.originator_id,
                "version": failure.originator_version,
                "topic": failure.topic,
                "error": failure.error,
                "failed_at": failure.failed_at.isoformat(),
            }
            for failure in state.set_aside
        ],
    )


def failures_columns() -> tuple[str, ...]:
    return ("position", "aggregate", "version", "topic", "error")


# tracker projections …


@click.group(
    help=N_(
        "Inspect and rebuild the read model (the projection of the event log).\n\n"
        "The database comes from TRACKER_DATABASE_URL and TRACKER_DB_SCHEMA."
    )
)
def projections() -> None:
    pass


@projections.command(
    help=N_(
        "Show the applied position, the head of the event log and the lag between them, and "
        "the events the projector set aside because it could not apply them.\n\n"
        'Positions are global positions in the event log; "pending events" counts the events '
        "not yet applied (on PostgreSQL the position sequence may have gaps, so it can be "
        "below the lag)."
    )
)
@click.option(
    "--json", "as_json", is_flag=True, help=N_("Print one JSON object instead of a table.")
)
def status(as_json: bool) -> None:
    settings = ready_settings()
    with opened(settings) as readmodel:
        try:
            current = read_status(settings, readmodel)
        except DATABASE_ERRORS as error:
            fail(gettext("cannot read the positions: %(reason)s", reason=reason(error)))
    if as_json:
        click.echo(json.dumps(asdict(current)))
        return
    title = gettext("Read model at %(where)s", where=escape(where(settings)))
    grid = Table(title=title, title_justify="left")
    grid.add_column(gettext("projection"))
    grid.add_column(gettext("applied position"), justify="right")
    grid.add_column(gettext("head position"), justify="right")
    grid.add_column(gettext("lag"), justify="right")
    grid.add_column(gettext("pending events"), justify="right")
    grid.add_column(gettext("oldest pending"), justify="right")
    style = "green" if current.lag == 0 else "yellow"
    waited = (
        gettext("unreadable")
        if current.lag_seconds is None
        else gettext("%(seconds)s s", seconds=cldr.number(Decimal(f"{current.lag_seconds:.1f}"), 1))
    )
    grid.add_row(
        current.projection,
        str(current.applied),
        str(current.head),
        f"[{style}]{current.lag}[/{style}]",
        str(current.pending_events),
        waited,
    )
    out.print(grid)
    if current.set_aside:
        count = ngettext(
            "%(num)s event set aside", "%(num)s events set aside", len(current.set_aside)
        )
        failures = Table(
            title=f"[red]{count}[/red]: "
            + gettext("the reports lack them until `tracker projections rebuild` applies them"),
            title_justify="left",
        )
        for name in failures_columns():
            failures.add_column(name)
        for failure in current.set_aside:
            failures.add_row(*(escape(str(failure[name])) for name in failures_columns()))
        out.print(failures)


@projections.command(
    help=N_(
        "Empty the read model and apply the whole event log again, with a progress bar.\n\n"
        "The event log is the source of truth and is not touched; neither are the FX rates. "
        "The rebuild writes into copies of the tables and swaps them in once it reaches the "
        "head: reports show the old figures until then, and a rebuild that stops leaves them "
        "as they were. Events set aside before are tried again."
    )
)
def rebuild() -> None:
    settings = ready_settings()
    with opened(settings) as readmodel:
        projector = readmodel.projector
        started = time.monotonic()
        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("positions"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=False) as bar:
            task = bar.add_task(gettext("rebuilding the read model"), total=None)

            def advance(applied: int, head: int) -> None:
                bar.update(task, completed=applied, total=max(head, applied))

            try:
                head = projector.head_position()
                bar.update(task, total=head)
                position = rebuilding.rebuild(projector, progress=advance)
                bar.update(task, completed=position, total=max(head, position))
                applied = readmodel.tracker.store.count_events(upto=position)
            except REBUILD_ERRORS as error:
                bar.stop()
                why = said(error) if isinstance(error, RebuildFailed) else reason(error)
                fail(gettext("the rebuild stopped: %(reason)s; run it again", reason=why))
        elapsed = time.monotonic() - started
    rate = applied / elapsed if elapsed > 0 else float(applied)
    out.print(
        gettext(
            "rebuilt the read model: %(applied)s events applied up to position %(position)s "
            "in %(seconds)s s (%(rate)s events/s)",
            applied=cldr.number(applied),
            position=position,
            seconds=cldr.number(Decimal(f"{elapsed:.2f}"), 2),
            rate=cldr.number(round(rate)),
        ),
        soft_wrap=True,
        highlight=False,
    )


# tracker projector


@contextmanager
def logging_to_stderr(settings: LogSettings) -> Iterator[None]:
    """Log ``tracker.*`` on stderr in ``tracker serve``'s format (``TRACKER_LOG_FORMAT``: one
    JSON object per line, or text on a terminal) at ``TRACKER_LOG_LEVEL``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    logger = logging.getLogger("tracker")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(settings.level.upper())
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@contextmanager
def stop_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT ask for a graceful stop; a second one stops at once (exit 1)."""

    def handle(signum: int, _: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("%s again: stopping without waiting", name)
            raise SystemExit(1)
        log.info("%s received: stopping", name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def thread_failures_logged() -> Iterator[None]:
    """An exception that ends a worker thread is one log line, not a traceback."""

    def hook(failure: threading.ExceptHookArgs) -> None:
        name = failure.thread.name if failure.thread else "?"
        error = failure.exc_value or failure.exc_type()
        log.error("worker thread %r failed: %s: %s", name, type(error).__name__, reason(error))

    previous = threading.excepthook
    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


def log_position(settings: Settings, readmodel: ReadModel) -> None:
    try:
        current = read_status(settings, readmodel)
    except DATABASE_ERRORS as error:
        log.warning("cannot read the positions: %s", reason(error))
        return
    log.info(
        "applied position %d, head %d, lag %d (%d events pending)",
        current.applied,
        current.head,
        current.lag,
        current.pending_events,
    )


def run_until_stopped(
    settings: Settings,
    readmodel: ReadModel,
    workers: Callable[[], list[threading.Thread]],
    interval: float,
) -> int:
    """Watch the projector's threads until a signal comes; the exit code."""
    stop = threading.Event()
    with stop_signals(stop), thread_failures_logged():
        try:
            readmodel.start()
        except DATABASE_ERRORS as error:
            log.error("the projector could not start: %s", reason(error))
            return 1
        log_position(settings, readmodel)
        next_log = time.monotonic() + interval
        while not stop.wait(WATCH_INTERVAL):
            dead = [thread.name for thread in workers() if not thread.is_alive()]
            if dead:
                log.error(
                    "worker thread %s stopped unexpectedly; exiting so that a supervisor "
                    "can restart the projector",
                    ", ".join(repr(name) for name in dead),
                )
                return 1
            if time.monotonic() >= next_log:
                log_position(settings, readmodel)
                next_log = time.monotonic() + interval
    log_position(settings, readmodel)
    readmodel.stop()
    log.info("projector stopped")
    return 0


@click.command(
    help=N_(
        "Run the read-model projector as a process of its own.\n\n"
        "It catches up with the event log, then applies new events as they are recorded (it "
        "LISTENs on PostgreSQL and polls on SQLite) until SIGTERM or SIGINT, logging its "
        "position every --log-interval seconds. Run it beside API processes started with "
        "TRACKER_PROJECTOR=external. Several projectors may run at once: each batch of events "
        "is applied exactly once."
    )
)
@click.option("--once", is_flag=True, help=N_("Catch up with the event log, then exit."))
@click.option(
    "--log-interval",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help=N_("Seconds between two log lines with the positions."),
)
def projector(once: bool, log_interval: float) -> None:
    settings = ready_settings()
    logs = LogSettings.of(settings)
    with opened(settings) as readmodel:
        if once:
            started = time.monotonic()
            try:
                before = readmodel.projector.applied_position()
                position = readmodel.projector.catch_up()
                head = readmodel.projector.head_position()
                applied = readmodel.tracker.store.count_events(after=before, upto=position)
            except DATABASE_ERRORS as error:
                fail(gettext("the projector could not catch up: %(reason)s", reason=reason(error)))
            out.print(
                gettext(
                    "caught up: %(applied)s events applied, position %(position)s "
                    "(head %(head)s) in %(seconds)s s",
                    applied=cldr.number(applied),
                    position=position,
                    head=head,
                    seconds=cldr.number(Decimal(f"{time.monotonic() - started:.2f}"), 2),
                ),
                soft_wrap=True,
                highlight=False,
            )
            return
        with logging_to_stderr(logs):
            log.info("projector starting on %s", where(settings))
            # The service keeps its threads private; a thread that dies (an error the service
            # does not catch) must end the process rather than leave it idle.
            code = run_until_stopped(settings, readmodel, lambda: readmodel._threads, log_interval)
    sys.exit(code)
