"""What the check found of each row: new, or already recorded by an earlier import.

Kept in memory up to :data:`KEPT_WINDOWS` windows of rows, and past that in a private
temporary SQLite file (an import of a million rows answers with a million outcomes).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from tracker.transfer import windows
from tracker.transfer.rows import Row
from tracker.transfer.scratch import SpilledRows
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

    def __init__(self) -> None:
        self._kept = SpilledRows(
            "outcomes",
            "line INTEGER, row_id TEXT, type TEXT, ref TEXT, new INTEGER, actor TEXT, digest TEXT",
            KEPT_WINDOWS * windows.WINDOW_ROWS,
        )
        self.new = 0

    def add(self, rows: list[tuple[Row, bool]]) -> None:
        self._kept.extend(
            [(r.line, r.row_id, r.kind, r.ref, int(new), r.actor, r.digest) for r, new in rows]
        )
        self.new += sum(new for _, new in rows)

    @property
    def in_file(self) -> bool:
        """Whether the outcomes outgrew memory and are kept in the temporary file."""
        return self._kept.in_file

    def close(self) -> None:
        self._kept.close()

    def __len__(self) -> int:
        return len(self._kept)

    @overload
    def __getitem__(self, index: int) -> RowOutcome: ...

    @overload
    def __getitem__(self, index: slice) -> list[RowOutcome]: ...

    def __getitem__(self, index: int | slice) -> RowOutcome | list[RowOutcome]:
        count = len(self._kept)
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(count))]
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(index)
        return _outcome(self._kept.rows(index, index + 1)[0])

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
        for start in range(0, len(self._kept), size):
            yield self._kept.rows(start, start + size)


def _outcome(row: tuple[Any, ...]) -> RowOutcome:
    return RowOutcome(row[0], row[1], row[2], row[3], "new" if row[4] else "already recorded")
