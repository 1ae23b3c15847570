"""The CSV export: the import format, one row per event, so an export imports into another
database with the same reports (docs/import-format.md).

The rate sets the portfolio named come first, one ``rate_set`` row each and one ``rate`` row
per rate in force at known_at, so that the portfolio's ``rate_sets_chosen`` rows find them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from uuid import UUID

from tracker.domain.document import Document
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.values import Money, Source
from tracker.history import RecordedEvent
from tracker.transfer.columns import COLUMNS, LIST_COLUMNS, TEXT_COLUMNS, join_list, quote_formula
from tracker.transfer.document_export import document_event_cells
from tracker.transfer.export_values import amount_text, day_text, money_dict
from tracker.transfer.portfolio_export import PortfolioExport
from tracker.transfer.rate_rows import NONE_CHOSEN
from tracker.transfer.rate_set_export import ExportedRate, RateSetExport
from tracker.transfer.references import KEY_PREFIX


def row_id_of(stored: RecordedEvent) -> str:
    """The row id an event is exported under: the one it was imported with, if it was."""
    key = stored.event.idempotency_key
    if key and key.startswith(KEY_PREFIX):
        return str(key[len(KEY_PREFIX) :])
    return f"{stored.aggregate_id}:{stored.version}"


def rate_row_id(rate_set_id: UUID, rate: ExportedRate) -> str:
    """The row id a rate in force is exported under: one per set, currency and date, so the
    same export imported twice records it once."""
    return f"rate:{rate_set_id}:{rate.currency}:{rate.rate_date.isoformat()}"


def _money_cells(money: Money | None) -> dict[str, str]:
    return {} if money is None else money_dict(money)


def _source_cells(source: Source | None) -> dict[str, str]:
    return {} if source is None else {"source_title": source.title, "source_url": source.url or ""}


def _written(cells: dict[str, str]) -> dict[str, str]:
    """Blank cells left out; a text cell that a spreadsheet would run as a formula gets one
    ``'`` in front, which the importer removes."""
    return {k: quote_formula(v) if k in TEXT_COLUMNS else v for k, v in cells.items() if v != ""}


def _rate_set_rows(rate_set: RateSetExport) -> list[dict[str, str]]:
    """A rate set as rows: its ``rate_set`` row, then one ``rate`` row per rate in force."""
    established = rate_set.established
    ref = str(rate_set.id)
    rows = [
        {
            "row_id": row_id_of(established),
            "type": "rate_set",
            "rate_set_ref": ref,
            "effective_date": established.event.effective_date.isoformat(),
            "title": rate_set.name,
            "illustrative": "true" if rate_set.illustrative else "",
            "actor": established.event.actor,
            **_source_cells(established.event.source),
        }
    ]
    for rate in rate_set.rates:
        rows.append(
            {
                "row_id": rate_row_id(rate_set.id, rate),
                "type": "rate",
                "rate_set_ref": ref,
                "effective_date": rate.rate_date.isoformat(),
                "currency": rate.currency,
                "amount": amount_text(rate.units_per_usd),
                "actor": rate.actor,
                **_source_cells(rate.source),
            }
        )
    return [_written(row) for row in rows]


def _event_cells(stored: RecordedEvent, row_ids: dict[tuple[UUID, int], str]) -> dict[str, str]:
    """One event as a row of the import format (blank cells left out, formulas quoted)."""
    e = stored.event
    cells: dict[str, str] = {
        "row_id": row_ids[(stored.aggregate_id, stored.version)],
        "type": stored.kind if stored.kind != "established" else "portfolio",
        "effective_date": e.effective_date.isoformat(),
        "actor": e.actor,
        **_source_cells(e.source),
    }
    if isinstance(e, Document.Event):
        cells.update(document_event_cells(stored))
    elif isinstance(e, Portfolio.RateSetsChosen):
        cells.update(
            portfolio_ref=str(stored.aggregate_id),
            rate_sets=join_list(str(i) for i in e.rate_sets) or NONE_CHOSEN,
        )
    elif isinstance(e, Portfolio.Established):
        cells.update(
            portfolio_ref=str(stored.aggregate_id),
            title=e.name,
            forum=e.forum,
            effective_date=e.established_on.isoformat(),
            illustrative="true" if e.illustrative else "",
        )
    elif isinstance(e, Portfolio.StatementRecorded):
        cells["type"] = "statement"
        cells.update(
            portfolio_ref=str(stored.aggregate_id),
            measure=e.measure,
            description=e.summary,
            count="" if e.count is None else str(e.count),
            jobs="" if e.jobs is None else str(e.jobs),
            **_money_cells(e.amount),
        )
    elif isinstance(e, Portfolio.ReportingOrganisationSet):
        cells["type"] = "reporting_organisation"
        cells.update(
            portfolio_ref=str(stored.aggregate_id),
            organisation_ref=e.ref,
            name=e.name,
            organisation_type=e.type,
            flow_type=e.flow_type,
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
    return _written(cells)


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
    if isinstance(e, Project.TitleTranslated):
        return {"language": e.language, "title": e.title}
    if isinstance(e, Project.Retracted):
        return {"retracts": row_ids[(stored.aggregate_id, e.retracts)], "reason": e.reason}
    raise TypeError(f"cannot export {type(e).__name__}")  # pragma: no cover


def import_rows_of(export: PortfolioExport) -> Iterator[dict[str, str]]:
    """The rate sets the portfolio named, then every event recorded by ``known_at``, in the
    order it was recorded, as import rows (a document's after the projects it names, which
    were announced before it was signed or amended): the csv export, and the xlsx export's
    sheet *Rows*."""
    events = [
        *export.portfolio_events,
        *(e for p in export.projects for e in p.events),
        *(e for d in export.documents for e in d.events),
    ]
    events.sort(key=lambda e: e.position)
    row_ids = {(e.aggregate_id, e.version): row_id_of(e) for e in events}
    for rate_set in export.rate_sets:
        yield from _rate_set_rows(rate_set)
    for stored in events:
        yield _event_cells(stored, row_ids)


def to_csv(export: PortfolioExport, *, bom: bool = False) -> str:
    """The import rows as CSV; ``bom``: led by a UTF-8 byte-order mark, by which Excel knows
    the file is UTF-8 (without it, Excel in a Cyrillic Windows reads it as cp1251)."""
    buffer = io.StringIO(newline="")
    if bom:
        buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(import_rows_of(export))
    return buffer.getvalue()
