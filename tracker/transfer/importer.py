"""Bulk import: portfolios, projects and their events from one CSV or JSON format.

The format is documented in ``docs/import-format.md``. The file is read as a stream, a
window of rows at a time (never whole), in three passes:

0. *Survey*: count the rows, find row ids used twice and the rows corrections name.
1. *Check*: every row is parsed and applied to in-memory aggregates (loaded from the store
   when they already exist), in file order, so the domain's own rules judge each row. Every
   bad row is collected; one bad row and nothing is recorded.
2. *Record*: the file is read again and its new rows applied to freshly loaded aggregates
   and saved in batches, one transaction per batch, so events carry the time they were
   actually recorded. An interruption leaves a prefix of the file recorded.

Memory holds the aggregates the file touches (about 2 KB a project) and one window of rows;
each row's outcome goes to a temporary SQLite file.

Idempotency is the domain's: each row's event carries ``idempotency_key = "import:<row_id>"``
and a digest of the row, and ids derive from the file's references, so importing the same file
again finds every row already recorded and records nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from tracker.application import TrackerApplication
from tracker.domain.base import TrackedAggregate
from tracker.domain.document import Document
from tracker.domain.errors import TrackerError
from tracker.domain.project import Project
from tracker.transfer import windows
from tracker.transfer.errors import (
    NO_ROWS,
    ImportForbidden,
    ImportInterrupted,
    ImportRejected,
    RowError,
)
from tracker.transfer.file_format import FileFormat, FileKind
from tracker.transfer.outcomes import RowOutcome, RowOutcomes
from tracker.transfer.readers import ImportSource, opened, read_rows, resolved
from tracker.transfer.references import ref_column
from tracker.transfer.rows import Row, column_of, parse_row, row_digest
from tracker.transfer.windows import (
    Failed,
    Progress,
    Survey,
    first_error_per_cell,
    parsed_windows,
    survey,
)
from tracker.transfer.workspace import Workspace

#: Events saved per transaction while recording.
BATCH_EVENTS = 1000
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
        return RowError(row.line, "type", f"a {row.kind!r} row needs an admin key of no portfolio")
    if row.kind in _ADMIN_ROWS and not importer.admin:
        return RowError(row.line, "type", f"a {row.kind!r} row needs an admin key")
    if row.actor is not None and row.actor != importer.actor and not importer.admin:
        return RowError(
            row.line, "actor", "only an admin key may import rows recorded by someone else"
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

    The file is read as a stream, three times: a quick survey (rows, repeated row ids, rows
    that others name), the check, and the recording, each :data:`WINDOW_ROWS` rows at a time.

    Raises :class:`ImportRejected` listing every bad row (nothing recorded),
    :class:`ImportForbidden` for rows the importer may not record, and
    :class:`ImportInterrupted` when another writer changed a project mid-way (or the file
    changed between the check and the recording).
    """
    started = time.perf_counter()
    today = today or datetime.now(UTC).date()
    with opened(data) as stream:
        read_as = resolved(stream, fmt)
        if read_as.sheet is not None:
            source = f"{source}, sheet {read_as.sheet!r}"
        found = survey(stream, read_as, progress)
        if found.undecodable is not None:
            raise ImportRejected(source, [found.undecodable])
        outcomes = RowOutcomes()
        try:
            errors, forbidden, created = check(
                tracker, stream, read_as, importer, today, found, outcomes, progress
            )
            if errors:
                raise ImportRejected(source, errors)
            if not outcomes:
                raise ImportRejected(source, [RowError(1, None, NO_ROWS)])
            if forbidden:
                raise ImportForbidden(source, forbidden)
            report = ImportReport(source, dry_run, outcomes, read_as)
            if not dry_run and report.new:
                report.events_recorded, report.position = record_in_batches(
                    tracker,
                    stream,
                    read_as,
                    importer,
                    today,
                    found,
                    outcomes,
                    created,
                    progress,
                    batch_events,
                )
        except BaseException:
            outcomes.close()
            raise
    report.seconds = time.perf_counter() - started
    return report


def check(
    tracker: TrackerApplication,
    stream: IO[bytes],
    fmt: FileFormat,
    importer: Importer,
    today: date,
    found: Survey,
    outcomes: RowOutcomes,
    progress: Progress | None = None,
) -> tuple[list[RowError], list[RowError], set[UUID]]:
    """Apply every row in memory, window by window; nothing is saved. Rows that build on a bad
    portfolio or announcement row are not judged. Return every bad row, the rows the importer
    may not import, and the aggregates the file creates."""
    workspace = Workspace(tracker, referenced=found.referenced, keep_events=True)
    parse_errors: list[RowError] = []
    errors: list[RowError] = []
    forbidden: list[RowError] = []
    failed = Failed()
    done = 0
    if progress:
        progress("checking", 0, found.rows)
    parsed = parsed_windows(stream, fmt, found, parse_errors, failed=failed)
    for window in parsed:
        workspace.begin(window)
        checked: list[tuple[Row, bool]] = []
        for row in window:
            if failed.blocks(row):
                continue
            denied = _permission(row, importer)
            try:
                outcome, aggregate = workspace.apply(row, importer.actor, today)
            except TrackerError as error:
                errors.append(RowError(row.line, column_of(row, error), error.detail))
                failed.add(row.kind, dict.fromkeys(_REFERENCES, row.ref))
                continue
            scope = importer.portfolio_scope
            if denied is None and scope is not None and _portfolio_of(row, aggregate) != scope:
                denied = RowError(
                    row.line,
                    "portfolio_ref" if row.portfolio_ref else ref_column(row.kind),
                    "this key may only import rows of its own portfolio",
                )
            if denied is not None:
                forbidden.append(denied)
            checked.append((row, outcome == "new"))
        outcomes.add(checked)
        done += len(window)
        if progress:
            progress("checking", min(done, found.rows), found.rows)
    errors = sorted([*first_error_per_cell(parse_errors), *errors], key=lambda e: e.line)
    return errors, forbidden, set(workspace.created_on_line)


def record_in_batches(
    tracker: TrackerApplication,
    stream: IO[bytes],
    fmt: FileFormat,
    importer: Importer,
    today: date,
    found: Survey,
    outcomes: RowOutcomes,
    created: set[UUID],
    progress: Progress | None = None,
    batch_events: int = BATCH_EVENTS,
) -> tuple[int, int | None]:
    """Read the file again and apply its new rows on fresh state, saving them one transaction
    per batch of about ``batch_events`` events. Return the events recorded and the last
    position. Each row must be the one the check saw on that line: a file that changed since
    is not recorded past the change."""
    workspace = Workspace(tracker, referenced=found.referenced, absent=created)
    touched: dict[UUID, TrackedAggregate] = {}
    order: list[tuple[UUID, int]] = []  # the events in the order of their rows
    pending = recorded = 0
    position: int | None = None
    batch_line = 0  # the first line whose event is not saved yet

    def flush() -> None:
        nonlocal pending, recorded, position, batch_line
        if not touched:
            return
        try:
            recordings = tracker.save_many(list(touched.values()), order=order)
        except IntegrityError:
            raise ImportInterrupted(
                f"another writer changed a project while this file was recorded: the rows "
                f"before line {batch_line} were recorded, the others not. Import the file "
                "again; the rows already recorded are skipped"
            ) from None
        if recordings:
            position = recordings[-1].notification.id
        recorded += pending
        pending = batch_line = 0
        touched.clear()
        order.clear()

    if progress:
        progress("recording", 0, found.rows)
    new_rows = _new_rows(stream, fmt, outcomes)
    try:
        for done, window in new_rows:
            workspace.begin(window)
            for row in window:
                try:
                    outcome, aggregate = workspace.apply(row, importer.actor, today)
                except TrackerError as error:
                    raise ImportInterrupted(
                        f"line {row.line} no longer applies ({error.detail}): another writer "
                        f"changed its project meanwhile. The rows before line "
                        f"{batch_line or row.line} were recorded, the others not; import the "
                        "file again (rows already recorded are skipped)"
                    ) from None
                if outcome == "new":
                    if not pending:
                        batch_line = row.line
                    touched[aggregate.id] = aggregate
                    order.append((aggregate.id, aggregate.version))
                    pending += 1
                if pending >= batch_events:
                    flush()
            if progress:
                progress("recording", done, found.rows)
    except _FileChanged as change:
        raise ImportInterrupted(
            f"the file changed after it was checked (line {change.line} is not the row that "
            f"was checked): the rows before line {batch_line or change.line} were recorded, "
            "the others not. Check the file and import it again; the rows already recorded "
            "are skipped"
        ) from None
    flush()
    return recorded, position


class _FileChanged(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _new_rows(
    stream: IO[bytes], fmt: FileFormat, outcomes: RowOutcomes
) -> Iterator[tuple[int, list[Row]]]:
    """The rows the check found new, parsed again, :data:`WINDOW_ROWS` rows of the file at a
    time (with how many rows were read so far). Every row must be the one the check saw on
    its line (its row_id, actor and digest), or :class:`_FileChanged` says where it is not;
    the rows recorded before the check are not parsed again."""
    checked = outcomes.checked()
    window: list[Row] = []
    errors: list[RowError] = []
    read = 0
    for item in read_rows(stream, fmt):
        if isinstance(item, RowError):
            raise _FileChanged(item.line)
        seen = next(checked, None)
        cells = item.cells
        if seen is None or (seen.line, seen.row_id, seen.actor) != (
            item.line,
            cells.get("row_id"),
            cells.get("actor"),
        ):
            raise _FileChanged(item.line)
        read += 1
        if seen.new:
            row = parse_row(item, errors)
            if row is None or row.digest != seen.digest:
                raise _FileChanged(item.line)
            window.append(row)
        elif row_digest(cells) != seen.digest:
            raise _FileChanged(item.line)
        if read % windows.WINDOW_ROWS == 0:
            yield read, window
            window = []
    left = next(checked, None)
    if left is not None:
        raise _FileChanged(left.line)
    yield read, window
