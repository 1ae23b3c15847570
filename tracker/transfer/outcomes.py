"""What the check found of each row: new, or already recorded by an earlier import.

Kept in memory up to :data:`KEPT_WINDOWS` windows of rows, and past that in a private
temporary SQLite file (an import of a million rows answers with a million outcomes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from tracker.transfer import windows
from tracker.transfer.rows import Row
from tracker.transfer.scratch import scratch_file
from tracker.transfer.workspace import Outcome

#: Outcomes kept in memory, in windows of rows (``windows.WINDOW_ROWS``, 1,000): about
#: 350 bytes a row. A file of more rows keeps them all in the temporary file instead.
KEPT_WINDOWS = 10


@dataclass(frozen=True)
class RowOutcome:
    line: int
    row_id: str
    type: str
    ref: str
    outcome: Outcome


@dataclass(frozen=True)
class CheckedRow:
    """What the check saw of a row, to find it again when recording."""

    line: int
    row_id: str
    actor: str | None
    digest: str
    new: bool


class RowOutcomes(Sequence[RowOutcome]):
    """Every checked row's outcome, in file order, in memory up to :data:`KEPT_WINDOWS`
    windows of rows and past that in a private temporary SQLite file. :meth:`close` deletes
    the file; so does the garbage collector."""

    _FIELDS = "line, row_id, type, ref, new, actor, digest"

    def __init__(self) -> None:
        self._in_memory = KEPT_WINDOWS * windows.WINDOW_ROWS
        self._db: sqlite3.Connection | None = None  # made when the outcomes outgrow memory
        self._kept: list[tuple[Any, ...]] = []  # while there is no file; as the file's rows
        self._count = 0
        self.new = 0

    def add(self, rows: list[tuple[Row, bool]]) -> None:
        found = [(r.line, r.row_id, r.kind, r.ref, int(new), r.actor, r.digest) for r, new in rows]
        self._count += len(rows)
        self.new += sum(new for _, new in rows)
        if self._db is None and self._count <= self._in_memory:
            self._kept.extend(found)
            return
        if self._db is None:
            self._db = scratch_file()
            self._db.execute(
                "CREATE TABLE outcomes (line INTEGER, row_id TEXT, type TEXT, ref TEXT, "
                "new INTEGER, actor TEXT, digest TEXT)"
            )
            found, self._kept = self._kept + found, []
        self._db.executemany(
            f"INSERT INTO outcomes ({self._FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?)", found
        )

    @property
    def in_file(self) -> bool:
        """Whether the outcomes outgrew memory and are kept in the temporary file."""
        return self._db is not None

    def close(self) -> None:
        self._kept = []
        if self._db is not None:
            self._db.close()

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> RowOutcome: ...

    @overload
    def __getitem__(self, index: slice) -> list[RowOutcome]: ...

    def __getitem__(self, index: int | slice) -> RowOutcome | list[RowOutcome]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return _outcome(self._rows(index, index + 1)[0])

    def __iter__(self) -> Iterator[RowOutcome]:
        for chunk in self.chunks():
            yield from chunk

    def chunks(self, size: int = windows.WINDOW_ROWS) -> Iterator[list[RowOutcome]]:
        """The outcomes in file order, ``size`` at a time."""
        for rows in self._pages(size):
            yield [_outcome(row) for row in rows]

    def checked(self) -> Iterator[CheckedRow]:
        """What the check saw of each row, in file order."""
        for rows in self._pages(windows.WINDOW_ROWS):
            for row in rows:
                yield CheckedRow(row[0], row[1], row[5], row[6], bool(row[4]))

    def _pages(self, size: int) -> Iterator[list[tuple[Any, ...]]]:
        for start in range(0, self._count, size):
            yield self._rows(start, start + size)

    def _rows(self, start: int, end: int) -> list[tuple[Any, ...]]:
        """The rows ``start`` to ``end`` (from 0, ``end`` excluded), in file order."""
        if self._db is None:
            return self._kept[start:end]
        query = f"SELECT {self._FIELDS} FROM outcomes WHERE rowid > ? AND rowid <= ? ORDER BY rowid"
        return self._db.execute(query, (start, end)).fetchall()


def _outcome(row: tuple[Any, ...]) -> RowOutcome:
    return RowOutcome(row[0], row[1], row[2], row[3], "new" if row[4] else "already recorded")
