"""Each view of the portfolio page as a table to take away (CSV or XLSX).

A sheet is made from the very context the page is rendered from (``pages.portfolio_page``),
so it holds the figures of the page's moment, filters and layer: each figure exact, as the
page carries it in its ``<data value>``, beside its unit or currency. Nothing is computed
here that the page does not show.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from api import schemas as s
from api.dashboard import format as f
from api.schemas import projects as project_schemas
from api.schemas.statements import StatementOut
from tracker.i18n import gettext as _

Cell = str | int | date | None


@dataclass(frozen=True)
class Sheet:
    view: str  # the name in the download's URL
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def _source(source: s.SourceOut | None) -> tuple[Cell, Cell]:
    return (source.title, source.url) if source else (None, None)


def headline(page: dict[str, Any]) -> Sheet:
    progress: s.ProgressOut = page["progress"]
    rows: list[tuple[Cell, ...]] = [
        (card.title, card.figure, card.figure_unit or None, card.target, card.ratio, card.note)
        for card in page["cards"]
    ]
    rows.append(
        (
            _("Planned by the projects (cancelled ones excluded)"),
            progress.pledged.amount,
            progress.currency,
            None,
            None,
            None,
        )
    )
    return Sheet(
        "headline",
        _("Progress against the targets"),
        (_("Figure"), _("Value"), _("Unit"), _("Target"), _("Share of target"), _("Note")),
        rows,
    )


def breakdown(page: dict[str, Any], by: str) -> Sheet:
    view = next(b for b in page["breakdowns"] if b.by == by)
    label = {"sector": _("Sector"), "region": _("Region"), "country": _("Country")}[by]
    currency = page["progress"].currency
    return Sheet(
        f"breakdown-{by}",
        view.title,
        (
            label,
            _("Code"),
            _("Planned"),
            _("Committed"),
            _("Disbursed"),
            _("Currency"),
            _("Projects"),
        ),
        [
            (r.name, r.key, r.pledged, r.committed, r.disbursed, currency, r.projects)
            for r in view.rows
        ],
    )


def timeline(page: dict[str, Any]) -> Sheet:
    currency = page["progress"].currency
    points: Sequence[s.TimelinePointOut] = page["timeline"]["rows"]
    return Sheet(
        "timeline",
        _("Cumulative figures at the end of each period"),
        (
            _("Period"),
            _("Ends"),
            _("Target"),
            _("Planned"),
            _("Committed"),
            _("Disbursed"),
            _("Currency"),
            _("Jobs"),
            _("Projects"),
        ),
        [
            (
                p.period,
                p.end,
                p.targets.investment_in_report_currency if p.targets else None,
                p.figures.pledged.amount,
                p.figures.committed.amount,
                p.figures.disbursed.amount,
                currency,
                p.figures.jobs_created.total,
                p.figures.projects,
            )
            for p in points
        ],
    )


def projects(page: dict[str, Any]) -> Sheet:
    flags: dict[str, tuple[str, ...]] = page["flags"]
    rows: Sequence[project_schemas.ProjectSummaryOut] = page["matching_rows"]
    return Sheet(
        "projects",
        _("Projects"),
        (
            _("Id"),
            _("Project"),
            _("Sector"),
            _("Where"),
            _("Status"),
            _("Planned investment"),
            _("Currency"),
            _("Planned jobs"),
            _("Latest news"),
            _("Flags"),
            _("Illustrative"),
        ),
        [
            (
                str(r.id),
                r.title,
                f.sector(r.sector),
                ", ".join(map(f.region, r.regions) if r.regions else map(f.country, r.countries)),
                f.status(r.status),
                r.planned_investment.amount,
                r.planned_investment.currency,
                r.planned_jobs,
                r.last_event_on,
                ", ".join(map(f.flag, flags.get(str(r.id), ()))) or None,
                _("yes") if r.illustrative else None,
            )
            for r in rows
        ],
    )


def statements(page: dict[str, Any]) -> Sheet:
    items: Sequence[StatementOut] = page["statements"]
    return Sheet(
        "statements",
        _("What was announced, beside what is tracked"),
        (
            _("Day"),
            _("Statement"),
            _("Stated count"),
            _("Stated amount"),
            _("Currency"),
            _("Tracked projects"),
            _("Tracked planned"),
            _("Documents itemised"),
            _("Itemised value"),
            _("Source"),
            _("Source URL"),
        ),
        [
            (
                i.effective_date,
                i.summary,
                i.count,
                i.amount_in_report_currency,
                page["progress"].currency if i.amount_in_report_currency else None,
                i.tracked.projects if i.tracked else None,
                i.tracked.planned.amount if i.tracked else None,
                i.itemised.documents if i.itemised else None,
                i.itemised.value.amount if i.itemised else None,
                *_source(i.source),
            )
            for i in items
        ],
    )


def documents(page: dict[str, Any]) -> Sheet:
    register = page["documents"]
    return Sheet(
        "documents",
        _("Signed documents"),
        (
            _("Id"),
            _("Document"),
            _("Kind"),
            _("Signed"),
            _("Parties"),
            _("Value"),
            _("Currency"),
            _("Status"),
            _("Source"),
            _("Source URL"),
        ),
        [
            (
                d.id,
                d.title,
                d.kind,
                d.signed_on,
                d.parties or None,
                d.value.amount if d.value else None,
                d.value.currency if d.value else None,
                d.status_label,
                *_source(d.source),
            )
            for d in register.items
        ],
    )


def indicators(page: dict[str, Any]) -> Sheet:
    return Sheet(
        "indicators",
        _("Indicators"),
        (
            _("Indicator"),
            _("Value"),
            _("Unit"),
            _("Period"),
            _("Target"),
            _("Target by"),
            _("Share of target"),
            _("Source"),
            _("Source URL"),
            _("Target source"),
            _("Target source URL"),
        ),
        [
            (
                c.name,
                c.figure,
                c.unit,
                c.period,
                c.target,
                c.target_date,
                c.ratio,
                *_source(c.source),
                *_source(c.target_source),
            )
            for c in page["indicators"]
        ],
    )


SHEETS: dict[str, Callable[[dict[str, Any]], Sheet]] = {
    "headline": headline,
    "breakdown-country": lambda page: breakdown(page, "country"),
    "breakdown-sector": lambda page: breakdown(page, "sector"),
    "breakdown-region": lambda page: breakdown(page, "region"),
    "timeline": timeline,
    "projects": projects,
    "statements": statements,
    "documents": documents,
    "indicators": indicators,
}


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    return cell.isoformat() if isinstance(cell, date) else str(cell)


def _safe(text: str) -> str:
    """A text cell a spreadsheet would run as a formula gets a ``'`` in front."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(sheet: Sheet) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Cyrillic right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sheet.columns)
    writer.writerows([_safe(_text(c)) for c in row] for row in sheet.rows)
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(sheet: Sheet, about: Sequence[tuple[str, str]]) -> bytes:
    """The sheet, with exact amounts as text (no float rounding), and one sheet about it."""
    from openpyxl import Workbook  # imported when needed: a quarter second of every start

    workbook = Workbook(write_only=True)
    table = workbook.create_sheet(sheet.title[:31].replace("/", "-"))
    table.append(list(sheet.columns))
    for row in sheet.rows:
        table.append([c if isinstance(c, int | date) else _safe(_text(c)) or None for c in row])
    info = workbook.create_sheet(_("About")[:31])
    for key, value in about:
        info.append([key, value])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def about(page: dict[str, Any], url: str, made_at: datetime) -> list[tuple[str, str]]:
    """What the download is: its page, moment, filters and when it was made."""
    moment = page["moment"]
    table = page["table"]
    filters = [
        f"{name}={value}"
        for name in ("sector", "region", "country", "status", "q", "flag")
        if (value := getattr(table, name))
    ]
    today = page["today"].isoformat()
    return [
        (_("Portfolio"), page["portfolio"].name),
        (_("Page"), url),
        (_("As of"), moment.as_of_text or _("today (%(day)s)", day=today)),
        (_("Known at"), moment.known_at_param or _("everything recorded when made")),
        (_("Projects counted"), table.layer),
        (_("Filters"), ", ".join(filters) or _("none")),
        (_("Last updated"), page["updated_at"].isoformat() if page["updated_at"] else "—"),
        (_("Made at"), made_at.isoformat()),
    ]
