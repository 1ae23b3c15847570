"""Bulk import: portfolios, projects and their events from one CSV or JSON format.

The format is documented in ``docs/import-format.md``. The file is read as a stream, a
window of rows at a time (never whole), in three passes:

0. *Survey*: count the rows, find row ids used twice and the rows corrections name.
1. *Check*: every row is parsed and applied to in-memory aggregates (loaded from the store
   when they already exist), in file order, so the domain's own rules judge each row. Every
   bad row is collected; one bad row and nothing is recorded.
2. *Record*: the file is read again and its new rows applied to freshly loaded aggregates
   and saved in batches, one transaction per batch, so events carry the time they were
   actually recorded. An interruption leaves a prefix of the file recorded.

Memory holds the aggregates the file touches (about 2 KB a project) and one window of rows;
each row's outcome goes to a temporary SQLite file.

Idempotency is the domain's: each row's event carries ``idempotency_key = "import:<row_id>"``
and a digest of the row, and ids derive from the file's references, so importing the same file
again finds every row already recorded and records nothing.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import compress
from typing import IO, Any, Literal, TypeVar, overload
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from tracker.application import TrackerApplication
from tracker.domain import commands as c
from tracker.domain.base import CommandRecord, TrackedAggregate, earlier_command
from tracker.domain.errors import (
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    TrackerError,
    ValidationError,
)
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import NO_EVENTS, Plan, Project, event_kind
from tracker.domain.values import Envelope, Money, Source, check_currency, parse_amount

#: Every column of the format, in the order the template and the CSV export write them.
COLUMNS: tuple[str, ...] = (
    "row_id",
    "type",
    "portfolio_ref",
    "project_ref",
    "effective_date",
    "title",
    "forum",
    "sector",
    "regions",
    "countries",
    "parties",
    "amount",
    "currency",
    "planned_jobs",
    "planned_start",
    "planned_end",
    "illustrative",
    "jobs",
    "projects",
    "permanent",
    "temporary",
    "name",
    "description",
    "status",
    "reason",
    "corrects",
    "retracts",
    "replacement_effective_date",
    "source_title",
    "source_url",
    "actor",
)
T = TypeVar("T")
REQUIRED_COLUMNS = ("row_id", "type")
#: Columns every row may fill, whatever its type.
COMMON = frozenset({"row_id", "type", "effective_date", "source_title", "source_url", "actor"})
_PLAN = frozenset(
    {
        "title",
        "sector",
        "regions",
        "countries",
        "parties",
        "amount",
        "currency",
        "planned_jobs",
        "planned_start",
        "planned_end",
    }
)
#: The columns each row type may fill besides the common ones.
TYPE_COLUMNS: dict[str, frozenset[str]] = {
    "portfolio": frozenset({"portfolio_ref", "title", "forum", "illustrative"}),
    "targets": frozenset({"portfolio_ref", "amount", "currency", "jobs", "projects"}),
    "announced": _PLAN | {"project_ref", "portfolio_ref", "illustrative"},
    "committed": frozenset({"project_ref", "amount", "currency"}),
    "disbursed": frozenset({"project_ref", "amount", "currency"}),
    "jobs_created": frozenset({"project_ref", "permanent", "temporary"}),
    "milestone": frozenset({"project_ref", "name", "description"}),
    "status_changed": frozenset({"project_ref", "status", "reason"}),
    "completed": frozenset({"project_ref", "reason"}),
    "cancelled": frozenset({"project_ref", "reason"}),
    "corrected": _PLAN
    | {
        "project_ref",
        "corrects",
        "reason",
        "permanent",
        "temporary",
        "name",
        "replacement_effective_date",
    },
    "retracted": frozenset({"project_ref", "retracts", "reason"}),
}
ROW_TYPES = tuple(TYPE_COLUMNS)
STATUSES = (
    "agreed",
    "in_preparation",
    "under_implementation",
    "operational",
    "suspended",
    "resumed",
)
LIST_COLUMNS = frozenset({"regions", "countries", "parties"})
AMOUNT_COLUMNS = frozenset({"amount"})
INT_COLUMNS = frozenset({"planned_jobs", "jobs", "projects", "permanent", "temporary"})
DATE_COLUMNS = frozenset(
    {"effective_date", "planned_start", "planned_end", "replacement_effective_date"}
)
MAX_REF = 200
#: Counts (jobs, projects) fit the read model's integer columns with room to add them up.
MAX_COUNT = 1_000_000_000
_CURRENCY = re.compile(r"^[A-Z]{3}$")
#: Numbers and dates take ASCII digits only: ``str.isdigit``, ``int()`` and ``\d`` would take
#: "٥" for 5 and "²" for 2 (or fail on it).
_COUNT = re.compile(r"[0-9]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CODE_PATTERNS = {
    "regions": (re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$"), "an ISO 3166-2 code such as KZ-61"),
    "countries": (re.compile(r"^[A-Z]{2}$"), "an ISO 3166-1 alpha-2 code such as KZ"),
}
KEY_PREFIX = "import:"
#: Events saved per transaction while recording.
BATCH_EVENTS = 1000
_IMPORT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:tracker:import")

Outcome = Literal["new", "already recorded"]
Progress = Callable[[str, int, int], None]


# Errors


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell (or row) of the file."""

    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


class ImportRejected(ValidationError):
    """The file has bad rows; nothing was recorded. ``errors`` lists every one of them."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        lines = len({e.line for e in errors})
        super().__init__(
            f"{source}: {lines} bad row{'s' if lines != 1 else ''} "
            f"({len(errors)} error{'s' if len(errors) != 1 else ''}); nothing was recorded",
            field=errors[0].column if errors else None,
        )
        self.source = source
        self.errors = errors


class ImportForbidden(Forbidden):
    """The importer may not record some rows (e.g. portfolio rows without an admin key)."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        super().__init__(
            f"{source}: {len(errors)} row{'s' if len(errors) != 1 else ''} may not be imported "
            "with this key; nothing was recorded",
            field=errors[0].column if errors else None,
        )
        self.source = source
        self.errors = errors


class ImportInterrupted(Conflict):
    """The store changed while recording (another writer); part of the file was recorded."""


# Who imports


@dataclass(frozen=True)
class Importer:
    """Who imports, and what they may do (the API's rules for keys).

    ``actor`` is stored on every event whose row leaves ``actor`` blank. Only an ``admin``
    may import targets rows or rows recorded by someone else (an ``actor`` cell naming
    another), and only an admin not scoped to a portfolio may establish portfolios; a key
    scoped to a portfolio imports only rows of that portfolio. The CLI, which holds the
    database's credentials anyway, imports as an unscoped admin.
    """

    actor: str
    admin: bool = True
    portfolio_scope: UUID | None = None


# Reading the file


@dataclass(frozen=True)
class RawRow:
    """One record of the file: its first line and its non-blank cells as text."""

    line: int
    cells: dict[str, str]


#: What an import reads: the file's bytes, its path, or an open binary file that can seek
#: (the API's spooled request body). A file is read as a stream, one window of rows at a time.
ImportSource = bytes | bytearray | str | os.PathLike[str] | IO[bytes]
NOT_UTF8 = "the file is not UTF-8 text"
#: A physical line longer than this is not a row of the format (its longest cell holds 5,000
#: characters); reading stops there rather than hold the line.
MAX_LINE = 1 << 20
#: A JSON row object may take at most this many characters.
MAX_JSON_ROW = 1 << 20
_CHUNK = 1 << 16
#: Columns that are not text: a leading ``'`` there is not the formula quote.
_NOT_TEXT = frozenset(
    {
        "type",
        "effective_date",
        "amount",
        "currency",
        "planned_jobs",
        "planned_start",
        "planned_end",
        "illustrative",
        "jobs",
        "projects",
        "permanent",
        "temporary",
        "status",
        "replacement_effective_date",
    }
)
TEXT_COLUMNS = frozenset(COLUMNS) - _NOT_TEXT
#: What a spreadsheet may take a text cell starting with for a formula (CSV injection).
FORMULA_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")
#: A text cell starting with one of these is quoted with one ``'`` in a CSV export, so that no
#: spreadsheet runs it; the importer removes the quote (docs/import-format.md).
FORMULA_START = (*FORMULA_CHARACTERS, "'")


def quote_formula(text: str) -> str:
    """A text cell as the CSV export writes it: one ``'`` before a text that a spreadsheet
    would run as a formula, or that starts with ``'`` itself (so the quote can be undone)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def unquote_formula(text: str) -> str:
    """A text cell as imported: one leading ``'`` removed when a formula character (or
    another ``'``) follows it."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


def file_kind(name: str) -> Literal["csv", "json"]:
    """The format a file name says (``.csv`` or ``.json``), or :class:`ValidationError`."""
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(".json"):
        return "json"
    raise ValidationError(f"{name}: the file name must end in .csv or .json", field="file")


@contextmanager
def opened(data: ImportSource) -> Iterator[IO[bytes]]:
    """The source as a binary stream that can be read again from the start."""
    if isinstance(data, bytes | bytearray):
        yield io.BytesIO(data)
    elif isinstance(data, str | os.PathLike):
        with open(data, "rb") as stream:
            yield stream
    else:
        yield data


def read_rows(stream: IO[bytes], kind: Literal["csv", "json"]) -> Iterator[RawRow | RowError]:
    """The file's records from its start, in order, with the errors met while reading them
    (a file-level error such as a bad header or broken JSON ends the rows)."""
    stream.seek(0)
    if kind == "csv":
        yield from _read_csv(stream)
    else:
        yield from _read_json(stream)


def _undecodable_line(stream: IO[bytes]) -> int:
    """The line of the file's first byte that is not UTF-8 (read again in chunks)."""
    stream.seek(0)
    line, carry = 1, b""
    while True:
        chunk = stream.read(_CHUNK)
        data = carry + chunk
        carry = b""
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            if not (chunk and error.reason == "unexpected end of data"):
                return line + data[: error.start].count(b"\n")
            carry, data = data[error.start :], data[: error.start]  # a character cut in two
        if not chunk:
            return line
        line += data.count(b"\n")


class _LineTooLong(Exception):
    pass


def _lines(text: IO[str]) -> Iterator[str]:
    while line := text.readline(MAX_LINE):
        if len(line) == MAX_LINE and not line.endswith(("\n", "\r")):
            raise _LineTooLong
        yield line


def _read_csv(stream: IO[bytes]) -> Iterator[RawRow | RowError]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_records(text)
    except UnicodeDecodeError:
        yield RowError(_undecodable_line(stream), None, NOT_UTF8)
    finally:
        text.detach()  # the stream stays open for the next pass


def _csv_records(text: IO[str]) -> Iterator[RawRow | RowError]:
    reader = csv.reader(_lines(text))
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            yield RowError(1, None, "the file is empty; the first line must name the columns")
            return
        columns = [name.strip() for name in header]
        header_errors = _check_header(columns)
        if header_errors:
            yield from header_errors
            return
        named = [(name, name in TEXT_COLUMNS) for name in columns]
        width = len(columns)
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if len(record) > width:
                if any(cell.strip() for cell in record):
                    yield RowError(
                        start, None, f"{len(record)} cells, but the header names {width} columns"
                    )
                continue
            cells = {}
            # most cells are blank: compress skips them without a step of Python each
            for (name, is_text), value in compress(zip(named, record, strict=False), record):
                value = value.strip()
                if value:
                    cells[name] = unquote_formula(value) if is_text else value
            if cells:
                yield RawRow(start, cells)
    except csv.Error as error:
        yield RowError(line, None, f"unreadable CSV: {error}")
    except _LineTooLong:
        yield RowError(line, None, f"unreadable CSV: a line longer than {MAX_LINE:,} characters")


def _check_header(columns: list[str]) -> list[RowError]:
    errors = []
    seen: set[str] = set()
    for name in columns:
        if name not in COLUMNS:
            errors.append(RowError(1, name or "(blank)", f"unknown column {name!r}"))
        elif name in seen:
            errors.append(RowError(1, name, f"column {name!r} appears twice"))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            errors.append(RowError(1, name, f"the header must name the column {name!r}"))
    return errors


class _JsonText:
    """The file's text, decoded as far as it is needed, with the line of any position in it.

    ``text`` holds the file from line ``base_line`` on (what was read is dropped as the
    reader moves on); positions are indexes into it."""

    _SPACE = re.compile(r"[ \t\r\n]*")

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.eof = False
        self.base_line = 1  # the line of text[0]
        self.counted = 0  # newlines are counted in text[:counted]
        self.counted_line = 1  # the line of text[counted]

    def fill(self, end: int) -> None:
        """Read on until the text holds ``end`` characters, or the file ends."""
        held = len(self.text)
        if held >= end or self.eof:
            return
        pieces = [self.text]
        while held < end and not self.eof:
            chunk = self.stream.read(_CHUNK)
            piece = self.decoder.decode(chunk, final=not chunk)
            self.eof = not chunk
            pieces.append(piece)
            held += len(piece)
        self.text = "".join(pieces)

    def at(self, index: int) -> str:
        """The character at ``index``, or ``""`` at the end of the file."""
        if index >= len(self.text):
            self.fill(index + _CHUNK)
        return self.text[index : index + 1]

    def skip_space(self, index: int) -> int:
        while True:
            space = self._SPACE.match(self.text, index)
            assert space is not None  # it matches nothing at least
            index = space.end()
            if index < len(self.text) or self.eof:
                return index
            self.fill(index + _CHUNK)

    def line(self, index: int) -> int:
        """The file's line at ``index`` (positions asked for only move forward)."""
        if index > self.counted:
            self.counted_line += self.text.count("\n", self.counted, index)
            self.counted = index
        return self.counted_line

    def decode(self, decoder: json.JSONDecoder, index: int) -> tuple[Any, int]:
        """The JSON value at ``index`` and the position after it; a value cut by the end of
        what was read is read on, up to :data:`MAX_JSON_ROW` characters."""
        self.fill(index + _CHUNK)
        while True:
            try:
                value, end = decoder.raw_decode(self.text, index)
            except json.JSONDecodeError:
                if self.eof or len(self.text) - index > MAX_JSON_ROW:
                    raise
                self.fill(len(self.text) + _CHUNK)
                continue
            if end < len(self.text) or self.eof:
                return value, end
            self.fill(len(self.text) + _CHUNK)  # a number may go on

    def error_line(self, error: json.JSONDecodeError) -> int:
        return self.base_line + error.lineno - 1

    def drop(self, index: int) -> int:
        """Forget the text before ``index``; the same position is then 0."""
        if index < _CHUNK:
            return index
        self.line(index)
        self.base_line = self.counted_line
        self.text = self.text[index:]
        self.counted = 0
        return 0


def _read_json(stream: IO[bytes]) -> Iterator[RawRow | RowError]:
    try:
        yield from _json_records(_JsonText(stream))
    except UnicodeDecodeError:
        yield RowError(_undecodable_line(stream), None, NOT_UTF8)


def _json_records(text: _JsonText) -> Iterator[RawRow | RowError]:
    """A JSON array of row objects; each row keeps the line where its object starts."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    index = text.skip_space(0)
    if text.at(index) != "[":
        yield RowError(text.line(index), None, "expected a JSON array of rows")
        return
    index = text.skip_space(index + 1)
    expect_item = False
    while True:
        if not text.at(index):
            yield RowError(text.line(index), None, "unexpected end of the JSON array")
            return
        if text.at(index) == "]" and not expect_item:
            break
        line = text.line(index)
        try:
            item, index = text.decode(decoder, index)
        except json.JSONDecodeError as error:
            yield RowError(text.error_line(error), None, f"invalid JSON: {error.msg}")
            return
        except RecursionError:
            yield RowError(line, None, "the JSON nests too deeply")
            return
        if not isinstance(item, dict):
            yield RowError(line, None, "each row must be a JSON object")
        else:
            cells, cell_errors = _json_cells(item, line)
            yield from cell_errors
            if cells:
                yield RawRow(line, cells)
        index = text.drop(text.skip_space(index))
        if text.at(index) == ",":
            index = text.skip_space(index + 1)
            expect_item = True
        else:
            expect_item = False
            if text.at(index) != "]":
                yield RowError(text.line(index), None, "expected ',' or ']' after a row")
                return
    trailing = text.skip_space(index + 1)
    if text.at(trailing):
        yield RowError(text.line(trailing), None, "unexpected text after the array")


def _json_cells(item: dict[str, Any], line: int) -> tuple[dict[str, str], list[RowError]]:
    """JSON values as the cells a CSV would hold (amounts must be strings, as in the API)."""
    cells: dict[str, str] = {}
    errors: list[RowError] = []
    for name, value in item.items():
        if name not in COLUMNS:
            errors.append(RowError(line, name, f"unknown column {name!r}"))
            continue
        if value is None:
            continue
        if isinstance(value, str):
            text = value.strip()
            if name in TEXT_COLUMNS:
                text = unquote_formula(text)
        elif name in AMOUNT_COLUMNS:
            errors.append(RowError(line, name, 'amounts are decimal strings such as "1500000.00"'))
            continue
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value)
        elif isinstance(value, list) and name in LIST_COLUMNS:
            if not all(isinstance(v, str) for v in value):
                errors.append(RowError(line, name, "must be a list of strings"))
                continue
            text = join_list([v.strip() for v in value if v.strip()])  # items as they are
        else:
            errors.append(RowError(line, name, f"unexpected JSON value {value!r}"))
            continue
        if text:
            cells[name] = text
    return cells, errors


def split_list(text: str) -> tuple[str, ...]:
    """A list cell: ``a;b;c``, or a JSON array when an item itself holds a ``;``."""
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("is neither a ;-separated list nor a JSON array of strings") from None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError("must be a JSON array of strings")
        return tuple(v.strip() for v in values if v.strip())
    return tuple(part.strip() for part in text.split(";") if part.strip())


def join_list(values: Iterable[str]) -> str:
    """The cell text of a list, as :func:`split_list` reads it back."""
    items = list(values)
    if any(";" in v or v.startswith("[") for v in items):
        return json.dumps(items, ensure_ascii=False)
    return ";".join(items)


# Parsing rows


@dataclass(frozen=True)
class EstablishPortfolio:
    name: str
    forum: str
    illustrative: bool


@dataclass(frozen=True)
class RestateTargets:
    investment: Money
    jobs: int
    projects: int


@dataclass(frozen=True)
class Announce:
    plan: Plan
    illustrative: bool


@dataclass(frozen=True)
class RecordEvent:
    command: c.ProjectCommand


@dataclass(frozen=True)
class CorrectRow:
    """A correction; ``amount``/``currency`` replace the money of whatever it corrects."""

    corrects: str
    reason: str
    amount: Decimal | None
    currency: str | None
    replacement: c.Replacement


@dataclass(frozen=True)
class RetractRow:
    retracts: str
    reason: str


Payload = EstablishPortfolio | RestateTargets | Announce | RecordEvent | CorrectRow | RetractRow


@dataclass(frozen=True)
class Row:
    """A parsed row, ready to be applied to an aggregate."""

    line: int
    row_id: str
    kind: str
    portfolio_ref: str | None
    project_ref: str | None
    effective_date: date | None
    source: Source | None
    actor: str | None
    digest: str
    payload: Payload

    @property
    def key(self) -> str:
        return KEY_PREFIX + self.row_id

    @property
    def ref(self) -> str:
        return self.project_ref or self.portfolio_ref or ""


class _Cells:
    """Reads one row's cells, collecting an error per bad cell instead of stopping."""

    def __init__(self, raw: RawRow, errors: list[RowError]) -> None:
        self.cells = raw.cells
        self.line = raw.line
        self.errors = errors

    def fail(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.line, column, message))

    def text(self, column: str, *, required: bool = False, max_length: int = 500) -> str | None:
        value = self.cells.get(column)
        if value is None:
            if required:
                self.fail(column, "must not be blank")
            return None
        if len(value) > max_length:
            self.fail(column, f"must be at most {max_length} characters")
            return None
        return value

    def ref(self, column: str, *, required: bool = True) -> str | None:
        value = self.text(column, required=required, max_length=MAX_REF)
        if value is not None and not value.isprintable():
            self.fail(column, "must be printable characters")
            return None
        return value

    def _parsed(self, column: str, required: bool, parse: Callable[[str], T]) -> T | None:
        """The cell read by ``parse``; a ValidationError it raises becomes this row's error."""
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            return parse(value)
        except ValidationError as error:
            self.fail(column, error.detail)
            return None

    def day(self, column: str, *, required: bool = False) -> date | None:
        return self._parsed(column, required, _parse_day)

    def amount(self, column: str, *, required: bool = False) -> Decimal | None:
        return self._parsed(column, required, lambda value: parse_amount(value, field=column))

    def currency(self, column: str, *, required: bool = False) -> str | None:
        return self._parsed(column, required, lambda value: _parse_currency(value, column))

    def count(self, column: str, *, required: bool = False) -> int | None:
        value = self.text(column, required=required)
        if value is None:
            return None
        if not _COUNT.fullmatch(value):
            self.fail(column, f"{value!r} is not a whole number of at least 0 (digits 0-9)")
            return None
        if len(value) > 10 or int(value) > MAX_COUNT:
            self.fail(column, f"must be at most {MAX_COUNT:,}")
            return None
        return int(value)

    def flag(self, column: str) -> bool:
        value = self.text(column)
        if value is None or value.lower() == "false":
            return False
        if value.lower() == "true":
            return True
        self.fail(column, f"{value!r} is neither true nor false")
        return False

    def codes(self, column: str) -> tuple[str, ...] | None:
        value = self.text(column, max_length=5000)
        if value is None:
            return None
        try:
            codes = split_list(value)
        except ValueError as error:
            self.fail(column, str(error))
            return None
        pattern = _CODE_PATTERNS.get(column)
        for code in codes:
            if pattern is not None and not pattern[0].match(code):
                self.fail(column, f"{code!r} is not {pattern[1]}")
                return None
        return codes


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value) if _DAY.fullmatch(value) else _bad_date()
    except ValueError:
        raise ValidationError(f"{value!r} is not a date such as 2025-03-31") from None


def _parse_currency(value: str, column: str) -> str:
    if value in _CURRENCIES_SEEN:
        return value
    if not _CURRENCY.match(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code such as USD")
    _CURRENCIES_SEEN.add(check_currency(value, field=column))
    return value


#: Currency codes found in ISO 4217 already: a file repeats a few codes on every row, and
#: asking pycountry each time is a tenth of the time it takes to parse a row.
_CURRENCIES_SEEN: set[str] = set()


def _bad_date() -> date:
    raise ValueError


#: Rows read, parsed and checked (or recorded) at a time: with the aggregates, what an import
#: holds in memory, whatever the size of the file.
WINDOW_ROWS = 1000


def _owner(cells: Mapping[str, str]) -> UUID:
    """The aggregate a row belongs to: row ids name rows within a project (or a portfolio's
    own rows)."""
    project_ref = cells.get("project_ref")
    if project_ref is not None:
        return project_id_for(project_ref)
    return portfolio_id_for(cells.get("portfolio_ref", ""))


@dataclass
class Survey:
    """What one quick read of the whole file tells before any row is checked."""

    rows: int = 0
    #: Hashes of the (aggregate, row_id) pairs that occur more than once (or collide).
    duplicates: frozenset[int] = frozenset()
    #: The (aggregate, idempotency key) pairs that corrections and retractions name: the only
    #: rows whose versions and events the import must remember past their window.
    referenced: set[tuple[UUID, str]] = field(default_factory=set)
    undecodable: RowError | None = None


def survey(
    stream: IO[bytes], kind: Literal["csv", "json"], progress: Progress | None = None
) -> Survey:
    """Count the rows, find the row ids used twice and the rows that others name.

    Row-id hashes go to a temporary SQLite file (not a set in memory) to find the repeated
    ones, so the survey's memory does not grow with the file either."""
    found = Survey()
    duplicates: set[int] = set()
    total = _size(stream)
    with closing(sqlite3.connect("")) as scratch:  # "": a private temporary file
        scratch.execute("CREATE TABLE ids (hash INTEGER NOT NULL)")
        hashes: list[tuple[int]] = []
        for item in read_rows(stream, kind):
            if isinstance(item, RowError):
                if item.message == NOT_UTF8:
                    found.undecodable = item
                continue
            found.rows += 1
            cells = item.cells
            row_id = cells.get("row_id")
            if row_id is not None:
                hashes.append((hash((_owner(cells), row_id)),))
            for column in ("corrects", "retracts"):
                if column in cells and "project_ref" in cells:
                    target = project_id_for(cells["project_ref"]), KEY_PREFIX + cells[column]
                    found.referenced.add(target)
            if len(hashes) >= WINDOW_ROWS:
                scratch.executemany("INSERT INTO ids VALUES (?)", hashes)
                hashes.clear()
                if progress:
                    progress("reading", min(stream.tell(), total), total)
        scratch.executemany("INSERT INTO ids VALUES (?)", hashes)
        repeated = scratch.execute("SELECT hash FROM ids GROUP BY hash HAVING count(*) > 1")
        duplicates.update(value for (value,) in repeated)
    found.duplicates = frozenset(duplicates)
    if progress:
        progress("reading", total, total)
    return found


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def parsed_windows(
    stream: IO[bytes],
    kind: Literal["csv", "json"],
    found: Survey,
    errors: list[RowError],
    *,
    today: date,
    failed: Failed | None = None,
) -> Iterator[list[Row]]:
    """The file's rows parsed, :data:`WINDOW_ROWS` at a time; every cell that could not be
    parsed goes to ``errors`` (all of them, not the first). ``failed`` collects the
    references whose portfolio or announcement row is bad."""
    window: list[Row] = []
    first_use: dict[tuple[UUID, str], int] = {}  # only for the row ids the survey saw twice
    for item in read_rows(stream, kind):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        row = parse_row(item, errors, today=today)
        cells = item.cells
        if row is None and failed is not None:
            failed.add(cells.get("type"), cells)
        row_id = cells.get("row_id")
        if row_id is None:
            continue
        key = (_owner(cells), row_id)
        if hash(key) in found.duplicates:
            first = first_use.setdefault(key, item.line)
            if first != item.line:
                errors.append(
                    RowError(
                        item.line, "row_id", f"row_id {row_id!r} is already used on line {first}"
                    )
                )
                continue
        if row is not None:
            window.append(row)
            if len(window) >= WINDOW_ROWS:
                yield window
                window = []
    if window:
        yield window


def _first_per_cell(errors: list[RowError]) -> list[RowError]:
    """One error per cell (a JSON value refused while reading is not also "blank"), by line."""
    unique: dict[tuple[int, str | None], RowError] = {}
    for error in errors:
        unique.setdefault((error.line, error.column), error)
    return sorted(unique.values(), key=lambda e: e.line)


def parse_row(raw: RawRow, errors: list[RowError], *, today: date) -> Row | None:
    before = len(errors)
    cells = _Cells(raw, errors)
    row_id = cells.ref("row_id")
    kind = cells.text("type", required=True)
    if kind is not None and kind not in TYPE_COLUMNS:
        cells.fail("type", f"{kind!r} is not a row type; use one of {', '.join(ROW_TYPES)}")
        kind = None
    if kind is None:
        return None
    allowed = COMMON | TYPE_COLUMNS[kind]
    for column in raw.cells:
        if column not in allowed:
            cells.fail(column, f"a {kind!r} row has no {column}; leave the cell blank")
    portfolio_ref = (
        cells.ref("portfolio_ref") if kind in ("portfolio", "targets", "announced") else None
    )
    project_ref = cells.ref("project_ref") if kind not in ("portfolio", "targets") else None
    effective = cells.day("effective_date", required=kind not in ("corrected", "retracted"))
    if effective is not None and effective > today + timedelta(days=1):
        cells.fail(
            "effective_date", f"{effective} is in the future; record facts once they have happened"
        )
    source = _source(cells)
    actor = cells.text("actor", max_length=200)
    payload = _payload(kind, cells)
    if len(errors) > before or row_id is None or payload is None:
        return None
    return Row(
        line=raw.line,
        row_id=row_id,
        kind=kind,
        portfolio_ref=portfolio_ref,
        project_ref=project_ref,
        effective_date=effective,
        source=source,
        actor=actor,
        digest=row_digest(raw.cells),
        payload=payload,
    )


def _source(cells: _Cells) -> Source | None:
    title = cells.text("source_title")
    url = cells.text("source_url", max_length=2000)
    if url is not None and not url.startswith(("http://", "https://")):
        cells.fail("source_url", "must start with http:// or https://")
    if title is None:
        if url is not None:
            cells.fail("source_title", "a source with a URL needs a title")
        return None
    return Source(title, url)


def _payload(kind: str, cells: _Cells) -> Payload | None:
    if kind == "portfolio":
        name = cells.text("title", required=True)
        forum = cells.text("forum", required=True)
        illustrative = cells.flag("illustrative")
        return EstablishPortfolio(name, forum, illustrative) if name and forum else None
    if kind == "targets":
        investment = _money(cells, required=True)
        jobs = cells.count("jobs", required=True)
        projects = cells.count("projects", required=True)
        if investment is None or jobs is None or projects is None:
            return None
        return RestateTargets(investment, jobs, projects)
    if kind == "announced":
        return _announce(cells)
    if kind in ("committed", "disbursed"):
        money = _money(cells, required=True)
        if money is None:
            return None
        command = c.CommitInvestment(money) if kind == "committed" else c.DisburseFunds(money)
        return RecordEvent(command)
    if kind == "jobs_created":
        if "permanent" not in cells.cells and "temporary" not in cells.cells:
            cells.fail("permanent", "give permanent or temporary jobs (or both)")
            return None
        permanent = cells.count("permanent")
        temporary = cells.count("temporary")
        return RecordEvent(c.CreateJobs(permanent or 0, temporary or 0))
    if kind == "milestone":
        name = cells.text("name", required=True)
        description = cells.text("description", max_length=5000)
        return RecordEvent(c.ReachMilestone(name, description)) if name else None
    if kind == "status_changed":
        status = cells.text("status", required=True)
        if status is not None and status not in STATUSES:
            cells.fail(
                "status",
                f"{status!r} is not a status to change to; use one of {', '.join(STATUSES)}",
            )
            return None
        return RecordEvent(c.ChangeStatus(status, cells.text("reason"))) if status else None
    if kind == "completed":
        return RecordEvent(c.Complete(cells.text("reason")))
    if kind == "cancelled":
        reason = cells.text("reason", required=True)
        return RecordEvent(c.Cancel(reason)) if reason else None
    if kind == "corrected":
        return _correct(cells)
    retracts = cells.ref("retracts")
    reason = cells.text("reason", required=True)
    return RetractRow(retracts, reason) if retracts and reason else None


def _money(cells: _Cells, *, required: bool) -> Money | None:
    amount = cells.amount("amount", required=required)
    currency = cells.currency("currency", required=required)
    if amount is None or currency is None:
        return None
    return Money(amount, currency)


def _announce(cells: _Cells) -> Announce | None:
    title = cells.text("title", required=True)
    sector = cells.text("sector", required=True, max_length=100)
    regions = cells.codes("regions") or ()
    countries = cells.codes("countries") or ()
    parties = cells.codes("parties") or ()
    investment = _money(cells, required=True)
    planned_jobs = cells.count("planned_jobs")
    start = cells.day("planned_start")
    end = cells.day("planned_end")
    illustrative = cells.flag("illustrative")
    if title is None or sector is None or investment is None:
        return None
    plan = Plan(
        title=title,
        sector=sector,
        regions=regions,
        countries=countries,
        parties=parties,
        planned_investment=investment,
        planned_jobs=planned_jobs or 0,
        planned_start=start,
        planned_end=end,
    )
    return Announce(plan, illustrative)


def _correct(cells: _Cells) -> CorrectRow | None:
    corrects = cells.ref("corrects")
    reason = cells.text("reason", required=True)
    amount = cells.amount("amount")
    currency = cells.currency("currency")
    replacement = c.Replacement(
        effective_date=cells.day("replacement_effective_date"),
        permanent=cells.count("permanent"),
        temporary=cells.count("temporary"),
        name=cells.text("name"),
        title=cells.text("title"),
        sector=cells.text("sector", max_length=100),
        regions=cells.codes("regions"),
        countries=cells.codes("countries"),
        parties=cells.codes("parties"),
        planned_jobs=cells.count("planned_jobs"),
        planned_start=cells.day("planned_start"),
        planned_end=cells.day("planned_end"),
    )
    if corrects is None or reason is None:
        return None
    return CorrectRow(corrects, reason, amount, currency, replacement)


_NORMALIZED = AMOUNT_COLUMNS | LIST_COLUMNS | INT_COLUMNS | {"illustrative"}
_NOT_DIGESTED = frozenset({"row_id", "actor"})


def _canonical(column: str, value: str) -> str | None:
    """One spelling per value, so a row means the same however it is written (``None``:
    the same as a blank cell)."""
    if column in AMOUNT_COLUMNS:
        try:
            return format(Decimal(value).normalize(), "f")
        except ArithmeticError:
            return value
    if column in LIST_COLUMNS:
        try:
            return "\x1f".join(split_list(value))
        except ValueError:
            return value
    if column == "illustrative":
        return None if value.lower() == "false" else value.lower()
    return str(int(value)) if _COUNT.fullmatch(value) else value


def row_digest(cells: Mapping[str, str]) -> str:
    """A fingerprint of what a row says (not who imports it), stored as the command digest."""
    parts = []
    for name in sorted(cells):
        if name in _NOT_DIGESTED:
            continue
        value: str | None = cells[name]
        if name in _NORMALIZED:
            value = _canonical(name, cells[name])
            if value is None:
                continue
        parts.append(f"{name}\x1f{value}")
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


# Identities


def _is_uuid(ref: str) -> UUID | None:
    if len(ref) != 36 or not ref.isascii():  # UUID() reads other digits too
        return None
    try:
        return UUID(ref)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def portfolio_id_for(ref: str) -> UUID:
    """A portfolio reference: the portfolio's own id, or any text an id derives from."""
    return _is_uuid(ref) or uuid5(_IMPORT_NAMESPACE, f"Portfolio:{ref}")


@lru_cache(maxsize=65536)
def project_id_for(ref: str) -> UUID:
    """A project reference: the project's own id, or any text an id derives from (stable, so
    a later file's events and a re-import find the project the first import announced)."""
    return _is_uuid(ref) or uuid5(_IMPORT_NAMESPACE, f"Project:{ref}")


# Applying rows


class Workspace:
    """Aggregates as the rows applied so far leave them; existing ones load from the store.

    It also remembers which version each row_id produced: for this file's rows that a
    correction or retraction names (``referenced``; every row when it is ``None``) as they
    are applied, and for earlier imports from the stored receipts, read once per window of
    rows for each aggregate that was in the store before, for the keys the window mentions.

    Checking (``keep_events``), nothing is saved: each applied row's event is dropped at once
    unless a later row may need it (the events of named rows, corrections and retractions),
    so the check holds the aggregates, not the events. ``absent`` are aggregates known not to
    be in the store (the check found that this file creates them): they are not looked for.
    """

    def __init__(
        self,
        tracker: TrackerApplication,
        *,
        referenced: set[tuple[UUID, str]] | None = None,
        keep_events: bool = False,
        absent: Iterable[UUID] = (),
    ) -> None:
        self.tracker = tracker
        self.aggregates: dict[UUID, TrackedAggregate | None] = {}
        self.created_on_line: dict[UUID, int] = {}
        self.referenced = referenced
        self.keep_events = keep_events
        self.absent = frozenset(absent)
        self.stored: set[UUID] = set()  # aggregates that were in the store when loaded
        self.wanted: dict[UUID, set[str]] = {}
        self.receipts: dict[UUID, dict[str, CommandRecord]] = {}  # this window's, stored
        self.records: dict[UUID, dict[str, CommandRecord]] = {}  # this run's, named rows
        self.unsaved: dict[tuple[UUID, int], Any] = {}

    def begin(self, window: Iterable[Row]) -> None:
        """Start on a window of rows: the keys they carry or name, per aggregate."""
        self.wanted = _keys_by_aggregate(window)
        self.receipts = {}

    def get(self, aggregate_id: UUID) -> TrackedAggregate | None:
        if aggregate_id not in self.aggregates:
            found: Any = None
            if aggregate_id not in self.absent:
                try:
                    found = self.tracker.repository.get(aggregate_id)
                except AggregateNotFoundError:
                    found = None
            self.aggregates[aggregate_id] = found
            if found is not None:
                self.stored.add(aggregate_id)
        if aggregate_id in self.stored and aggregate_id not in self.receipts:
            wanted = self.wanted.get(aggregate_id, ())
            self.receipts[aggregate_id] = (
                self.tracker.command_records(aggregate_id, wanted) if wanted else {}
            )
        return self.aggregates[aggregate_id]

    def portfolio(self, ref: str, *, column: str = "portfolio_ref") -> Portfolio:
        aggregate = self.get(portfolio_id_for(ref))
        if not isinstance(aggregate, Portfolio):
            raise ValidationError(
                f"there is no portfolio {ref!r} (establish it with a 'portfolio' row first)",
                field=column,
            )
        return aggregate

    def project(self, ref: str) -> Project:
        aggregate = self.get(project_id_for(ref))
        if not isinstance(aggregate, Project):
            raise ValidationError(
                f"there is no project {ref!r} (announce it with an 'announced' row first)",
                field="project_ref",
            )
        return aggregate

    def apply(self, row: Row, importer: Importer, today: date) -> tuple[Outcome, TrackedAggregate]:
        """Apply one row; say whether it is new or was recorded by an earlier import."""
        envelope = Envelope(
            actor=row.actor or importer.actor,
            effective_date=row.effective_date or today,
            source=row.source,
            idempotency_key=row.key,
            command_digest=row.digest,
        )
        payload = row.payload
        if isinstance(payload, EstablishPortfolio):
            return self._create(row, envelope, portfolio_id_for(row.portfolio_ref or ""), payload)
        if isinstance(payload, Announce):
            self.portfolio(row.portfolio_ref or "")
            return self._create(row, envelope, project_id_for(row.project_ref or ""), payload)
        if isinstance(payload, RestateTargets):
            portfolio = self.portfolio(row.portfolio_ref or "")
            if self._already(portfolio, envelope):
                return "already recorded", portfolio
            portfolio.restate_targets(payload.investment, payload.jobs, payload.projects, envelope)
            return self._new(portfolio, envelope)
        project = self.project(row.project_ref or "")
        if self._already(project, envelope):
            return "already recorded", project
        command, events = self._command(project, payload)
        project.execute(command, envelope, events=events)
        return self._new(project, envelope)

    def _new(
        self, aggregate: TrackedAggregate, envelope: Envelope
    ) -> tuple[Outcome, TrackedAggregate]:
        key = envelope.idempotency_key
        named = key is not None and (
            self.referenced is None or (aggregate.id, key) in self.referenced
        )
        if key is not None and named:
            self.records.setdefault(aggregate.id, {})[key] = CommandRecord(
                envelope.command_digest, aggregate.version
            )
        if self.keep_events:
            for event in aggregate.collect_events():
                if named or isinstance(event, Project.Corrected | Project.Retracted):
                    self.unsaved[(aggregate.id, event.originator_version)] = event
        return "new", aggregate

    def _record_of(self, aggregate_id: UUID, key: str) -> CommandRecord | None:
        record = self.receipts.get(aggregate_id, {}).get(key)
        return record if record is not None else self.records.get(aggregate_id, {}).get(key)

    def _already(self, aggregate: TrackedAggregate, envelope: Envelope) -> bool:
        key = envelope.idempotency_key
        record = None if key is None else self._record_of(aggregate.id, key)
        try:
            return earlier_command(record, envelope) is not None
        except IdempotencyKeyReused:
            raise IdempotencyKeyReused(
                "this row_id was already imported with different values; give a changed row a "
                "new row_id (or record a correction)",
                field="row_id",
            ) from None

    def _version_of(self, project: Project, row_id: str, column: str) -> int:
        record = self._record_of(project.id, KEY_PREFIX + row_id)
        if record is None:
            raise ValidationError(
                f"this project has no imported row {row_id!r} (it must come earlier in this "
                "file or from an earlier import)",
                field=column,
            )
        return record.version

    def _history(self, project: Project, version: int) -> dict[int, Project.Event]:
        """Event ``version`` and the corrections made to it, by version: applied in this run
        (kept while checking, or not saved yet), or stored."""
        versions = project.history_of(version)
        found = {
            v: self.unsaved[(project.id, v)] for v in versions if (project.id, v) in self.unsaved
        }
        rest = [v for v in versions if v not in found]
        if rest:
            found.update(self.tracker.events_at(project, rest))
        return found

    def _create(
        self,
        row: Row,
        envelope: Envelope,
        new_id: UUID,
        payload: EstablishPortfolio | Announce,
    ) -> tuple[Outcome, TrackedAggregate]:
        noun, column = (
            ("portfolio", "portfolio_ref")
            if isinstance(payload, EstablishPortfolio)
            else ("project", "project_ref")
        )
        existing = self.get(new_id)
        if existing is not None:
            if self._already(existing, envelope):
                return "already recorded", existing
            where = self.created_on_line.get(new_id)
            raise Conflict(
                f"{row.ref!r} already names a {type(existing).__name__.lower()} "
                + (f"(created on line {where})" if where else "that this row did not create")
                + f"; give the {noun} another reference",
                field=column,
            )
        aggregate: TrackedAggregate
        if isinstance(payload, EstablishPortfolio):
            aggregate = Portfolio.establish(
                payload.name,
                payload.forum,
                envelope.effective_date,
                envelope,
                illustrative=payload.illustrative,
                portfolio_id=new_id,
            )
        else:
            portfolio = self.portfolio(row.portfolio_ref or "")
            aggregate = Project.announce(
                portfolio.id,
                payload.plan,
                envelope,
                illustrative=payload.illustrative,
                project_id=new_id,
            )
        self.aggregates[new_id] = aggregate
        self.created_on_line[new_id] = row.line
        return self._new(aggregate, envelope)

    def _command(
        self, project: Project, payload: Payload
    ) -> tuple[c.ProjectCommand, Mapping[int, Project.Event]]:
        """The row's command, with the events it needs: the event it corrects or retracts
        and the corrections made to that event so far."""
        if isinstance(payload, RecordEvent):
            return payload.command, NO_EVENTS
        if isinstance(payload, RetractRow):
            version = self._version_of(project, payload.retracts, "retracts")
            return c.Retract(version, payload.reason), self._history(project, version)
        assert isinstance(payload, CorrectRow)
        version = self._version_of(project, payload.corrects, "corrects")
        events = self._history(project, version)
        target = events.get(version)
        replacement = payload.replacement
        if payload.amount is not None or payload.currency is not None:
            # A blank amount or currency keeps the corrected value's.
            kind = event_kind(target) if target is not None else None
            current = (
                project.plan.planned_investment
                if kind == "announced"
                else project.current_fact(target, events).amount
                if isinstance(target, Project.FactEvent)
                else None
            )
            if current is None:
                raise ValidationError(
                    f"a {kind!r} event has no amount to correct", field="replacement.amount"
                )
            money = Money(
                payload.amount if payload.amount is not None else current.amount,
                payload.currency or current.currency,
            )
            if kind == "announced":
                replacement = replace(replacement, planned_investment=money)
            else:
                replacement = replace(replacement, amount=money)
        return c.Correct(version, payload.reason, replacement), events


def _keys_by_aggregate(rows: Iterable[Row]) -> dict[UUID, set[str]]:
    """The idempotency keys each aggregate's rows carry or name (corrects, retracts)."""
    wanted: dict[UUID, set[str]] = {}
    for row in rows:
        payload = row.payload
        if isinstance(payload, EstablishPortfolio | RestateTargets):
            aggregate_id = portfolio_id_for(row.portfolio_ref or "")
        else:
            aggregate_id = project_id_for(row.project_ref or "")
        keys = wanted.setdefault(aggregate_id, set())
        keys.add(row.key)
        if isinstance(payload, CorrectRow):
            keys.add(KEY_PREFIX + payload.corrects)
        elif isinstance(payload, RetractRow):
            keys.add(KEY_PREFIX + payload.retracts)
    return wanted


#: The column a domain error's field names, per row type where it differs.
_FIELD_COLUMNS = {
    "planned_investment": "amount",
    "investment": "amount",
    "portfolio_id": "portfolio_ref",
    "Idempotency-Key": "row_id",
    "replacement": "corrects",
    "replacement.effective_date": "replacement_effective_date",
    "replacement.planned_investment": "amount",
}


def column_of(row: Row, error: TrackerError) -> str | None:
    """The file's column for the field a domain error names."""
    name = error.field
    if name is None:
        if row.kind == "status_changed":
            return "status"
        if row.kind == "corrected":
            return "corrects"
        if row.kind == "retracted":
            return "retracts"
        return "type"
    if name == "name" and row.kind == "portfolio":
        return "title"
    if name in _FIELD_COLUMNS:
        return _FIELD_COLUMNS[name]
    if name.startswith("replacement."):
        return name.removeprefix("replacement.")
    return name


def _portfolio_of(row: Row, aggregate: TrackedAggregate) -> UUID:
    if isinstance(aggregate, Project):
        return aggregate.portfolio_id
    return aggregate.id


def _permission(row: Row, importer: Importer) -> RowError | None:
    if row.kind == "portfolio" and (not importer.admin or importer.portfolio_scope):
        return RowError(row.line, "type", "a 'portfolio' row needs an admin key of no portfolio")
    if row.kind == "targets" and not importer.admin:
        return RowError(row.line, "type", "a 'targets' row needs an admin key")
    if row.actor is not None and row.actor != importer.actor and not importer.admin:
        return RowError(
            row.line, "actor", "only an admin key may import rows recorded by someone else"
        )
    return None


# The import


@dataclass(frozen=True)
class RowOutcome:
    line: int
    row_id: str
    type: str
    ref: str
    outcome: Outcome


@dataclass(frozen=True)
class _Checked:
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
        self._db = sqlite3.connect("", check_same_thread=False)  # "": a temporary file
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

    def chunks(self, size: int = WINDOW_ROWS) -> Iterator[list[RowOutcome]]:
        """The outcomes in file order, ``size`` at a time."""
        for start in range(0, self._count, size):
            rows = self._select("WHERE rowid > ? AND rowid <= ?", (start, start + size))
            yield [_outcome(row) for row in rows]

    def checked(self) -> Iterator[_Checked]:
        for start in range(0, self._count, WINDOW_ROWS):
            query = "WHERE rowid > ? AND rowid <= ?"
            for row in self._select(query, (start, start + WINDOW_ROWS)):
                yield _Checked(row[0], row[1], row[5], row[6], bool(row[4]))

    def _select(self, where: str, values: tuple[int, ...]) -> Iterator[tuple[Any, ...]]:
        query = f"SELECT {self._FIELDS} FROM outcomes {where} ORDER BY rowid"
        return iter(self._db.execute(query, values).fetchall())


def _outcome(row: tuple[Any, ...]) -> RowOutcome:
    return RowOutcome(row[0], row[1], row[2], row[3], "new" if row[4] else "already recorded")


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    rows: Sequence[RowOutcome] = ()
    events_recorded: int = 0
    position: int | None = None
    seconds: float = 0.0

    @property
    def new(self) -> int:
        if isinstance(self.rows, RowOutcomes):
            return self.rows.new
        return sum(1 for r in self.rows if r.outcome == "new")

    @property
    def already_recorded(self) -> int:
        return len(self.rows) - self.new

    def close(self) -> None:
        """Let go of the rows' outcomes (a temporary file)."""
        if isinstance(self.rows, RowOutcomes):
            self.rows.close()


def import_rows(
    tracker: TrackerApplication,
    data: ImportSource,
    kind: Literal["csv", "json"],
    importer: Importer,
    *,
    source: str = "upload",
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_events: int = BATCH_EVENTS,
    today: date | None = None,
) -> ImportReport:
    """Check every row, then (unless ``dry_run``) record the new ones in batches.

    The file is read as a stream, three times: a quick survey (rows, repeated row ids, rows
    that others name), the check, and the recording, each :data:`WINDOW_ROWS` rows at a time.

    Raises :class:`ImportRejected` listing every bad row (nothing recorded),
    :class:`ImportForbidden` for rows the importer may not record, and
    :class:`ImportInterrupted` when another writer changed a project mid-way (or the file
    changed between the check and the recording).
    """
    started = time.perf_counter()
    today = today or datetime.now(UTC).date()
    with opened(data) as stream:
        found = survey(stream, kind, progress)
        if found.undecodable is not None:
            raise ImportRejected(source, [found.undecodable])
        outcomes = RowOutcomes()
        try:
            errors, forbidden, created = check(
                tracker, stream, kind, importer, today, found, outcomes, progress
            )
            if errors:
                raise ImportRejected(source, errors)
            if not outcomes:
                raise ImportRejected(source, [RowError(1, None, "the file has no rows to import")])
            if forbidden:
                raise ImportForbidden(source, forbidden)
            report = ImportReport(source, dry_run, outcomes)
            if not dry_run and report.new:
                report.events_recorded, report.position = record(
                    tracker,
                    stream,
                    kind,
                    importer,
                    today,
                    found,
                    outcomes,
                    created,
                    progress,
                    batch_events,
                )
        except BaseException:
            outcomes.close()
            raise
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class Failed:
    """References whose creating row is bad: the rows that build on them are not judged
    (the creating row's error says why; judging them would only repeat it)."""

    portfolios: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)

    def add(self, kind: str | None, cells: Mapping[str, str]) -> None:
        if kind == "portfolio" and "portfolio_ref" in cells:
            self.portfolios.add(cells["portfolio_ref"])
        elif kind == "announced" and "project_ref" in cells:
            self.projects.add(cells["project_ref"])

    def blocks(self, row: Row) -> bool:
        if row.kind in ("targets", "announced") and row.portfolio_ref in self.portfolios:
            if row.kind == "announced" and row.project_ref is not None:
                self.projects.add(row.project_ref)
            return True
        return row.kind not in ("portfolio", "announced") and row.project_ref in self.projects


def check(
    tracker: TrackerApplication,
    stream: IO[bytes],
    kind: Literal["csv", "json"],
    importer: Importer,
    today: date,
    found: Survey,
    outcomes: RowOutcomes,
    progress: Progress | None = None,
) -> tuple[list[RowError], list[RowError], set[UUID]]:
    """Apply every row in memory, window by window; nothing is saved. Rows that build on a bad
    portfolio or announcement row are not judged. Return every bad row, the rows the importer
    may not import, and the aggregates the file creates."""
    workspace = Workspace(tracker, referenced=found.referenced, keep_events=True)
    parse_errors: list[RowError] = []
    errors: list[RowError] = []
    forbidden: list[RowError] = []
    failed = Failed()
    done = 0
    if progress:
        progress("checking", 0, found.rows)
    windows = parsed_windows(stream, kind, found, parse_errors, today=today, failed=failed)
    for window in windows:
        workspace.begin(window)
        checked: list[tuple[Row, bool]] = []
        for row in window:
            if failed.blocks(row):
                continue
            denied = _permission(row, importer)
            try:
                outcome, aggregate = workspace.apply(row, importer, today)
            except TrackerError as error:
                errors.append(RowError(row.line, column_of(row, error), error.detail))
                failed.add(row.kind, {"portfolio_ref": row.ref, "project_ref": row.ref})
                continue
            scope = importer.portfolio_scope
            if denied is None and scope is not None and _portfolio_of(row, aggregate) != scope:
                denied = RowError(
                    row.line,
                    "project_ref" if row.project_ref else "portfolio_ref",
                    "this key may only import rows of its own portfolio",
                )
            if denied is not None:
                forbidden.append(denied)
            checked.append((row, outcome == "new"))
        outcomes.add(checked)
        done += len(window)
        if progress:
            progress("checking", min(done, found.rows), found.rows)
    errors = sorted([*_first_per_cell(parse_errors), *errors], key=lambda e: e.line)
    return errors, forbidden, set(workspace.created_on_line)


def record(
    tracker: TrackerApplication,
    stream: IO[bytes],
    kind: Literal["csv", "json"],
    importer: Importer,
    today: date,
    found: Survey,
    outcomes: RowOutcomes,
    created: set[UUID],
    progress: Progress | None = None,
    batch_events: int = BATCH_EVENTS,
) -> tuple[int, int | None]:
    """Read the file again and apply its new rows on fresh state, saving them one transaction
    per batch of about ``batch_events`` events. Return the events recorded and the last
    position. Each row must be the one the check saw on that line: a file that changed since
    is not recorded past the change."""
    workspace = Workspace(tracker, referenced=found.referenced, absent=created)
    touched: dict[UUID, TrackedAggregate] = {}
    order: list[tuple[UUID, int]] = []  # the events in the order of their rows
    pending = recorded = 0
    position: int | None = None
    batch_line = 0  # the first line whose event is not saved yet

    def flush() -> None:
        nonlocal pending, recorded, position, batch_line
        if not touched:
            return
        try:
            recordings = tracker.save_many(list(touched.values()), order=order)
        except IntegrityError:
            raise ImportInterrupted(
                f"another writer changed a project while this file was recorded: the rows "
                f"before line {batch_line} were recorded, the others not. Import the file "
                "again; the rows already recorded are skipped"
            ) from None
        if recordings:
            position = recordings[-1].notification.id
        recorded += pending
        pending = batch_line = 0
        touched.clear()
        order.clear()

    if progress:
        progress("recording", 0, found.rows)
    windows = _new_rows(stream, kind, outcomes, today=today)
    try:
        for done, window in windows:
            workspace.begin(window)
            for row in window:
                try:
                    outcome, aggregate = workspace.apply(row, importer, today)
                except TrackerError as error:
                    raise ImportInterrupted(
                        f"line {row.line} no longer applies ({error.detail}): another writer "
                        f"changed its project meanwhile. The rows before line "
                        f"{batch_line or row.line} were recorded, the others not; import the "
                        "file again (rows already recorded are skipped)"
                    ) from None
                if outcome == "new":
                    if not pending:
                        batch_line = row.line
                    touched[aggregate.id] = aggregate
                    order.append((aggregate.id, aggregate.version))
                    pending += 1
                if pending >= batch_events:
                    flush()
            if progress:
                progress("recording", done, found.rows)
    except _FileChanged as change:
        raise ImportInterrupted(
            f"the file changed after it was checked (line {change.line} is not the row that "
            f"was checked): the rows before line {batch_line or change.line} were recorded, "
            "the others not. Check the file and import it again; the rows already recorded "
            "are skipped"
        ) from None
    flush()
    return recorded, position


class _FileChanged(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _new_rows(
    stream: IO[bytes], kind: Literal["csv", "json"], outcomes: RowOutcomes, *, today: date
) -> Iterator[tuple[int, list[Row]]]:
    """The rows the check found new, parsed again, :data:`WINDOW_ROWS` rows of the file at a
    time (with how many rows were read so far). Every row must be the one the check saw on
    its line (its row_id, actor and digest), or :class:`_FileChanged` says where it is not;
    the rows recorded before the check are not parsed again."""
    checked = outcomes.checked()
    window: list[Row] = []
    errors: list[RowError] = []
    read = 0
    for item in read_rows(stream, kind):
        if isinstance(item, RowError):
            raise _FileChanged(item.line)
        seen = next(checked, None)
        cells = item.cells
        if seen is None or (seen.line, seen.row_id, seen.actor) != (
            item.line,
            cells.get("row_id"),
            cells.get("actor"),
        ):
            raise _FileChanged(item.line)
        read += 1
        if seen.new:
            row = parse_row(item, errors, today=today)
            if row is None or row.digest != seen.digest:
                raise _FileChanged(item.line)
            window.append(row)
        elif row_digest(cells) != seen.digest:
            raise _FileChanged(item.line)
        if read % WINDOW_ROWS == 0:
            yield read, window
            window = []
    left = next(checked, None)
    if left is not None:
        raise _FileChanged(left.line)
    yield read, window


# The state of an import


@dataclass(frozen=True)
class ImportStatus:
    """How much of a file is recorded, by its rows' idempotency keys (``import:<row_id>``).

    Recording goes in batches, one transaction each, in file order: an import that was
    interrupted (killed, or stopped by a conflict) leaves a prefix of the file recorded, and
    importing the file again records the rest, exactly once.
    """

    source: str
    rows: int
    recorded: int
    #: Rows whose row_id is recorded with other values (a later import would refuse them).
    changed: int
    first_not_recorded: int | None
    first_changed: int | None

    @property
    def not_recorded(self) -> int:
        return self.rows - self.recorded - self.changed


def import_status(
    tracker: TrackerApplication,
    data: ImportSource,
    kind: Literal["csv", "json"],
    *,
    source: str = "upload",
) -> ImportStatus:
    """Which of the file's rows are recorded: the stored receipt of each row's key, on its
    project (or portfolio), holds the row's digest. Nothing is checked or recorded; a row
    without a row_id or a reference counts as not recorded."""
    rows = recorded = changed = 0
    first_not_recorded: int | None = None
    first_changed: int | None = None
    window: list[tuple[int, UUID, str, str]] = []
    unreadable: list[RowError] = []

    def judge() -> None:
        nonlocal recorded, changed, first_not_recorded, first_changed
        keys: dict[UUID, set[str]] = {}
        for _, aggregate_id, key, _ in window:
            keys.setdefault(aggregate_id, set()).add(key)
        receipts = {a: tracker.command_records(a, wanted) for a, wanted in keys.items()}
        for line, aggregate_id, key, digest in window:
            receipt = receipts[aggregate_id].get(key)
            if receipt is not None and receipt.digest == digest:
                recorded += 1
            elif receipt is not None:
                changed += 1
                first_changed = _earlier(first_changed, line)
            else:
                first_not_recorded = _earlier(first_not_recorded, line)
        window.clear()

    with opened(data) as stream:
        for item in read_rows(stream, kind):
            if isinstance(item, RowError):
                if item.message == NOT_UTF8:
                    raise ImportRejected(source, [item])
                if not rows:
                    unreadable.append(item)  # the header, or the file as a whole
                continue
            rows += 1
            cells = item.cells
            row_id, kind_of_row = cells.get("row_id"), cells.get("type")
            ref = cells.get("project_ref")
            if kind_of_row in ("portfolio", "targets"):
                ref = cells.get("portfolio_ref")
            if row_id is None or ref is None:
                first_not_recorded = _earlier(first_not_recorded, item.line)
                continue
            aggregate_id = (
                portfolio_id_for(ref)
                if kind_of_row in ("portfolio", "targets")
                else project_id_for(ref)
            )
            window.append((item.line, aggregate_id, KEY_PREFIX + row_id, row_digest(cells)))
            if len(window) >= WINDOW_ROWS:
                judge()
        judge()
    if not rows:
        no_rows = RowError(1, None, "the file has no rows to import")
        raise ImportRejected(source, unreadable or [no_rows])
    return ImportStatus(source, rows, recorded, changed, first_not_recorded, first_changed)


def _earlier(line: int | None, other: int) -> int:
    return other if line is None else min(line, other)
