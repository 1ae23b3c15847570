"""Reading one row's cells: text, references, dates, amounts, codes, counts and flags.

Every bad cell is collected as a :class:`RowError` naming its line and column (not only the
first one), so one pass over a file lists everything wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from tracker.domain.errors import N_, ValidationError
from tracker.domain.values import AMOUNT, check_currency, parse_amount
from tracker.transfer.columns import split_list
from tracker.transfer.errors import RowError
from tracker.transfer.raw_rows import RawRow
from tracker.transfer.regional import Hint, date_hint, number_hint

T = TypeVar("T")
MAX_REF = 200
#: Counts (jobs, projects) fit the read model's integer columns with room to add them up.
MAX_COUNT = 1_000_000_000
_CURRENCY = re.compile(r"^[A-Z]{3}$")
#: Numbers and dates take ASCII digits only: ``str.isdigit``, ``int()`` and ``\d`` would take
#: "٥" for 5 and "²" for 2 (or fail on it).
COUNT = re.compile(r"[0-9]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CODE_PATTERNS = {
    "regions": (
        re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$"),
        N_("%(code)r is not an ISO 3166-2 code such as KZ-61"),
    ),
    "countries": (
        re.compile(r"^[A-Z]{2}$"),
        N_("%(code)r is not an ISO 3166-1 alpha-2 code such as KZ"),
    ),
}


class Cells:
    """Reads one row's cells, collecting an error per bad cell instead of stopping."""

    def __init__(self, raw: RawRow, errors: list[RowError]) -> None:
        self.cells = raw.cells
        self.line = raw.line
        self.errors = errors

    def fail(self, column: str | None, message: str, /, **params: object) -> None:
        """The cell's error: an English message marked with ``N_`` and its variables."""
        self.errors.append(RowError(self.line, column, message, **params))

    def text(self, column: str, *, required: bool = False, max_length: int = 500) -> str | None:
        value = self.cells.get(column)
        if value is None:
            if required:
                self.fail(column, N_("must not be blank"))
            return None
        if len(value) > max_length:
            self.fail(column, N_("must be at most %(max)s characters"), max=max_length)
            return None
        return value

    def ref(self, column: str, *, required: bool = True) -> str | None:
        value = self.text(column, required=required, max_length=MAX_REF)
        if value is not None and not value.isprintable():
            self.fail(column, N_("must be printable characters"))
            return None
        return value

    def _parsed(
        self,
        column: str,
        required: bool,
        parse: Callable[[str], T],
        hint: Callable[[str], Hint] = lambda _: ("", {}),
    ) -> T | None:
        """The cell read by ``parse``; a ValidationError it raises becomes this row's error,
        with ``hint``'s word on the value."""
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            return parse(value)
        except ValidationError as error:
            template, params = hint(value)
            self.errors.append(RowError.of(self.line, column, error).adding(template, **params))
            return None

    def day(self, column: str, *, required: bool = False) -> date | None:
        value = self.cells.get(column)
        day = _DAYS.get(value) if value is not None else None
        if day is not None:
            return day  # a day read before (a file repeats its days)
        return self._parsed(column, required, _parse_day, date_hint)

    def amount(self, column: str, *, required: bool = False) -> Decimal | None:
        value = self.cells.get(column)
        if value is not None and AMOUNT.match(value):  # most are plain amounts
            return Decimal(value)
        return self._parsed(
            column, required, lambda value: parse_amount(value, field=column), number_hint
        )

    def currency(self, column: str, *, required: bool = False) -> str | None:
        value = self.cells.get(column)
        if value in _CURRENCIES_SEEN:  # a file repeats a few codes
            return value
        return self._parsed(column, required, lambda value: _parse_currency(value, column))

    def count(self, column: str, *, required: bool = False) -> int | None:
        value = self.cells.get(column)
        if value is not None and len(value) <= 9 and COUNT.fullmatch(value):  # most are small
            return int(value)
        value = self.text(column, required=required)
        if value is None:
            return None
        if not COUNT.fullmatch(value):
            template, params = number_hint(value)
            self.errors.append(
                RowError(
                    self.line,
                    column,
                    N_("%(value)r is not a whole number of at least 0 (digits 0-9)"),
                    value=value,
                ).adding(template, **params)
            )
            return None
        if len(value) > 10 or int(value) > MAX_COUNT:
            self.fail(column, N_("must be at most %(max)s"), max=f"{MAX_COUNT:,}")
            return None
        return int(value)

    def flag(self, column: str) -> bool:
        value = self.text(column)
        if value is None or value.lower() == "false":
            return False
        if value.lower() == "true":
            return True
        self.fail(column, N_("%(value)r is neither true nor false"), value=value)
        return False

    def codes(self, column: str) -> tuple[str, ...] | None:
        value = self.text(column, max_length=5000)
        if value is None:
            return None
        try:
            codes = split_list(value)
        except ValueError as error:
            message = str(error)  # marked N_() where split_list says it
            self.fail(column, message)
            return None
        pattern = _CODE_PATTERNS.get(column)
        for code in codes:
            if pattern is not None and not pattern[0].match(code):
                message = pattern[1]
                self.fail(column, message, code=code)
                return None
        return codes


def _parse_day(value: str) -> date:
    try:
        day = date.fromisoformat(value) if _DAY.fullmatch(value) else _bad_date()
    except ValueError:
        raise ValidationError(
            N_("%(value)r is not a date such as 2025-03-31"), value=value
        ) from None
    if len(_DAYS) >= MAX_DAYS:
        _DAYS.clear()
    _DAYS[value] = day
    return day


#: Days read so far, by their text (only well-formed ones: a bad one is judged each time).
_DAYS: dict[str, date] = {}
MAX_DAYS = 4096


def _parse_currency(value: str, column: str) -> str:
    if value in _CURRENCIES_SEEN:
        return value
    if not _CURRENCY.match(value):
        raise ValidationError(
            N_("%(value)r is not an ISO 4217 currency code such as USD"), value=value
        )
    _CURRENCIES_SEEN.add(check_currency(value, field=column))
    return value


#: Currency codes found in ISO 4217 already: a file repeats a few codes on every row, and
#: asking pycountry each time is a tenth of the time it takes to parse a row.
_CURRENCIES_SEEN: set[str] = set()


def _bad_date() -> date:
    raise ValueError
