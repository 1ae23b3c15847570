"""Official rate files: one rate a line (date, currency, units per US dollar), all or nothing.

The format is documented in docs/rates.md. Every bad cell is listed with its line and
column, and the file is published in one event of the rate set, or not at all: a rate the
set already publishes with the same value is left as it is (the same file may be loaded
twice); one with another value is refused, since a correction needs a reason.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO
from uuid import UUID

from tracker.application import TrackerApplication
from tracker.domain.errors import N_, TrackerError, ValidationError
from tracker.domain.rate_set import MAX_RATES_PER_PUBLICATION, PublishedRate, check_rate
from tracker.domain.values import Envelope, parse_amount
from tracker.recording import Recorded
from tracker.transfer.errors import ImportRejected, RowError

COLUMNS = ("date", "currency", "units_per_usd")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")
#: A domain error's field, as ``rates[3].currency``: the rate's index and the column.
_FIELD = re.compile(r"^rates\[([0-9]+)\](?:\.(\w+))?$")


@dataclass(frozen=True)
class RateFileImport:
    recorded: Recorded
    rates_in_file: int
    rates_new: int


def read_rate_file(
    stream: IO[bytes], source: str, today: date | None = None
) -> tuple[list[PublishedRate], list[int]]:
    """The file's rates and the line of each, or :class:`ImportRejected` listing every bad
    cell (by the rate set's own rules too, with ``today`` the last date a rate may have)."""
    errors: list[RowError] = []
    rates: list[PublishedRate] = []
    lines: list[int] = []
    for line, cells in _records(stream, errors):
        rate = _rate(line, cells, errors, today)
        if rate is not None:
            rates.append(rate)
            lines.append(line)
        if len(lines) > MAX_RATES_PER_PUBLICATION:
            errors.append(
                RowError(
                    line,
                    None,
                    N_("a file holds at most %(max)s rates"),
                    max=MAX_RATES_PER_PUBLICATION,
                )
            )
            break
    if not errors and not rates:
        errors.append(RowError(1, None, N_("the file has no rates")))
    if errors:
        raise ImportRejected(source, errors)
    return rates, lines


def import_rate_file(
    tracker: TrackerApplication,
    rate_set_id: UUID,
    stream: IO[bytes],
    source: str,
    envelope: Envelope,
    *,
    scope: UUID | None = None,
) -> RateFileImport:
    """Publish the file's rates in the rate set, in one event (none if every rate is known)."""
    rates, lines = read_rate_file(stream, source, envelope.today)
    new: list[int] = []
    try:
        recorded = tracker.change_rate_set(
            rate_set_id,
            lambda rate_set: new.append(rate_set.publish(rates, envelope)),
            envelope,
            scope=scope,
        )
    except TrackerError as error:
        where = _FIELD.match(error.field or "")
        if where is None:
            raise
        index = int(where.group(1))
        raise ImportRejected(
            source, [RowError.of(lines[index], where.group(2) or "date", error)]
        ) from None
    return RateFileImport(recorded, len(rates), new[-1])


def _records(stream: IO[bytes], errors: list[RowError]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = codecs.decode(stream.read(), "utf-8-sig")
    except UnicodeDecodeError as error:
        errors.append(
            RowError(1, None, N_("the file is not UTF-8 text (%(reason)s)"), reason=error.reason)
        )
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip().lower() for cell in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        errors.append(
            RowError(
                1,
                (missing or unknown)[0],
                N_("the header must name the columns %(columns)s"),
                columns=", ".join(COLUMNS),
            )
            .adding(N_("; missing: %(missing)s") if missing else "", missing=", ".join(missing))
            .adding(N_("; unknown: %(unknown)s") if unknown else "", unknown=", ".join(unknown))
        )
        return
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(
                RowError(
                    reader.line_num,
                    None,
                    N_("has %(cells)s cells, not %(columns)s"),
                    cells=len(cells),
                    columns=len(header),
                )
            )
            continue
        yield (
            reader.line_num,
            {name: cell.strip() for name, cell in zip(header, cells, strict=True)},
        )


def _rate(
    line: int, cells: dict[str, str], errors: list[RowError], today: date | None
) -> PublishedRate | None:
    found = len(errors)
    day = cells["date"]
    rate_date = None
    if not _DAY.fullmatch(day):
        errors.append(
            RowError(line, "date", N_("%(day)r is not a date such as 2025-01-02"), day=day)
        )
    else:
        try:
            rate_date = date.fromisoformat(day)
        except ValueError:
            errors.append(RowError(line, "date", N_("%(day)r is not a real date"), day=day))
    currency = cells["currency"]
    if not _CURRENCY.fullmatch(currency):
        errors.append(
            RowError(
                line, "currency", N_("%(currency)r is not an ISO 4217 code"), currency=currency
            )
        )
    units = None
    try:
        units = parse_amount(cells["units_per_usd"], field="units_per_usd")
    except ValidationError as error:
        errors.append(RowError.of(line, "units_per_usd", error))
    if len(errors) > found or rate_date is None or units is None:
        return None
    rate = PublishedRate(currency, rate_date, units)
    try:
        check_rate(rate, today=today)
    except ValidationError as error:
        errors.append(RowError.of(line, error.field, error))
        return None
    return rate
