"""Export a portfolio: its projects' figures as of a day and as known at a moment, and the events.

Figures come from the domain's own fold (each project's events recorded by ``known_at``
into a ``ProjectLedger``, then ``figures_as_of(as_of)``), the same rules the reports follow:
a project counts once it was announced by ``as_of`` and recorded by ``known_at``. The read
model only lists which projects belong to the portfolio.

Formats: ``csv`` is the import format (docs/import-format.md), one row per event, so an
export imports into another database with the same reports; ``json`` and ``xlsx`` carry
the figures and every event; ``iati`` is IATI activity XML 2.03 (tracker/iati.py).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import msgspec
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine, select

from tracker.application import RecordedEvent, TrackerApplication
from tracker.domain import commands as c
from tracker.domain.errors import NotFound, ValidationError
from tracker.domain.ledger import ProjectFigures, ProjectLedger
from tracker.domain.portfolio import Portfolio, Targets
from tracker.domain.project import Project
from tracker.domain.status import IATI_ACTIVITY_STATUS
from tracker.domain.values import Money, Source
from tracker.readmodel import tables as t
from tracker.transfer.columns import (
    COLUMNS,
    FORMULA_CHARACTERS,
    TEXT_COLUMNS,
    join_list,
    quote_formula,
)
from tracker.transfer.references import KEY_PREFIX

Format = Literal["csv", "xlsx", "json", "iati"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json", "iati")
MEDIA_TYPES: dict[Format, str] = {
    "csv": "text/csv",  # UTF-8; the API adds the charset parameter
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "iati": "application/xml",
}
EXTENSIONS: dict[Format, str] = {"csv": "csv", "xlsx": "xlsx", "json": "json", "iati": "xml"}

_ENVELOPE = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "effective_date",
        "source",
        "idempotency_key",
        "command_digest",
    }
)


@dataclass(frozen=True)
class ExportQuery:
    portfolio_id: UUID
    as_of: date | None = None
    known_at: datetime | None = None


@dataclass(frozen=True)
class ProjectExport:
    ledger: ProjectLedger
    figures: ProjectFigures
    events: list[RecordedEvent]

    @property
    def project(self) -> Project:
        return self.ledger.project

    @property
    def last_recorded_at(self) -> datetime:
        moments: list[datetime] = [e.event.timestamp for e in self.events]
        return max(moments)


@dataclass(frozen=True)
class PortfolioExport:
    query: ExportQuery
    portfolio: Portfolio
    targets: Targets | None
    portfolio_events: list[RecordedEvent]
    projects: list[ProjectExport]
    generated_at: datetime


@dataclass(frozen=True)
class Rendered:
    content: bytes
    media_type: str
    filename: str


# Gathering


def _fold(events: Sequence[RecordedEvent]) -> Any:
    aggregate = None
    for stored in events:
        aggregate = stored.event.mutate(aggregate)
    return aggregate


def gather(
    tracker: TrackerApplication,
    engine: Engine,
    query: ExportQuery,
    *,
    now: datetime | None = None,
) -> PortfolioExport:
    """The portfolio and each of its projects, folded as known at ``known_at``."""
    portfolio_events = tracker.recorded_events(query.portfolio_id, known_at=query.known_at)
    portfolio = _fold(portfolio_events)
    if not isinstance(portfolio, Portfolio):
        when = f" recorded by {query.known_at.isoformat()}" if query.known_at else ""
        raise NotFound(f"there is no portfolio {query.portfolio_id}{when}")
    with engine.connect() as conn:
        project_ids = list(
            conn.execute(
                select(t.projects.c.project_id).where(
                    t.projects.c.portfolio_id == str(query.portfolio_id)
                )
            ).scalars()
        )
    projects: list[ProjectExport] = []
    for project_id in project_ids:
        events = tracker.recorded_events(UUID(project_id), known_at=query.known_at)
        if not events or not isinstance(events[0].event, Project.Announced):
            continue  # not recorded yet by known_at
        ledger = ProjectLedger.of(e.event for e in events)
        if query.as_of is not None and ledger.announced_on() > query.as_of:
            continue  # announced later: the reports do not count it either
        projects.append(ProjectExport(ledger, ledger.figures_as_of(query.as_of), events))
    projects.sort(key=lambda p: p.events[0].position)
    return PortfolioExport(
        query=query,
        portfolio=portfolio,
        targets=portfolio.targets_as_of(query.as_of),
        portfolio_events=portfolio_events,
        projects=projects,
        generated_at=now or datetime.now(UTC),
    )


def export_portfolio(
    tracker: TrackerApplication,
    engine: Engine,
    query: ExportQuery,
    fmt: Format,
    *,
    reporting_org: Any = None,
    now: datetime | None = None,
) -> Rendered:
    """The portfolio in one format, with its media type and a file name."""
    if fmt not in FORMATS:
        raise ValidationError(
            f"{fmt!r} is not an export format; use one of {', '.join(FORMATS)}", field="format"
        )
    if fmt == "csv" and query.as_of is not None:
        raise ValidationError(
            "the csv export is the import format: it carries every event as known at "
            "known_at, so it takes no as_of (json, xlsx and iati give figures as of a day)",
            field="as_of",
        )
    export = gather(tracker, engine, query, now=now)
    if fmt == "csv":
        content = to_csv(export).encode()
    elif fmt == "json":
        content = to_json(export)
    elif fmt == "xlsx":
        content = to_xlsx(export)
    else:
        from tracker.iati import ReportingOrg, to_iati

        org = reporting_org or ReportingOrg.default_for(export.portfolio)
        content = to_iati(export, org)
    return Rendered(content, MEDIA_TYPES[fmt], filename(query, fmt))


def filename(query: ExportQuery, fmt: Format) -> str:
    name = f"portfolio-{query.portfolio_id}"
    if query.as_of is not None:
        name += f"-as-of-{query.as_of.isoformat()}"
    if query.known_at is not None:
        name += f"-known-at-{query.known_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{name}.{EXTENSIONS[fmt]}"


# Plain values


def amount_text(amount: Decimal) -> str:
    return format(amount, "f")


def plain(value: Any) -> Any:
    """Domain values as JSON-friendly data (amounts stay decimal strings)."""
    if isinstance(value, Money):
        return {"amount": amount_text(value.amount), "currency": value.currency}
    if isinstance(value, c.Replacement):
        return {k: plain(v) for k, v in value.given().items()}
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return amount_text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


def payload(event: Any) -> dict[str, Any]:
    return {k: plain(v) for k, v in vars(event).items() if k not in _ENVELOPE}


def source_dict(source: Source | None) -> dict[str, Any] | None:
    return {"title": source.title, "url": source.url} if source else None


# CSV: the import format


def row_id_of(stored: RecordedEvent) -> str:
    """The row id an event is exported under: the one it was imported with, if it was."""
    key = stored.event.idempotency_key
    if key and key.startswith(KEY_PREFIX):
        return str(key[len(KEY_PREFIX) :])
    return f"{stored.aggregate_id}:{stored.version}"


def _money_cells(money: Money | None) -> dict[str, str]:
    if money is None:
        return {}
    return {"amount": amount_text(money.amount), "currency": money.currency}


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _event_cells(stored: RecordedEvent, row_ids: dict[tuple[UUID, int], str]) -> dict[str, str]:
    """One event as a row of the import format (blank cells left out). A text cell that a
    spreadsheet would run as a formula gets one ``'`` in front, which the importer removes."""
    e = stored.event
    cells: dict[str, str] = {
        "row_id": row_ids[(stored.aggregate_id, stored.version)],
        "type": stored.kind if stored.kind != "established" else "portfolio",
        "effective_date": e.effective_date.isoformat(),
        "actor": e.actor,
    }
    if e.source is not None:
        cells["source_title"] = e.source.title
        cells["source_url"] = e.source.url or ""
    if isinstance(e, Portfolio.Established):
        cells.update(
            portfolio_ref=str(stored.aggregate_id),
            title=e.name,
            forum=e.forum,
            effective_date=e.established_on.isoformat(),
            illustrative="true" if e.illustrative else "",
        )
    elif isinstance(e, Portfolio.TargetsRestated):
        cells["type"] = "targets"
        cells.update(
            portfolio_ref=str(stored.aggregate_id),
            jobs=str(e.jobs),
            projects=str(e.projects),
            **_money_cells(e.investment),
        )
    elif isinstance(e, Project.Announced):
        cells.update(
            portfolio_ref=str(e.portfolio_id),
            project_ref=str(stored.aggregate_id),
            title=e.title,
            sector=e.sector,
            regions=join_list(e.regions),
            countries=join_list(e.countries),
            parties=join_list(e.parties),
            planned_jobs=str(e.planned_jobs),
            planned_start=_day(e.planned_start),
            planned_end=_day(e.planned_end),
            illustrative="true" if e.illustrative else "",
            **_money_cells(e.planned_investment),
        )
    else:
        cells["project_ref"] = str(stored.aggregate_id)
        cells.update(_project_event_cells(stored, row_ids))
    return {k: quote_formula(v) if k in TEXT_COLUMNS else v for k, v in cells.items() if v != ""}


def _project_event_cells(
    stored: RecordedEvent, row_ids: dict[tuple[UUID, int], str]
) -> dict[str, str]:
    e = stored.event
    if isinstance(e, Project.InvestmentCommitted | Project.FundsDisbursed):
        return _money_cells(e.amount)
    if isinstance(e, Project.JobsCreated):
        return {"permanent": str(e.permanent), "temporary": str(e.temporary)}
    if isinstance(e, Project.MilestoneReached):
        return {"name": e.name, "description": e.description or ""}
    if isinstance(e, Project.StatusEvent):
        cells = {"reason": e.reason or ""}
        if isinstance(e, Project.StatusChanged):
            cells["status"] = e.status.value
        return cells
    if isinstance(e, Project.Corrected):
        values = e.replacement.given()
        cells = {"corrects": row_ids[(stored.aggregate_id, e.corrects)], "reason": e.reason}
        for name, value in values.items():
            if name in ("amount", "planned_investment"):
                cells.update(_money_cells(value))
            elif name == "effective_date":
                cells["replacement_effective_date"] = value.isoformat()
            elif name in ("regions", "countries", "parties"):
                cells[name] = join_list(value)
            elif isinstance(value, date):
                cells[name] = value.isoformat()
            else:
                cells[name] = str(value)
        return cells
    if isinstance(e, Project.Retracted):
        return {"retracts": row_ids[(stored.aggregate_id, e.retracts)], "reason": e.reason}
    raise TypeError(f"cannot export {type(e).__name__}")  # pragma: no cover


def to_csv(export: PortfolioExport) -> str:
    """Every event recorded by ``known_at``, in the order it was recorded, as import rows."""
    events = [*export.portfolio_events, *(e for p in export.projects for e in p.events)]
    events.sort(key=lambda e: e.position)
    row_ids = {(e.aggregate_id, e.version): row_id_of(e) for e in events}
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for stored in events:
        writer.writerow(_event_cells(stored, row_ids))
    return buffer.getvalue()


# JSON


def _money_list(values: Iterable[Money]) -> list[dict[str, str]]:
    return [plain(m) for m in values]


def _targets_dict(targets: Targets | None) -> dict[str, Any] | None:
    if targets is None:
        return None
    return {
        "version": targets.version,
        "effective_date": targets.effective_date.isoformat(),
        "investment": plain(targets.investment),
        "jobs": targets.jobs,
        "projects": targets.projects,
        "source": source_dict(targets.source),
    }


def event_dict(stored: RecordedEvent) -> dict[str, Any]:
    e = stored.event
    return {
        "type": stored.kind,
        "version": stored.version,
        "position": stored.position,
        "effective_date": e.effective_date.isoformat(),
        "recorded_at": e.timestamp.isoformat(),
        "actor": e.actor,
        "source": source_dict(e.source),
        "payload": payload(e),
        "corrected_by": list(stored.corrected_by),
        "retracted_by": stored.retracted_by,
    }


def project_dict(item: ProjectExport) -> dict[str, Any]:
    p, f = item.project, item.figures
    return {
        "id": str(p.id),
        "title": p.plan.title,
        "sector": p.plan.sector,
        "regions": list(p.plan.regions),
        "countries": list(p.plan.countries),
        "parties": list(p.plan.parties),
        "illustrative": p.illustrative,
        "status": f.status.value,
        "iati_activity_status": IATI_ACTIVITY_STATUS[f.status],
        "announced_on": p.announced_on().isoformat(),
        "planned_investment": plain(p.plan.planned_investment),
        "planned_jobs": p.plan.planned_jobs,
        "planned_start": _day(p.plan.planned_start) or None,
        "planned_end": _day(p.plan.planned_end) or None,
        "committed": _money_list(f.committed),
        "disbursed": _money_list(f.disbursed),
        "jobs_created": {
            "permanent": f.jobs_permanent,
            "temporary": f.jobs_temporary,
            "total": f.jobs_permanent + f.jobs_temporary,
        },
        "milestones": list(f.milestones),
        "version": p.version,
        "last_recorded_at": item.last_recorded_at.isoformat(),
        "events": [event_dict(e) for e in item.events],
    }


def to_json(export: PortfolioExport) -> bytes:
    portfolio = export.portfolio
    document = {
        "portfolio": {
            "id": str(portfolio.id),
            "name": portfolio.name,
            "forum": portfolio.forum,
            "established_on": portfolio.established_on.isoformat(),
            "illustrative": portfolio.illustrative,
            "targets": _targets_dict(export.targets),
            "target_history": [_targets_dict(t) for t in portfolio.targets],
        },
        "as_of": _day(export.query.as_of) or None,
        "known_at": export.query.known_at.isoformat() if export.query.known_at else None,
        "generated_at": export.generated_at.isoformat(),
        "projects": [project_dict(p) for p in export.projects],
    }
    return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"


# XLSX


def _naive(moment: datetime) -> datetime:
    """Spreadsheets have no time zones: recorded times are written as UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _currencies(projects: list[ProjectExport], attribute: str) -> list[str]:
    return sorted({m.currency for p in projects for m in getattr(p.figures, attribute)})


def to_xlsx(export: PortfolioExport) -> bytes:
    """A workbook: one sheet of projects (figures), one of events, one about the export.

    Written in openpyxl's write-only mode: row by row, formats set as the cells are made."""
    workbook = Workbook(write_only=True)
    committed = _currencies(export.projects, "committed")
    disbursed = _currencies(export.projects, "disbursed")
    header = [
        "project_id",
        "title",
        "sector",
        "regions",
        "countries",
        "parties",
        "status",
        "iati_activity_status",
        "illustrative",
        "announced_on",
        "planned_start",
        "planned_end",
        "planned_investment",
        "planned_currency",
        "planned_jobs",
        *(f"committed_{c}" for c in committed),
        *(f"disbursed_{c}" for c in disbursed),
        "jobs_permanent",
        "jobs_temporary",
        "jobs_total",
        "milestones",
        "version",
        "last_recorded_at_utc",
    ]
    projects = _Sheet(workbook, "Projects", header)
    for item in export.projects:
        p, f = item.project, item.figures
        committed_by = {m.currency: m.amount for m in f.committed}
        disbursed_by = {m.currency: m.amount for m in f.disbursed}
        projects.append(
            [
                str(p.id),
                p.plan.title,
                p.plan.sector,
                " ".join(p.plan.regions),
                " ".join(p.plan.countries),
                "; ".join(p.plan.parties),
                f.status.value,
                IATI_ACTIVITY_STATUS[f.status],
                p.illustrative,
                p.announced_on(),
                p.plan.planned_start,
                p.plan.planned_end,
                p.plan.planned_investment.amount,
                p.plan.planned_investment.currency,
                p.plan.planned_jobs,
                *(committed_by.get(c) for c in committed),
                *(disbursed_by.get(c) for c in disbursed),
                f.jobs_permanent,
                f.jobs_temporary,
                f.jobs_permanent + f.jobs_temporary,
                "; ".join(f.milestones),
                p.version,
                _naive(item.last_recorded_at),
            ]
        )

    events = _Sheet(
        workbook,
        "Events",
        [
            "project_id",
            "project_title",
            "version",
            "position",
            "type",
            "effective_date",
            "recorded_at_utc",
            "actor",
            "amount",
            "currency",
            "permanent",
            "temporary",
            "name",
            "status",
            "reason",
            "corrects",
            "retracts",
            "corrected_by",
            "retracted_by",
            "source_title",
            "source_url",
            "details",
        ],
    )
    for item in export.projects:
        for stored in item.events:
            events.append(_event_line(item.project, stored))

    about = _Sheet(workbook, "Portfolio", ["key", "value"])
    targets = export.targets
    for key, value in [
        ("portfolio_id", str(export.portfolio.id)),
        ("name", export.portfolio.name),
        ("forum", export.portfolio.forum),
        ("established_on", export.portfolio.established_on),
        ("illustrative", export.portfolio.illustrative),
        ("as_of", export.query.as_of or "(everything recorded)"),
        ("known_at_utc", _naive(export.query.known_at) if export.query.known_at else "(now)"),
        ("generated_at_utc", _naive(export.generated_at)),
        ("target_investment", targets.investment.amount if targets else None),
        ("target_currency", targets.investment.currency if targets else None),
        ("target_jobs", targets.jobs if targets else None),
        ("target_projects", targets.projects if targets else None),
        ("targets_effective_date", targets.effective_date if targets else None),
        ("projects", len(export.projects)),
    ]:
        about.append([key, value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


#: What XML 1.0 cannot hold: most control characters, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """Text for an XML file (xlsx, IATI). Recorders' text may hold characters XML cannot,
    and stored events are never rewritten: show those as U+FFFD rather than fail."""
    return _NOT_XML.sub("\ufffd", text)


class _Sheet:
    """A write-only sheet: a frozen header, readable widths, dates as dates, amounts with
    two decimals."""

    def __init__(self, workbook: Workbook, title: str, header: list[str]) -> None:
        self.sheet = workbook.create_sheet(title)
        self.sheet.freeze_panes = "A2"
        self.formats: dict[int, str] = {}
        for index, name in enumerate(header):
            width = max(12, min(40, len(name) + 4))
            self.sheet.column_dimensions[get_column_letter(index + 1)].width = width
            if name.endswith(("_on", "_start", "_end", "effective_date", "_date")):
                self.formats[index] = "yyyy-mm-dd"
            elif name.endswith("_utc"):
                self.formats[index] = "yyyy-mm-dd hh:mm:ss"
            elif name in ("amount", "planned_investment") or name.startswith(
                ("committed_", "disbursed_")
            ):
                self.formats[index] = "#,##0.00"
        self.sheet.append(header)

    def append(self, values: list[Any]) -> None:
        for index, number_format in self.formats.items():
            if values[index] is not None:
                cell = WriteOnlyCell(self.sheet, values[index])
                cell.number_format = number_format
                values[index] = cell
        for index, value in enumerate(values):
            if isinstance(value, str):
                value = values[index] = xml_safe(value)  # an xlsx sheet is XML 1.0
            if isinstance(value, str) and value.startswith(FORMULA_CHARACTERS):
                # text from recorders stays text: never a formula that a spreadsheet runs,
                # even once the cell is edited (the quote prefix); the value is kept exact
                cell = WriteOnlyCell(self.sheet, value)
                cell.data_type = "s"
                cell.quotePrefix = True
                values[index] = cell
        self.sheet.append(values)


def _event_line(project: Project, stored: RecordedEvent) -> list[Any]:
    e = stored.event
    amount = getattr(e, "amount", None)
    details = payload(e)
    for shown in ("amount", "permanent", "temporary", "name", "status", "reason"):
        details.pop(shown, None)
    details.pop("corrects", None)
    details.pop("retracts", None)
    status = getattr(e, "status", None)
    return [
        str(project.id),
        project.plan.title,
        stored.version,
        stored.position,
        stored.kind,
        e.effective_date,
        _naive(e.timestamp),
        e.actor,
        amount.amount if isinstance(amount, Money) else None,
        amount.currency if isinstance(amount, Money) else None,
        getattr(e, "permanent", None),
        getattr(e, "temporary", None),
        getattr(e, "name", None),
        status.value if status is not None else None,
        getattr(e, "reason", None),
        getattr(e, "corrects", None),
        getattr(e, "retracts", None),
        " ".join(str(v) for v in stored.corrected_by) or None,
        stored.retracted_by,
        e.source.title if e.source else None,
        e.source.url if e.source else None,
        msgspec.json.encode(details).decode() if details else None,
    ]
