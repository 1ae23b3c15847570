"""Reading a file in windows of rows: the parsed rows, and the survey some files need first.

An import never holds the file: each pass reads it from the start, :data:`WINDOW_ROWS` rows
at a time. Most files are read once: the rows are counted and the row ids used twice found
as the windows are parsed (:class:`RowIds`). A file with a row that corrects or retracts
another is surveyed first (:func:`survey`: a quick read that counts the rows and finds the
row ids used twice and the rows that corrections and retractions name, which the check must
remember past their window) and then read again to be checked; the one pass gives way to
this as soon as it meets such a row (:class:`NeedsSurvey`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import IO
from uuid import UUID

from tracker.domain.errors import N_
from tracker.transfer.errors import RowError, Undecodable
from tracker.transfer.file_format import FileFormat
from tracker.transfer.rate_rows import ChooseRateSets
from tracker.transfer.readers import read_rows, stream_size
from tracker.transfer.references import owner_of, project_id_for, row_key
from tracker.transfer.rows import Row, parse_row
from tracker.transfer.scratch import FirstUses, Tally

#: Rows read, parsed and checked (or recorded) at a time: with the aggregates, what an import
#: holds in memory, whatever the size of the file. Read as ``windows.WINDOW_ROWS`` elsewhere,
#: so that one setting (a test's smaller windows) holds for every pass.
WINDOW_ROWS = 1000
#: What an import reports as it goes: the stage, how far it got, and how far it goes.
Progress = Callable[[str, int, int], None]
#: Row ids the one pass keeps in memory (about 250 bytes each) to find one used twice; a file
#: of more keeps them all in a temporary SQLite file instead.
KEPT_IDS = 10_000


class NeedsSurvey(Exception):
    """The one pass met a row that corrects or retracts another: which rows the check must
    remember past their window is known only from a survey of the whole file."""


class RowIds:
    """The row ids read so far, each with the line of its first use, so that a row id used
    twice is found as the file is read once: in memory up to :data:`KEPT_IDS`, past that all
    in a private temporary SQLite file. :meth:`close` deletes the file."""

    def __init__(self) -> None:
        self._first: dict[tuple[UUID, str], int] = {}
        self._file: FirstUses | None = None

    def repeated(self, uses: list[tuple[tuple[UUID, str], int]]) -> dict[int, int]:
        """Note the (owner, row id) of a window's rows with their lines, in file order; map
        the line of each row whose key an earlier row used to that first use's line."""
        found: dict[int, int] = {}
        first = self._first
        if self._file is None:
            for key, line in uses:
                earlier = first.setdefault(key, line)
                if earlier != line:
                    found[line] = earlier
            if len(first) > KEPT_IDS:
                self._file = FirstUses([(o.bytes, r, line) for (o, r), line in first.items()])
                self._first = {}
            return found
        window: dict[tuple[UUID, str], int] = {}
        again: list[tuple[int, tuple[UUID, str]]] = []
        for key, line in uses:
            earlier = window.setdefault(key, line)
            if earlier != line:
                again.append((line, key))
        stored = {
            (UUID(bytes=owner), row_id): line
            for owner, row_id, line in self._file.note(
                [(owner.bytes, row_id, line) for (owner, row_id), line in window.items()]
            )
        }
        for key, line in stored.items():
            found[window[key]] = line
        for line, key in again:
            found[line] = stored.get(key, window[key])
        return found

    @property
    def in_file(self) -> bool:
        return self._file is not None

    def close(self) -> None:
        self._first = {}
        if self._file is not None:
            self._file.close()


@dataclass
class Survey:
    """What one quick read of the whole file tells before any row is checked."""

    rows: int = 0
    #: Hashes of the (aggregate, row_id) pairs that occur more than once (or collide).
    duplicates: frozenset[int] = frozenset()
    #: The (aggregate, idempotency key) pairs that corrections and retractions name: the only
    #: rows whose versions and events the import must remember past their window.
    referenced: set[tuple[UUID, str]] = field(default_factory=set)
    undecodable: RowError | None = None


def survey(stream: IO[bytes], fmt: FileFormat, progress: Progress | None = None) -> Survey:
    """Count the rows, find the row ids used twice and the rows that others name.

    Row-id hashes are counted in a temporary file (not a set in memory) to find the repeated
    ones, so the survey's memory does not grow with the file either."""
    found = Survey()
    duplicates: set[int] = set()
    total = stream_size(stream)
    with closing(Tally()) as tally:
        hashes: list[tuple[int]] = []
        for item in read_rows(stream, fmt):
            if isinstance(item, RowError):
                if isinstance(item, Undecodable):
                    found.undecodable = item
                continue
            found.rows += 1
            cells = item.cells
            row_id = cells.get("row_id")
            if row_id is not None:
                hashes.append((hash((owner_of(cells), row_id)),))
            for column in ("corrects", "retracts"):
                if column in cells and "project_ref" in cells:
                    target = project_id_for(cells["project_ref"]), row_key(cells[column])
                    found.referenced.add(target)
            if len(hashes) >= WINDOW_ROWS:
                tally.add(hashes)
                hashes.clear()
                if progress:
                    progress("reading", min(stream.tell(), total), total)
        tally.add(hashes)
        duplicates.update(tally.repeated())
    found.duplicates = frozenset(duplicates)
    if progress:
        progress("reading", total, total)
    return found


def parsed_windows(
    stream: IO[bytes],
    fmt: FileFormat,
    found: Survey,
    errors: list[RowError],
    *,
    failed: Failed | None = None,
    once: RowIds | None = None,
) -> Iterator[list[Row]]:
    """The file's rows parsed, :data:`WINDOW_ROWS` at a time; every cell that could not be
    parsed goes to ``errors`` (all of them, not the first). ``failed`` collects the
    references whose portfolio or announcement row is bad.

    With ``once`` the file is read once: ``found`` (empty) is filled in as the rows are read
    (their count, a byte that is not text) and ``once`` finds the row ids used twice; a row
    that corrects or retracts another raises :class:`NeedsSurvey`. Without it, ``found`` is
    the survey's."""
    if once is not None:
        yield from _read_once(stream, fmt, found, errors, failed, once)
        return
    window: list[Row] = []
    first_use: dict[tuple[UUID, str], int] = {}  # only for the row ids the survey saw twice
    for item in read_rows(stream, fmt):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        row = parse_row(item, errors)
        cells = item.cells
        if row is None and failed is not None:
            failed.add(cells.get("type"), cells)
        row_id = cells.get("row_id")
        if row_id is None:
            continue
        key = (owner_of(cells), row_id)
        if hash(key) in found.duplicates:
            first = first_use.setdefault(key, item.line)
            if first != item.line:
                errors.append(_used_before(item.line, row_id, first))
                continue
        if row is not None:
            window.append(row)
            if len(window) >= WINDOW_ROWS:
                yield window
                window = []
    if window:
        yield window


def _read_once(
    stream: IO[bytes],
    fmt: FileFormat,
    found: Survey,
    errors: list[RowError],
    failed: Failed | None,
    ids: RowIds,
) -> Iterator[list[Row]]:
    """:func:`parsed_windows` in one pass: a window's rows are parsed, then its row ids
    looked up among those read before (all at once), then it is handed on."""
    read: list[tuple[Row | None, str, int]] = []  # the window's rows with a row_id
    uses: list[tuple[tuple[UUID, str], int]] = []
    for item in read_rows(stream, fmt):
        if isinstance(item, RowError):
            if isinstance(item, Undecodable):
                found.undecodable = item
            errors.append(item)
            continue
        found.rows += 1
        cells = item.cells
        if "corrects" in cells or "retracts" in cells:
            raise NeedsSurvey
        row = parse_row(item, errors)
        if row is None and failed is not None:
            failed.add(cells.get("type"), cells)
        row_id = cells.get("row_id")
        if row_id is None:
            continue
        read.append((row, row_id, item.line))
        uses.append(((owner_of(cells), row_id), item.line))
        if len(read) >= WINDOW_ROWS:
            window = _window(read, ids.repeated(uses), errors)
            read, uses = [], []
            if window:
                yield window
    window = _window(read, ids.repeated(uses), errors)
    if window:
        yield window


def _window(
    read: list[tuple[Row | None, str, int]], repeated: dict[int, int], errors: list[RowError]
) -> list[Row]:
    window = []
    for row, row_id, line in read:
        if line in repeated:
            errors.append(_used_before(line, row_id, repeated[line]))
        elif row is not None:
            window.append(row)
    return window


def _used_before(line: int, row_id: str, first: int) -> RowError:
    return RowError(
        line,
        "row_id",
        N_("row_id %(row_id)r is already used on line %(first)s"),
        row_id=row_id,
        first=first,
    )


def first_error_per_cell(errors: list[RowError]) -> list[RowError]:
    """One error per cell (a JSON value refused while reading is not also "blank"), by line."""
    unique: dict[tuple[int, str | None], RowError] = {}
    for error in errors:
        unique.setdefault((error.line, error.column), error)
    return sorted(unique.values(), key=lambda e: e.line)


@dataclass
class Failed:
    """References whose creating row is bad: the rows that build on them are not judged
    (the creating row's error says why; judging them would only repeat it)."""

    portfolios: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    rate_sets: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)

    def add(self, kind: str | None, cells: Mapping[str, str]) -> None:
        if kind == "portfolio" and "portfolio_ref" in cells:
            self.portfolios.add(cells["portfolio_ref"])
        elif kind == "announced" and "project_ref" in cells:
            self.projects.add(cells["project_ref"])
        elif kind == "rate_set" and "rate_set_ref" in cells:
            self.rate_sets.add(cells["rate_set_ref"])
        elif kind == "document_signed" and "document_ref" in cells:
            self.documents.add(cells["document_ref"])

    def blocks(self, row: Row) -> bool:
        if not (self.portfolios or self.projects or self.rate_sets or self.documents):
            return False  # nothing failed (most files): nothing to block, nothing to add
        if row.kind == "rate":
            return row.rate_set_ref in self.rate_sets
        if row.document_ref is not None:
            if row.kind == "document_signed" and row.portfolio_ref in self.portfolios:
                self.documents.add(row.document_ref)
            return row.document_ref in self.documents
        if isinstance(row.payload, ChooseRateSets) and (
            row.portfolio_ref in self.portfolios
            or any(ref in self.rate_sets for ref in row.payload.rate_set_refs)
        ):
            return True
        if (
            row.kind in ("targets", "statement", "reporting_organisation", "announced")
            and row.portfolio_ref in self.portfolios
        ):
            if row.kind == "announced" and row.project_ref is not None:
                self.projects.add(row.project_ref)
            return True
        return row.kind not in ("portfolio", "announced") and row.project_ref in self.projects
