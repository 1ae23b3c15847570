"""A record of an import file as read, before its cells are parsed, and the header's check;
the same for every kind of file (CSV, JSON, XLSX)."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.domain.errors import N_
from tracker.transfer.columns import COLUMNS, REQUIRED_COLUMNS, TEXT_COLUMNS, unquote_formula
from tracker.transfer.errors import RowError


@dataclass(frozen=True, slots=True)
class RawRow:
    """One record of the file: its first line (a sheet's row) and its non-blank cells as
    text."""

    line: int
    cells: dict[str, str]


def text_cell(name: str, value: str) -> str:
    """A cell's text as the row reads it: trimmed, and a text cell's formula quote removed."""
    value = value.strip()
    return unquote_formula(value) if name in TEXT_COLUMNS else value


def check_header(columns: list[str]) -> list[RowError]:
    """Every fault of a header: unknown or repeated names, required columns missing."""
    errors = []
    seen: set[str] = set()
    for name in columns:
        if name not in COLUMNS:
            errors.append(RowError(1, name or "(blank)", N_("unknown column %(name)r"), name=name))
        elif name in seen:
            errors.append(RowError(1, name, N_("column %(name)r appears twice"), name=name))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            errors.append(
                RowError(1, name, N_("the header must name the column %(name)r"), name=name)
            )
    return errors
