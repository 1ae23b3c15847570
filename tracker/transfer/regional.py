"""Numbers and dates as spreadsheets in Kazakhstan and Uzbekistan write them.

``1 500 000,00`` (a decimal comma, groups of thousands set apart by a space or a no-break
space) and ``31.03.2025`` (day, month, year). They are read only when an import asks for them
(``number_format="regional"``, ``date_format="regional"``), for every cell of the file: a
cell is never guessed to be in one form or the other. A regional cell is rewritten in the
format's own form (``1500000.00``, ``2025-03-31``) before the row is read, so a regional file
and the same rows written plainly are the same rows (and their second import records
nothing). Without the option, a cell that looks regional is refused with a hint naming it.
"""

from __future__ import annotations

import re
from datetime import date

from tracker.domain.errors import N_
from tracker.transfer.columns import AMOUNT_COLUMNS, DATE_COLUMNS, INT_COLUMNS
from tracker.transfer.errors import RowError
from tracker.transfer.file_format import FileFormat

#: Spaces that set thousands apart: the space, the no-break space, the narrow no-break space.
_GROUP = "[ \u00a0\u202f]"
_REGIONAL_NUMBER = re.compile(rf"-?(?:[0-9]{{1,3}}(?:{_GROUP}[0-9]{{3}})+|[0-9]+)(?:,[0-9]+)?")
_REGIONAL_COUNT = re.compile(rf"(?:[0-9]{{1,3}}(?:{_GROUP}[0-9]{{3}})+|[0-9]+)")
_REGIONAL_DAY = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_SPACES = re.compile(_GROUP)

NUMBER_OPTION = "--number-format regional (number_format=regional in the API)"
DATE_OPTION = "--date-format regional (date_format=regional in the API)"


Hint = tuple[str, dict[str, object]]


def number_hint(value: str) -> Hint:
    """A hint for a plain-format number cell that is written the regional way ("" if not):
    its message and variables."""
    if ("," in value or _SPACES.search(value)) and _REGIONAL_NUMBER.fullmatch(value):
        return N_(
            "; it looks like a number written with a decimal comma or spaced thousands: "
            "import with %(option)s"
        ), {"option": NUMBER_OPTION}
    return "", {}


def date_hint(value: str) -> Hint:
    """A hint for an ISO date cell that is written the regional way ("" if not): its
    message and variables."""
    if _REGIONAL_DAY.fullmatch(value):
        return N_("; it looks like a day.month.year date: import with %(option)s"), {
            "option": DATE_OPTION
        }
    return "", {}


def localised(cells: dict[str, str], line: int, fmt: FileFormat) -> list[RowError]:
    """Rewrite the row's regional cells in the format's own form, in place; an error per cell
    that is not in the regional form the file was said to use."""
    errors: list[RowError] = []
    if fmt.number_format == "regional":
        for column in AMOUNT_COLUMNS | INT_COLUMNS:
            value = cells.get(column)
            if value is not None:
                plain, error = _number(value, line, column, whole=column in INT_COLUMNS)
                if error:
                    errors.append(error)
                else:
                    cells[column] = plain
    if fmt.date_format == "regional":
        for column in DATE_COLUMNS:
            value = cells.get(column)
            if value is not None:
                day, error = _day(value, line, column)
                if error:
                    errors.append(error)
                else:
                    cells[column] = day
    return errors


def _number(value: str, line: int, column: str, *, whole: bool) -> tuple[str, RowError | None]:
    pattern = _REGIONAL_COUNT if whole else _REGIONAL_NUMBER
    if pattern.fullmatch(value):
        return _SPACES.sub("", value).replace(",", "."), None
    example = "14 600" if whole else "1 500 000,00"
    error = RowError(
        line,
        column,
        N_("%(value)r is not a number in the regional form such as %(example)s"),
        value=value,
        example=example,
    )
    if "." in value:
        error = error.adding(
            N_(
                " (the file was read with the regional number format, where the comma is "
                "the decimal sign; leave the option out for 1500000.00)"
            )
        )
    return value, error


def _day(value: str, line: int, column: str) -> tuple[str, RowError | None]:
    found = _REGIONAL_DAY.fullmatch(value)
    if found:
        day, month, year = (int(part) for part in found.groups())
        try:
            return date(year, month, day).isoformat(), None
        except ValueError:
            pass
    error = RowError(
        line,
        column,
        N_("%(value)r is not a date in the regional form such as 31.03.2025"),
        value=value,
    )
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        error = error.adding(
            N_(" (the file was read with the regional date format; leave it out for ISO dates)")
        )
    return value, error
