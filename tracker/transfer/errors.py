"""What can be wrong with an import: a cell, a row, the file, or the store meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.domain.errors import N_, Conflict, Forbidden, ValidationError

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


class ImportRejected(ValidationError):
    """The file has bad rows; nothing was recorded. ``errors`` lists every one of them."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        super().__init__(
            N_("%(source)s: nothing was recorded; rows with errors: %(rows)s, errors: %(errors)s"),
            source=source,
            rows=len({e.line for e in errors}),
            errors=len(errors),
            field=errors[0].column if errors else None,
        )
        self.source = source
        self.errors = errors


class ImportForbidden(Forbidden):
    """The importer may not record some rows (e.g. portfolio rows without an admin key)."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        super().__init__(
            N_(
                "%(source)s: nothing was recorded; rows that may not be imported with this key: "
                "%(rows)s"
            ),
            source=source,
            rows=len(errors),
            field=errors[0].column if errors else None,
        )
        self.source = source
        self.errors = errors


class ImportInterrupted(Conflict):
    """The store changed while recording (another writer); part of the file was recorded."""
