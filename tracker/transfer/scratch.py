"""The private temporary SQLite files an import keeps out of memory (the survey's row ids,
each row's outcome, the checked events)."""

from __future__ import annotations

import sqlite3
from typing import Any


def scratch_file() -> sqlite3.Connection:
    """A new private temporary SQLite file, deleted when closed (or collected).

    It lives as long as one import and nothing reads it after a crash, so it keeps no
    rollback journal: an insert writes its rows once."""
    db = sqlite3.connect("", check_same_thread=False)  # "": a private temporary file
    db.execute("PRAGMA journal_mode=OFF")
    return db


class SpilledRows:
    """Rows (tuples of ``columns`` values) in the order they are added: in memory while
    there are at most ``in_memory``, past that all in a table of a :func:`scratch_file`, so
    that what an import keeps stays flat in the file's size. :meth:`close` deletes the file
    (so does the garbage collector)."""

    def __init__(self, table: str, columns: str, in_memory: int) -> None:
        self._table, self._columns, self._in_memory = table, columns, in_memory
        self._db: sqlite3.Connection | None = None  # made when the rows outgrow memory
        self._kept: list[tuple[Any, ...]] = []  # while there is no file
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def in_file(self) -> bool:
        """Whether the rows outgrew memory and are kept in the temporary file."""
        return self._db is not None

    def extend(self, rows: list[tuple[Any, ...]]) -> None:
        self._count += len(rows)
        if self._db is None and self._count <= self._in_memory:
            self._kept.extend(rows)
            return
        if self._db is None:
            self._db = scratch_file()
            self._db.execute(f"CREATE TABLE {self._table} ({self._columns})")
            rows, self._kept = self._kept + rows, []
        if rows:
            places = ", ".join("?" * len(rows[0]))
            self._db.executemany(f"INSERT INTO {self._table} VALUES ({places})", rows)

    def rows(self, start: int, end: int) -> list[tuple[Any, ...]]:
        """The rows ``start`` to ``end`` (from 0, ``end`` excluded), in order."""
        if self._db is None:
            return self._kept[start:end]
        query = f"SELECT * FROM {self._table} WHERE rowid > ? AND rowid <= ? ORDER BY rowid"
        return self._db.execute(query, (start, end)).fetchall()

    def close(self) -> None:
        self._kept = []
        if self._db is not None:
            self._db.close()
