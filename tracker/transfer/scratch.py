"""The private temporary SQLite files an import keeps out of memory (the survey's row ids,
each row's outcome, the checked events).

These files are not the tracker's database: SQLite serves here as an on-disk list, lookup
and count that the import drops when it ends. The statements on them are this module's
alone; the rest of the import asks for rows, first uses and repeats.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

#: A row id as the import keys it: (its owner's UUID as bytes, the row id), with a line.
Use = tuple[bytes, str, int]


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


class FirstUses:
    """The line of the first use of each (owner, row id), in a :func:`scratch_file`: for a
    file with too many row ids to keep in memory. :meth:`close` deletes the file."""

    def __init__(self, first: list[Use]) -> None:
        self._db = scratch_file()
        for table in ("ids", "window"):
            self._db.execute(
                f"CREATE TABLE {table} (owner BLOB NOT NULL, row_id TEXT NOT NULL, "
                "line INTEGER NOT NULL, PRIMARY KEY (owner, row_id)) WITHOUT ROWID"
            )
        self._db.executemany("INSERT INTO ids VALUES (?, ?, ?)", first)

    def note(self, window: list[Use]) -> list[Use]:
        """Note a window's first uses (one per key); return those of its keys used before,
        each with the line of its earlier use."""
        db = self._db
        db.execute("DELETE FROM window")
        db.executemany("INSERT INTO window VALUES (?, ?, ?)", window)
        earlier = db.execute(
            "SELECT ids.owner, ids.row_id, ids.line FROM window JOIN ids "
            "ON ids.owner = window.owner AND ids.row_id = window.row_id"
        ).fetchall()
        db.execute("INSERT OR IGNORE INTO ids SELECT * FROM window")
        return earlier

    def close(self) -> None:
        self._db.close()


class Tally:
    """Whole numbers counted in a :func:`scratch_file`, to find those added more than once
    without holding them all. :meth:`close` deletes the file."""

    def __init__(self) -> None:
        self._db = scratch_file()
        self._db.execute("CREATE TABLE tally (value INTEGER NOT NULL)")

    def add(self, values: list[tuple[int]]) -> None:
        self._db.executemany("INSERT INTO tally VALUES (?)", values)

    def repeated(self) -> Iterator[int]:
        """The values added more than once, each once."""
        found = self._db.execute("SELECT value FROM tally GROUP BY value HAVING count(*) > 1")
        return (value for (value,) in found)

    def close(self) -> None:
        self._db.close()
