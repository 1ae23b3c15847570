"""The private temporary SQLite files an import keeps out of memory (the survey's row ids,
each row's outcome, the checked events)."""

from __future__ import annotations

import sqlite3


def scratch_file() -> sqlite3.Connection:
    """A new private temporary SQLite file, deleted when closed (or collected).

    It lives as long as one import and nothing reads it after a crash, so it keeps no
    rollback journal: an insert writes its rows once."""
    db = sqlite3.connect("", check_same_thread=False)  # "": a private temporary file
    db.execute("PRAGMA journal_mode=OFF")
    return db
