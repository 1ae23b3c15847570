"""Checking a row: its raw cells parsed into a :class:`Row` ready to apply, or errors.

Every bad cell is collected as a :class:`RowError` naming its line and column (not only the
first one), so one pass over a file lists everything wrong with it. The domain's own rules
judge a row later, when it is applied; :func:`column_of` names the file's column for the
field a domain error names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from tracker.domain import commands as c
from tracker.domain.errors import N_, TrackerError
from tracker.domain.plan import Plan
from tracker.domain.publisher import (
    DEFAULT_FLOW_TYPE,
    DEFAULT_ORGANISATION_TYPE,
    ReportingOrganisation,
)
from tracker.domain.values import Money, Source
from tracker.transfer.cells import COUNT, Cells
from tracker.transfer.columns import (
    AMOUNT_COLUMNS,
    COMMON,
    INT_COLUMNS,
    LIST_COLUMNS,
    ROW_TYPES,
    TYPE_COLUMNS,
    split_list,
)
from tracker.transfer.document_rows import (
    DOCUMENT_COLUMNS,
    ChangeDocument,
    SignDocument,
    document_payload,
)
from tracker.transfer.errors import RowError
from tracker.transfer.rate_rows import (
    RATE_COLUMNS,
    ChooseRateSets,
    EstablishRateSet,
    PublishRate,
    rate_payload,
)
from tracker.transfer.raw_rows import RawRow
from tracker.transfer.references import (
    DOCUMENT_ROWS,
    PORTFOLIO_ROWS,
    RATE_ROWS,
    RATE_SET_ROWS,
    aggregate_id_for,
    row_key,
)

STATUSES = (
    "agreed",
    "in_preparation",
    "under_implementation",
    "operational",
    "suspended",
    "resumed",
)
#: Row types that name a portfolio by its portfolio_ref.
_NAMING_A_PORTFOLIO = (
    "portfolio",
    "targets",
    "statement",
    "announced",
    "rate_sets_chosen",
    "reporting_organisation",
    "document_signed",
)
#: Row types whose effective_date may be blank (today).
_UNDATED = (
    "corrected",
    "retracted",
    "title_translated",
    "rate_set",
    "rate_sets_chosen",
    "reporting_organisation",
)

#: The columns each row type may fill, the common ones included.
_ALLOWED = {kind: COMMON | columns for kind, columns in TYPE_COLUMNS.items()}


@dataclass(frozen=True, slots=True)
class EstablishPortfolio:
    name: str
    forum: str
    illustrative: bool


@dataclass(frozen=True, slots=True)
class RestateTargets:
    investment: Money
    jobs: int
    projects: int


@dataclass(frozen=True, slots=True)
class RecordStatement:
    """A sourced statement about the whole portfolio (the row's source is required)."""

    measure: str
    summary: str
    count: int | None
    amount: Money | None
    jobs: int | None


@dataclass(frozen=True, slots=True)
class SetReportingOrganisation:
    """Who publishes the portfolio to IATI (checked by the domain when applied)."""

    organisation: ReportingOrganisation


@dataclass(frozen=True, slots=True)
class Announce:
    plan: Plan
    illustrative: bool


@dataclass(frozen=True, slots=True)
class RecordEvent:
    command: c.ProjectCommand


@dataclass(frozen=True, slots=True)
class CorrectRow:
    """A correction; ``amount``/``currency`` replace the money of whatever it corrects."""

    corrects: str
    reason: str
    amount: Decimal | None
    currency: str | None
    replacement: c.Replacement


@dataclass(frozen=True, slots=True)
class RetractRow:
    retracts: str
    reason: str


Payload = (
    EstablishPortfolio
    | RestateTargets
    | RecordStatement
    | SetReportingOrganisation
    | Announce
    | RecordEvent
    | CorrectRow
    | RetractRow
    | EstablishRateSet
    | PublishRate
    | ChooseRateSets
    | SignDocument
    | ChangeDocument
)


@dataclass(frozen=True, slots=True)
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
    rate_set_ref: str | None = None
    document_ref: str | None = None

    @property
    def key(self) -> str:
        return row_key(self.row_id)

    @property
    def ref(self) -> str:
        """The reference of the aggregate the row's event belongs to."""
        return (
            self.document_ref or self.project_ref or self.portfolio_ref or self.rate_set_ref or ""
        )

    @property
    def aggregate_id(self) -> UUID:
        """The portfolio or project the row's event belongs to."""
        return aggregate_id_for(self.kind, self.ref)


def parse_row(raw: RawRow, errors: list[RowError]) -> Row | None:
    """The row its cells say, or ``None`` with an error per bad cell added to ``errors``."""
    before = len(errors)
    cells = Cells(raw, errors)
    row_id = cells.ref("row_id")
    kind = cells.text("type", required=True)
    if kind is not None and kind not in TYPE_COLUMNS:
        cells.fail(
            "type",
            N_("%(kind)r is not a row type; use one of %(types)s"),
            kind=kind,
            types=", ".join(ROW_TYPES),
        )
        kind = None
    if kind is None:
        return None
    allowed = _ALLOWED[kind]
    for column in () if raw.cells.keys() <= allowed else raw.cells:  # mostly none to look at
        if column not in allowed:
            cells.fail(
                column,
                N_("a %(kind)r row has no %(column)s; leave the cell blank"),
                kind=kind,
                column=column,
            )
    portfolio_ref = cells.ref("portfolio_ref") if kind in _NAMING_A_PORTFOLIO else None
    project_ref = (
        cells.ref("project_ref")
        if kind not in (*PORTFOLIO_ROWS, *RATE_SET_ROWS, *DOCUMENT_ROWS)
        else None
    )
    rate_set_ref = cells.ref("rate_set_ref") if kind in RATE_SET_ROWS else None
    document_ref = cells.ref("document_ref") if kind in DOCUMENT_ROWS else None
    # Whether the day is in the future is the domain's rule, judged when the row is applied.
    effective = cells.day("effective_date", required=kind not in _UNDATED)
    source = _source(cells)
    actor = cells.text("actor", max_length=200)
    payload = (
        rate_payload(kind, cells, effective)
        if kind in RATE_ROWS
        else document_payload(kind, cells)
        if kind in DOCUMENT_ROWS
        else _payload(kind, cells)
    )
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
        rate_set_ref=rate_set_ref,
        document_ref=document_ref,
    )


def _source(cells: Cells) -> Source | None:
    title = cells.text("source_title")
    url = cells.text("source_url", max_length=2000)
    if url is not None and not url.startswith(("http://", "https://")):
        cells.fail("source_url", N_("must start with http:// or https://"))
    if title is None:
        if url is not None:
            cells.fail("source_title", N_("a source with a URL needs a title"))
        return None
    return Source(title, url)


def _payload(kind: str, cells: Cells) -> Payload | None:
    # the kinds most rows are first
    if kind in ("committed", "disbursed"):
        money = _money(cells, required=True)
        if money is None:
            return None
        command = c.CommitInvestment(money) if kind == "committed" else c.DisburseFunds(money)
        return RecordEvent(command)
    if kind == "jobs_created":
        if "permanent" not in cells.cells and "temporary" not in cells.cells:
            cells.fail("permanent", N_("give permanent or temporary jobs (or both)"))
            return None
        permanent = cells.count("permanent")
        temporary = cells.count("temporary")
        return RecordEvent(c.CreateJobs(permanent or 0, temporary or 0))
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
    if kind == "statement":
        measure = cells.text("measure", required=True)
        summary = cells.text("description", required=True, max_length=1000)
        if ("amount" in cells.cells) != ("currency" in cells.cells):
            cells.fail("currency", N_("a stated amount needs both its amount and its currency"))
        amount = _money(cells, required=False)
        count = cells.count("count")
        jobs = cells.count("jobs")
        if measure is None or summary is None:
            return None
        return RecordStatement(measure, summary, count, amount, jobs)
    if kind == "reporting_organisation":
        ref = cells.text("organisation_ref", required=True, max_length=100)
        name = cells.text("name", required=True, max_length=200)
        org_type = cells.text("organisation_type") or DEFAULT_ORGANISATION_TYPE
        flow_type = cells.text("flow_type") or DEFAULT_FLOW_TYPE
        if ref is None or name is None:
            return None
        return SetReportingOrganisation(ReportingOrganisation(ref, name, org_type, flow_type))
    if kind == "announced":
        return _announce(cells)
    if kind == "milestone":
        name = cells.text("name", required=True)
        description = cells.text("description", max_length=5000)
        return RecordEvent(c.ReachMilestone(name, description)) if name else None
    if kind == "status_changed":
        status = cells.text("status", required=True)
        if status is not None and status not in STATUSES:
            cells.fail(
                "status",
                N_("%(status)r is not a status to change to; use one of %(statuses)s"),
                status=status,
                statuses=", ".join(STATUSES),
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
    if kind == "title_translated":  # the domain checks the language and the title
        language = cells.text("language", required=True, max_length=20)
        title = cells.text("title", required=True)
        return RecordEvent(c.TranslateTitle(language, title)) if language and title else None
    retracts = cells.ref("retracts")
    reason = cells.text("reason", required=True)
    return RetractRow(retracts, reason) if retracts and reason else None


def _money(cells: Cells, *, required: bool) -> Money | None:
    amount = cells.amount("amount", required=required)
    currency = cells.currency("currency", required=required)
    if amount is None or currency is None:
        return None
    return Money(amount, currency)


def _announce(cells: Cells) -> Announce | None:
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


def _correct(cells: Cells) -> CorrectRow | None:
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
    return str(int(value)) if COUNT.fullmatch(value) else value


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
    if name == "name" and row.kind in ("portfolio", "rate_set"):
        return "title"
    if row.kind == "reporting_organisation":
        return {"ref": "organisation_ref", "type": "organisation_type"}.get(name, name)
    if row.kind == "rate":
        return RATE_COLUMNS.get(name, "amount" if name.startswith("rates") else name)
    if row.kind in DOCUMENT_ROWS and name not in _FIELD_COLUMNS:
        base = name.partition("[")[0]  # parties[1], projects[0]
        return DOCUMENT_COLUMNS.get(base, base)
    if name in _FIELD_COLUMNS:
        return _FIELD_COLUMNS[name]
    if name.startswith("replacement."):
        return name.removeprefix("replacement.")
    return name
