"""Bulk import: portfolios, projects and their events from one CSV or JSON format.

The format is documented in ``docs/import-format.md``. An import runs in two passes:

1. *Check*: every row is parsed and applied to in-memory aggregates (loaded from the store
   when they already exist), in file order, so the domain's own rules judge each row. Every
   bad row is collected; one bad row and nothing is recorded.
2. *Record*: the rows are applied again to freshly loaded aggregates and saved in batches,
   one transaction per batch, so events carry the time they were actually recorded.

Idempotency is the domain's: each row's event carries ``idempotency_key = "import:<row_id>"``
and a digest of the row, and ids derive from the file's references, so importing the same file
again finds every row already recorded and records nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal, TypeVar
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


@dataclass
class RawFile:
    rows: list[RawRow]
    errors: list[RowError]


def file_kind(name: str) -> Literal["csv", "json"]:
    """The format a file name says (``.csv`` or ``.json``), or :class:`ValidationError`."""
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(".json"):
        return "json"
    raise ValidationError(f"{name}: the file name must end in .csv or .json", field="file")


def read_file(data: bytes, kind: Literal["csv", "json"]) -> RawFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return RawFile([], [RowError(line, None, "the file is not UTF-8 text")])
    return read_csv(text) if kind == "csv" else read_json(text)


def read_csv(text: str) -> RawFile:
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[RowError] = []
    rows: list[RawRow] = []
    try:
        header = next(reader, None)
    except csv.Error as error:
        return RawFile([], [RowError(1, None, f"unreadable CSV: {error}")])
    if header is None:
        return RawFile(
            [], [RowError(1, None, "the file is empty; the first line must name the columns")]
        )
    columns = [name.strip() for name in header]
    errors.extend(_check_header(columns))
    if errors:
        return RawFile([], errors)
    line = reader.line_num + 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(columns):
                errors.append(
                    RowError(
                        start,
                        None,
                        f"{len(record)} cells, but the header names {len(columns)} columns",
                    )
                )
                continue
            cells = {}
            for name, value in zip(columns, record, strict=False):
                value = value.strip()
                if value:
                    cells[name] = value
            rows.append(RawRow(start, cells))
    except csv.Error as error:
        errors.append(RowError(line, None, f"unreadable CSV: {error}"))
    return RawFile(rows, errors)


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


def read_json(text: str) -> RawFile:
    """A JSON array of row objects; each row keeps the line where its object starts."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    errors: list[RowError] = []
    rows: list[RawRow] = []
    index = _skip_space(text, 0)
    if index >= len(text) or text[index] != "[":
        return RawFile([], [RowError(_line_at(text, index), None, "expected a JSON array of rows")])
    index = _skip_space(text, index + 1)
    expect_item = False
    while True:
        if index >= len(text):
            return RawFile(
                rows,
                [
                    *errors,
                    RowError(_line_at(text, index), None, "unexpected end of the JSON array"),
                ],
            )
        if text[index] == "]" and not expect_item:
            break
        line = _line_at(text, index)
        try:
            item, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            return RawFile(
                rows, [*errors, RowError(error.lineno, None, f"invalid JSON: {error.msg}")]
            )
        except RecursionError:
            return RawFile(rows, [*errors, RowError(line, None, "the JSON nests too deeply")])
        if not isinstance(item, dict):
            errors.append(RowError(line, None, "each row must be a JSON object"))
        else:
            cells, cell_errors = _json_cells(item, line)
            errors.extend(cell_errors)
            if cells:
                rows.append(RawRow(line, cells))
        index = _skip_space(text, index)
        if index < len(text) and text[index] == ",":
            index = _skip_space(text, index + 1)
            expect_item = True
        else:
            expect_item = False
            if index >= len(text) or text[index] != "]":
                return RawFile(
                    rows,
                    [
                        *errors,
                        RowError(_line_at(text, index), None, "expected ',' or ']' after a row"),
                    ],
                )
    trailing = _skip_space(text, index + 1)
    if trailing < len(text):
        errors.append(RowError(_line_at(text, trailing), None, "unexpected text after the array"))
    return RawFile(rows, errors)


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


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
            text = join_list([v.strip() for v in value if v.strip()])
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
        if not value.isdigit():
            self.fail(column, f"{value!r} is not a whole number of at least 0")
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
        return date.fromisoformat(value) if len(value) == 10 else _bad_date()
    except ValueError:
        raise ValidationError(f"{value!r} is not a date such as 2025-03-31") from None


def _parse_currency(value: str, column: str) -> str:
    if not _CURRENCY.match(value):
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code such as USD")
    return check_currency(value, field=column)


def _bad_date() -> date:
    raise ValueError


def parse_rows(
    raw: RawFile,
    *,
    today: date,
    failed: Failed | None = None,
    progress: Progress | None = None,
) -> tuple[list[Row], list[RowError]]:
    """Every row parsed, and every cell that could not be (all of them, not the first).
    ``failed`` collects the references whose portfolio or announcement row is bad."""
    errors = list(raw.errors)
    rows: list[Row] = []
    seen: dict[tuple[str, str], int] = {}
    if progress:
        progress("reading", 0, len(raw.rows))
    for done, record in enumerate(raw.rows, 1):
        if progress and (done % 2000 == 0 or done == len(raw.rows)):
            progress("reading", done, len(raw.rows))
        row = parse_row(record, errors, today=today)
        if row is None and failed is not None:
            failed.add(record.cells.get("type"), record.cells)
        row_id = record.cells.get("row_id")
        if row_id is None:
            continue
        # row ids name rows within a project (or a portfolio's own rows)
        owner = record.cells.get("project_ref") or f"portfolio:{record.cells.get('portfolio_ref')}"
        if (owner, row_id) in seen:
            first = seen[(owner, row_id)]
            errors.append(
                RowError(
                    record.line, "row_id", f"row_id {row_id!r} is already used on line {first}"
                )
            )
            continue
        seen[(owner, row_id)] = record.line
        if row is not None:
            rows.append(row)
    return rows, _first_per_cell(errors)


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
    return str(int(value)) if value.isdigit() else value


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
    if len(ref) != 36:
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

    It also remembers which version each row_id produced: for this file's rows as they are
    applied, and for earlier imports from the stored receipts, read once per aggregate for
    the keys this file mentions.
    """

    def __init__(self, tracker: TrackerApplication, rows: Iterable[Row] = ()) -> None:
        self.tracker = tracker
        self.aggregates: dict[UUID, TrackedAggregate | None] = {}
        self.created_on_line: dict[UUID, int] = {}
        self.wanted = _keys_by_aggregate(rows)
        self.records: dict[UUID, dict[str, CommandRecord]] = {}

    def get(self, aggregate_id: UUID) -> TrackedAggregate | None:
        if aggregate_id not in self.aggregates:
            try:
                found: Any = self.tracker.repository.get(aggregate_id)
            except AggregateNotFoundError:
                found = None
            self.aggregates[aggregate_id] = found
            wanted = self.wanted.get(aggregate_id, ())
            self.records[aggregate_id] = (
                self.tracker.command_records(aggregate_id, wanted) if found and wanted else {}
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
        if envelope.idempotency_key is not None:
            self.records.setdefault(aggregate.id, {})[envelope.idempotency_key] = CommandRecord(
                envelope.command_digest, aggregate.version
            )
        return "new", aggregate

    def _already(self, aggregate: TrackedAggregate, envelope: Envelope) -> bool:
        key = envelope.idempotency_key
        record = None if key is None else self.records.get(aggregate.id, {}).get(key)
        try:
            return earlier_command(record, envelope) is not None
        except IdempotencyKeyReused:
            raise IdempotencyKeyReused(
                "this row_id was already imported with different values; give a changed row a "
                "new row_id (or record a correction)",
                field="row_id",
            ) from None

    def _version_of(self, project: Project, row_id: str, column: str) -> int:
        record = self.records.get(project.id, {}).get(KEY_PREFIX + row_id)
        if record is None:
            raise ValidationError(
                f"this project has no imported row {row_id!r} (it must come earlier in this "
                "file or from an earlier import)",
                field=column,
            )
        return record.version

    def _history(self, project: Project, version: int) -> dict[int, Project.Event]:
        """Event ``version`` and the corrections made to it, by version: applied in this run
        and not saved yet, or stored."""
        return self.tracker.events_at(project, project.history_of(version))

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


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    events_recorded: int = 0
    position: int | None = None
    seconds: float = 0.0

    @property
    def new(self) -> int:
        return sum(1 for r in self.rows if r.outcome == "new")

    @property
    def already_recorded(self) -> int:
        return len(self.rows) - self.new


def import_rows(
    tracker: TrackerApplication,
    data: bytes,
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

    Raises :class:`ImportRejected` listing every bad row (nothing recorded),
    :class:`ImportForbidden` for rows the importer may not record, and
    :class:`ImportInterrupted` when another writer changed a project mid-way.
    """
    started = time.perf_counter()
    today = today or datetime.now(UTC).date()
    failed = Failed()
    rows, errors = parse_rows(read_file(data, kind), today=today, failed=failed, progress=progress)
    report = ImportReport(source, dry_run)
    outcomes, domain_errors, forbidden = check(tracker, rows, importer, today, progress, failed)
    errors = sorted([*errors, *domain_errors], key=lambda e: e.line)
    if errors:
        raise ImportRejected(source, errors)
    if not rows:
        raise ImportRejected(source, [RowError(1, None, "the file has no rows to import")])
    if forbidden:
        raise ImportForbidden(source, forbidden)
    report.rows = outcomes
    if not dry_run and report.new:
        report.events_recorded, report.position = record(
            tracker, rows, importer, today, progress, batch_events
        )
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
    rows: list[Row],
    importer: Importer,
    today: date,
    progress: Progress | None = None,
    failed: Failed | None = None,
) -> tuple[list[RowOutcome], list[RowError], list[RowError]]:
    """Apply every row in memory; nothing is saved. Rows that build on a bad portfolio or
    announcement row are not judged."""
    workspace = Workspace(tracker, rows)
    outcomes: list[RowOutcome] = []
    errors: list[RowError] = []
    forbidden: list[RowError] = []
    failed = failed or Failed()
    if progress:
        progress("checking", 0, len(rows))
    for done, row in enumerate(rows, 1):
        if progress and (done % 500 == 0 or done == len(rows)):
            progress("checking", done, len(rows))
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
        outcomes.append(RowOutcome(row.line, row.row_id, row.kind, row.ref, outcome))
    return outcomes, errors, forbidden


def record(
    tracker: TrackerApplication,
    rows: list[Row],
    importer: Importer,
    today: date,
    progress: Progress | None = None,
    batch_events: int = BATCH_EVENTS,
) -> tuple[int, int | None]:
    """Apply the checked rows again on fresh state and save them, one transaction per batch
    of about ``batch_events`` events. Return the events recorded and the last position."""
    workspace = Workspace(tracker, rows)
    touched: dict[UUID, TrackedAggregate] = {}
    order: list[tuple[UUID, int]] = []  # the events in the order of their rows
    pending = recorded = 0
    position: int | None = None
    batch_line = 0  # the first line whose event is not saved yet

    def flush() -> None:
        nonlocal pending, recorded, position
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
        pending = 0
        touched.clear()
        order.clear()

    if progress:
        progress("recording", 0, len(rows))
    for done, row in enumerate(rows, 1):
        try:
            outcome, aggregate = workspace.apply(row, importer, today)
        except TrackerError as error:
            raise ImportInterrupted(
                f"line {row.line} no longer applies ({error.detail}): another writer changed "
                f"its project meanwhile. The rows before line {batch_line or row.line} were "
                "recorded, the others not; import the file again (rows already recorded are "
                "skipped)"
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
                progress("recording", done, len(rows))
    flush()
    if progress:
        progress("recording", len(rows), len(rows))
    return recorded, position
