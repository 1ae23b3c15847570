"""The xlsx export: one sheet of projects (figures), one of events, one of the rate sets the
portfolio converts with and their rates, one about the export, and one of the import rows
(*Rows*, the csv export's rows as text), which ``tracker import`` reads back."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import msgspec
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from tracker.domain.project import Project
from tracker.domain.status import IATI_ACTIVITY_STATUS
from tracker.domain.values import Money
from tracker.history import RecordedEvent
from tracker.integrity.signing import checkpoint_dict
from tracker.transfer.columns import COLUMNS, FORMULA_CHARACTERS
from tracker.transfer.export_csv import import_rows_of
from tracker.transfer.export_values import event_payload, xml_safe
from tracker.transfer.portfolio_export import PortfolioExport, ProjectExport
from tracker.transfer.xlsx_reader import ROWS_SHEET


def _naive(moment: datetime) -> datetime:
    """Spreadsheets have no time zones: recorded times are written as UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _currencies(projects: list[ProjectExport], attribute: str) -> list[str]:
    return sorted({m.currency for p in projects for m in getattr(p.figures, attribute)})


def to_xlsx(export: PortfolioExport) -> bytes:
    """A workbook: one sheet of projects (figures), one of events, one of rates (the sets the
    portfolio converts with at known_at, preferred first), one about the export.

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

    rates = _Sheet(
        workbook,
        "Rate sets",
        [
            "preference",
            "rate_set_id",
            "rate_set",
            "illustrative",
            "currency",
            "rate_date",
            "units_per_usd",
            "source_title",
            "source_url",
        ],
    )
    for preference, rate_set in enumerate(export.chosen_rate_sets, start=1):
        for rate in rate_set.rates:
            rates.append(
                [
                    preference,
                    str(rate_set.id),
                    rate_set.name,
                    rate_set.illustrative,
                    rate.currency,
                    rate.rate_date,
                    rate.units_per_usd,
                    rate.source.title if rate.source else None,
                    rate.source.url if rate.source else None,
                ]
            )

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
        (
            "rows",
            "sheet Rows: every event recorded by known_at in the import format (as_of "
            "aside), so that importing this workbook reproduces the portfolio",
        ),
        *_checkpoint_rows(export),
    ]:
        about.append([key, value])
    rows = _Sheet(workbook, ROWS_SHEET, list(COLUMNS))
    for cells in import_rows_of(export):
        rows.append([cells.get(name) for name in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _checkpoint_rows(export: PortfolioExport) -> list[tuple[str, Any]]:
    """The signed checkpoint of the event log the workbook was made under (docs/integrity.md)."""
    if export.checkpoint is None:
        return [("checkpoint", "(none signed yet)")]
    return [(f"checkpoint_{k}", v) for k, v in checkpoint_dict(export.checkpoint).items()]


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
    details = event_payload(e)
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
