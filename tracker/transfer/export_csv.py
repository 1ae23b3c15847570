"""The CSV export: the import format, one row per event, so an export imports into another
database with the same reports (docs/import-format.md)."""

from __future__ import annotations

import csv
import io
from datetime import date
from uuid import UUID

from tracker.application import RecordedEvent
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.values import Money
from tracker.transfer.columns import COLUMNS, LIST_COLUMNS, TEXT_COLUMNS, join_list, quote_formula
from tracker.transfer.export_values import day_text, money_dict
from tracker.transfer.portfolio_export import PortfolioExport
from tracker.transfer.references import KEY_PREFIX


def row_id_of(stored: RecordedEvent) -> str:
    """The row id an event is exported under: the one it was imported with, if it was."""
    key = stored.event.idempotency_key
    if key and key.startswith(KEY_PREFIX):
        return str(key[len(KEY_PREFIX) :])
    return f"{stored.aggregate_id}:{stored.version}"


def _money_cells(money: Money | None) -> dict[str, str]:
    return {} if money is None else money_dict(money)


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
            planned_start=day_text(e.planned_start),
            planned_end=day_text(e.planned_end),
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
            elif name in LIST_COLUMNS:
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
