"""What can be wrong with an import: a cell, a row, the file, or the store meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.domain.errors import Conflict, Forbidden, ValidationError

NO_ROWS = "the file has no rows to import"


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell (or row) of the file."""

    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Undecodable(RowError):
    """The file's bytes are not text in the encoding it was read in; reading stops there."""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


class ImportRejected(ValidationError):
    """The file has bad rows; nothing was recorded. ``errors`` lists every one of them."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        lines = len({e.line for e in errors})
        super().__init__(
            f"{source}: {_plural(lines, 'bad row')} ({_plural(len(errors), 'error')}); "
            "nothing was recorded",
            field=errors[0].column if errors else None,
        )
        self.source = source
        self.errors = errors


class ImportForbidden(Forbidden):
    """The importer may not record some rows (e.g. portfolio rows without an admin key)."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        super().__init__(
            f"{source}: {_plural(len(errors), 'row')} may not be imported with this key; "
            "nothing was recorded",
            field=errors[0].column if errors else None,
        )
        self.source = source
        self.errors = errors


class ImportInterrupted(Conflict):
    """The store changed while recording (another writer); part of the file was recorded."""
