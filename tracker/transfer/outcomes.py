"""What the check found of each row: new, or already recorded by an earlier import.

Kept in a private temporary SQLite file rather than in memory (an import of a million rows
answers with a million outcomes); the recording reads it back to find each row again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from tracker.transfer import windows
from tracker.transfer.rows import Row
from tracker.transfer.scratch import scratch_file
from tracker.transfer.workspace import Outcome


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
    """Every checked row's outcome, in file order, kept in a private temporary SQLite file
    rather than in memory (an import of a million rows answers with a million outcomes).
    :meth:`close` deletes it; so does the garbage collector."""

    _FIELDS = "line, row_id, type, ref, new, actor, digest"

    def __init__(self) -> None:
        self._db = scratch_file()
        self._db.execute(
            "CREATE TABLE outcomes (line INTEGER, row_id TEXT, type TEXT, ref TEXT, "
            "new INTEGER, actor TEXT, digest TEXT)"
        )
        self._count = 0
        self.new = 0

    def add(self, rows: list[tuple[Row, bool]]) -> None:
        self._db.executemany(
            f"INSERT INTO outcomes ({self._FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(r.line, r.row_id, r.kind, r.ref, new, r.actor, r.digest) for r, new in rows],
        )
        self._count += len(rows)
        self.new += sum(new for _, new in rows)

    def close(self) -> None:
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
        found = self._select("WHERE rowid = ?", (index + 1,))
        return _outcome(next(found))

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

    def _pages(self, size: int) -> Iterator[Iterator[tuple[Any, ...]]]:
        for start in range(0, self._count, size):
            yield self._select("WHERE rowid > ? AND rowid <= ?", (start, start + size))

    def _select(self, where: str, values: tuple[int, ...]) -> Iterator[tuple[Any, ...]]:
        query = f"SELECT {self._FIELDS} FROM outcomes {where} ORDER BY rowid"
        return iter(self._db.execute(query, values).fetchall())


def _outcome(row: tuple[Any, ...]) -> RowOutcome:
    return RowOutcome(row[0], row[1], row[2], row[3], "new" if row[4] else "already recorded")
