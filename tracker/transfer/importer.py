"""Bulk import: portfolios, projects and their events from one CSV or JSON format.

The format is documented in ``docs/import-format.md``. The file is read as a stream, a
window of rows at a time (never whole), once, and then its new rows' events are recorded:

0. *Survey*, only for a file with a row that corrects or retracts another: count the rows,
   find row ids used twice and the rows corrections name (the check must remember those).
   Any other file is checked in one pass, which counts its rows and finds the row ids used
   twice as it goes; it gives way to the survey (and a second read) at the first correction
   or retraction it meets.
1. *Check*: every row is parsed and applied to in-memory aggregates (loaded from the store
   when they already exist), in file order, so the domain's own rules judge each row. Every
   bad row is collected; one bad row and nothing is recorded.
2. *Record*: the events the check made of the new rows are saved in batches, in the order
   of their rows, one transaction per batch, each stamped with the time it is actually
   recorded. Each row is thus parsed and applied once. An aggregate another writer changed
   since the check stops the recording (its events' versions are taken); an interruption
   leaves a prefix of the file recorded.

Memory holds the aggregates the file touches (about 2 KB a project) and one window of rows;
each row's outcome and the new rows' events are kept in memory up to a bound (ten windows of
outcomes, 10,000 events: a few MB) and go to temporary SQLite files past it.

Idempotency is the domain's: each row's event carries ``idempotency_key = "import:<row_id>"``
and a digest of the row, and ids derive from the file's references, so importing the same file
again finds every row already recorded and records nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import resolve_topic

from tracker.application import TrackerApplication
from tracker.domain.base import TrackedAggregate
from tracker.domain.document import Document
from tracker.domain.errors import N_, TrackerError
from tracker.domain.project import Project
from tracker.readmodel.collector import collector_paused
from tracker.transfer.checked_events import CheckedEvents
from tracker.transfer.errors import (
    NO_ROWS,
    ImportForbidden,
    ImportInterrupted,
    ImportRejected,
    RowError,
)
from tracker.transfer.file_format import FileFormat, FileKind
from tracker.transfer.outcomes import RowOutcome, RowOutcomes
from tracker.transfer.readers import ImportSource, opened, resolved, stream_size
from tracker.transfer.references import ref_column
from tracker.transfer.rows import Row, column_of
from tracker.transfer.windows import (
    Failed,
    NeedsSurvey,
    Progress,
    RowIds,
    Survey,
    first_error_per_cell,
    parsed_windows,
    survey,
)
from tracker.transfer.workspace import Workspace

#: Events saved per transaction while recording: each batch's commit makes it durable (an
#: fsync on either database) and costs a few round trips to PostgreSQL, about as much as
#: writing a thousand events; 5,000 (~3 MB as kept, ~10 MB while saved) holds the store's
#: write lock for well under a second.
BATCH_EVENTS = 5000
# The collector, paused: the check (a window of rows at a time) and the recording (a batch
# at a time) run with Python's cyclic garbage collector paused. What a window or batch builds
# lives until it is done, and the aggregates until the import is, so the collections that
# would fire meanwhile walk them for nothing; the young collection that fires as each window
# ends (the collector on again) finds whatever cycles it left. A full collection, which walks
# every object of the process, then fires every ~100 windows rather than every few thousand
# rows (in a fresh process, once in a 5,000-row import: ~20 % of its time).
_REFERENCES = ("portfolio_ref", "project_ref", "rate_set_ref", "document_ref")


@dataclass(frozen=True)
class Importer:
    """Who imports, and what they may do (the API's rules for keys).

    ``actor`` is stored on every event whose row leaves ``actor`` blank. Only an ``admin``
    may import targets rows, a portfolio's choice of rate sets or rows recorded by someone
    else (an ``actor`` cell naming another), and only an admin not scoped to a portfolio may
    establish portfolios and rate sets and publish rates; a key scoped to a portfolio imports
    only rows of that portfolio. The CLI, which holds the
    database's credentials anyway, imports as an unscoped admin.
    """

    actor: str
    admin: bool = True
    portfolio_scope: UUID | None = None


def _portfolio_of(row: Row, aggregate: TrackedAggregate) -> UUID:
    if isinstance(aggregate, Project | Document):
        return aggregate.portfolio_id
    return aggregate.id


#: Rows that only an admin key of no portfolio may import: what every portfolio may use.
_UNSCOPED_ROWS = ("portfolio", "rate_set", "rate")
#: Rows that need an admin key (of their portfolio, or of none).
_ADMIN_ROWS = ("targets", "statement", "rate_sets_chosen", "reporting_organisation")


def _permission(row: Row, importer: Importer) -> RowError | None:
    if row.kind in _UNSCOPED_ROWS and (not importer.admin or importer.portfolio_scope):
        return RowError(
            row.line, "type", N_("a %(kind)r row needs an admin key of no portfolio"), kind=row.kind
        )
    if row.kind in _ADMIN_ROWS and not importer.admin:
        return RowError(row.line, "type", N_("a %(kind)r row needs an admin key"), kind=row.kind)
    if row.actor is not None and row.actor != importer.actor and not importer.admin:
        return RowError(
            row.line, "actor", N_("only an admin key may import rows recorded by someone else")
        )
    return None


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    rows: Sequence[RowOutcome] = ()
    #: How the file was read: its kind, and the encoding, separator or sheet found.
    file_format: FileFormat | None = None
    events_recorded: int = 0
    position: int | None = None
    seconds: float = 0.0

    @property
    def new(self) -> int:
        if isinstance(self.rows, RowOutcomes):
            return self.rows.new
        return sum(1 for r in self.rows if r.outcome == "new")

    @property
    def already_recorded(self) -> int:
        return len(self.rows) - self.new

    def close(self) -> None:
        """Let go of the rows' outcomes (a temporary file)."""
        if isinstance(self.rows, RowOutcomes):
            self.rows.close()


def import_rows(
    tracker: TrackerApplication,
    data: ImportSource,
    fmt: FileFormat | FileKind,
    importer: Importer,
    *,
    source: str = "upload",
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_events: int = BATCH_EVENTS,
    today: date | None = None,
) -> ImportReport:
    """Check every row, then (unless ``dry_run``) record the new ones in batches.

    The file is read as a stream, :data:`WINDOW_ROWS` rows at a time, once (a file with
    corrections or retractions twice: a quick survey of the rows that others name, then the
    check); the recording saves the events the check made.

    Raises :class:`ImportRejected` listing every bad row (nothing recorded),
    :class:`ImportForbidden` for rows the importer may not record, and
    :class:`ImportInterrupted` when another writer changed a project since the check.
    """
    started = time.perf_counter()
    today = today or datetime.now(UTC).date()
    with opened(data) as stream:
        read_as = resolved(stream, fmt)
        if read_as.sheet is not None:
            source = f"{source}, sheet {read_as.sheet!r}"
        found, outcomes, made, errors, forbidden = _checked(
            tracker, stream, read_as, importer, today, progress, dry_run, source
        )
        try:
            if found.undecodable is not None:
                raise ImportRejected(source, [found.undecodable])
            if errors:
                raise ImportRejected(source, errors)
            if not outcomes:
                raise ImportRejected(source, [RowError(1, None, NO_ROWS)])
            if forbidden:
                raise ImportForbidden(source, forbidden)
            report = ImportReport(source, dry_run, outcomes, read_as)
            if made is not None and report.new:
                report.events_recorded, report.position = record_in_batches(
                    tracker, made, found.rows, progress, batch_events
                )
        except BaseException:
            outcomes.close()
            raise
        finally:
            if made is not None:
                made.close()
    report.seconds = time.perf_counter() - started
    return report


def _checked(
    tracker: TrackerApplication,
    stream: IO[bytes],
    fmt: FileFormat,
    importer: Importer,
    today: date,
    progress: Progress | None,
    dry_run: bool,
    source: str,
) -> tuple[Survey, RowOutcomes, CheckedEvents | None, list[RowError], list[RowError]]:
    """Check the file in one pass or, once a row that corrects or retracts another shows
    up, survey it and check it again from the start: what the survey found, the rows'
    outcomes, the events to record (none in a dry run), the bad rows, the forbidden ones."""
    once: RowIds | None = RowIds()
    while True:
        found = Survey() if once is not None else survey(stream, fmt, progress)
        if found.undecodable is not None:
            raise ImportRejected(source, [found.undecodable])
        outcomes = RowOutcomes()
        made = None if dry_run else CheckedEvents(tracker.mapper)
        try:
            errors, forbidden = check(
                tracker, stream, fmt, importer, today, found, outcomes, progress, made, once=once
            )
            return found, outcomes, made, errors, forbidden
        except BaseException as error:
            outcomes.close()
            if made is not None:
                made.close()
            if not isinstance(error, NeedsSurvey):
                raise
        finally:
            if once is not None:
                once.close()
        once = None


def check(
    tracker: TrackerApplication,
    stream: IO[bytes],
    fmt: FileFormat,
    importer: Importer,
    today: date,
    found: Survey,
    outcomes: RowOutcomes,
    progress: Progress | None = None,
    made: CheckedEvents | None = None,
    *,
    once: RowIds | None = None,
) -> tuple[list[RowError], list[RowError]]:
    """Apply every row in memory, window by window; nothing is saved (the new rows' events go
    to ``made``, to be recorded). Rows that build on a bad portfolio or announcement row are
    not judged. Return every bad row and the rows the importer may not import.

    With ``once`` the file is read this once (``found`` is filled in as it goes, and the
    progress is told in bytes read, as ``reading``); a row that corrects or retracts
    another raises :class:`NeedsSurvey`. Without it, ``found`` is the survey's."""
    workspace = Workspace(tracker, referenced=found.referenced)
    parse_errors: list[RowError] = []
    errors: list[RowError] = []
    forbidden: list[RowError] = []
    failed = Failed()
    done = 0
    size = stream_size(stream) if once is not None and progress else 0
    if progress:
        progress(*(("reading", 0, size) if once is not None else ("checking", 0, found.rows)))
    parsed = parsed_windows(stream, fmt, found, parse_errors, failed=failed, once=once)
    while True:
        # a window at a time with the collector paused (see "The collector, paused")
        with collector_paused():
            window = next(parsed, None)
            if window is None:
                break
            workspace.begin(window)
            checked: list[tuple[Row, bool]] = []
            for row in window:
                if failed.blocks(row):
                    continue
                denied = _permission(row, importer)
                try:
                    outcome, aggregate = workspace.apply(row, importer.actor, today)
                except TrackerError as error:
                    errors.append(RowError.of(row.line, column_of(row, error), error))
                    failed.add(row.kind, dict.fromkeys(_REFERENCES, row.ref))
                    continue
                scope = importer.portfolio_scope
                if denied is None and scope is not None and _portfolio_of(row, aggregate) != scope:
                    denied = RowError(
                        row.line,
                        "portfolio_ref" if row.portfolio_ref else ref_column(row.kind),
                        N_("this key may only import rows of its own portfolio"),
                    )
                if denied is not None:
                    forbidden.append(denied)
                if outcome == "new" and made is not None:
                    made.add(row.line, workspace.made)
                checked.append((row, outcome == "new"))
            outcomes.add(checked)
            if made is not None:
                made.flush()
            done += len(window)
            # let the window's rows go before the collector is on again: dead, not walked
            del checked
            window.clear()
        if progress and once is not None:
            progress("reading", min(stream.tell(), size), size)
        elif progress:
            progress("checking", min(done, found.rows), found.rows)
    if progress and once is not None:
        progress("reading", size, size)
    errors = sorted([*first_error_per_cell(parse_errors), *errors], key=lambda e: e.line)
    return errors, forbidden


def record_in_batches(
    tracker: TrackerApplication,
    made: CheckedEvents,
    rows: int,
    progress: Progress | None = None,
    batch_events: int = BATCH_EVENTS,
) -> tuple[int, int | None]:
    """Save the events the check made, one transaction per batch of ``batch_events``, each
    stamped with the time of its batch; then snapshot the aggregates whose history crossed a
    snapshot interval. Return the events recorded and the last position."""
    recorded = 0
    position: int | None = None
    versions: dict[UUID, list[Any]] = {}  # topic, first and last version imported
    if progress:
        progress("recording", 0, rows)
    kept_batches = made.batches(batch_events)
    while True:
        with collector_paused():  # a batch at a time (see "The collector, paused")
            kept = next(kept_batches, None)
            if kept is None:
                break
            batch = made.stamped(kept, datetime.now(UTC))
            events = [event for _, event in batch]
            try:
                positions = tracker.save_events(events)
            except IntegrityError:
                raise ImportInterrupted(
                    N_(
                        "another writer changed a project while this file was recorded: the "
                        "rows before line %(line)s were recorded, the others not. Import the "
                        "file again; the rows already recorded are skipped"
                    ),
                    line=batch[0][0],
                ) from None
            if positions:
                position = positions[-1]
            recorded += len(events)
            for event in events:
                aggregate_id = event.originator_id
                assert isinstance(aggregate_id, UUID)  # kept events name their aggregate so
                seen = versions.get(aggregate_id)
                if seen is None:
                    version = event.originator_version
                    versions[aggregate_id] = [event.topic, version, version]
                else:
                    seen[2] = event.originator_version
            last_line = batch[-1][0]
            del kept, batch, events  # gone before the collector is on again (as above)
        if progress:
            progress("recording", min(last_line - 1, rows), rows)
    tracker.snapshot_crossed(
        (aggregate_id, resolve_topic(topic), first, last)
        for aggregate_id, (topic, first, last) in versions.items()
    )
    tracker.store.write_back()  # the import's pages are its own to write, not the next writer's
    return recorded, position
