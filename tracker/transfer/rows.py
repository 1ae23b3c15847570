"""Checking a row: its raw cells parsed into a :class:`Row` ready to apply, or errors.

Every bad cell is collected as a :class:`RowError` naming its line and column (not only the
first one), so one pass over a file lists everything wrong with it. The domain's own rules
judge a row later, when it is applied; :func:`column_of` names the file's column for the
field a domain error names.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from tracker.domain import commands as c
from tracker.domain.errors import TrackerError, ValidationError
from tracker.domain.plan import Plan
from tracker.domain.values import Money, Source, check_currency, parse_amount
from tracker.transfer.columns import (
    AMOUNT_COLUMNS,
    COMMON,
    INT_COLUMNS,
    LIST_COLUMNS,
    ROW_TYPES,
    TYPE_COLUMNS,
    split_list,
)
from tracker.transfer.errors import RowError
from tracker.transfer.readers import RawRow
from tracker.transfer.references import PORTFOLIO_ROWS, aggregate_id_for, row_key

T = TypeVar("T")
STATUSES = (
    "agreed",
    "in_preparation",
    "under_implementation",
    "operational",
    "suspended",
    "resumed",
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
        return row_key(self.row_id)

    @property
    def ref(self) -> str:
        return self.project_ref or self.portfolio_ref or ""

    @property
    def aggregate_id(self) -> UUID:
        """The portfolio or project the row's event belongs to."""
        return aggregate_id_for(self.kind, self.ref)


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


def parse_row(raw: RawRow, errors: list[RowError]) -> Row | None:
    """The row its cells say, or ``None`` with an error per bad cell added to ``errors``."""
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
    project_ref = cells.ref("project_ref") if kind not in PORTFOLIO_ROWS else None
    # Whether the day is in the future is the domain's rule, judged when the row is applied.
    effective = cells.day("effective_date", required=kind not in ("corrected", "retracted"))
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
