"""The breakdowns by country, sector and region: a row with its bar per slice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api import schemas as s
from api.dashboard import format as f
from api.dashboard.charts import Segment, bar
from tracker.i18n import N_, gettext


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    name: str
    pledged: str
    committed: str
    disbursed: str
    projects: int
    ratio: str  # committed / pledged, as read
    bar: Any


TITLES = {"sector": N_("By sector"), "region": N_("By region"), "country": N_("By country")}
NOTES = {
    "region": N_("A project in two regions counts in full in each."),
    "country": N_("A project in two countries counts in full in each."),
}


@dataclass(frozen=True)
class BreakdownView:
    by: str
    title: str
    rows: list[BreakdownRow]
    note: str | None


def breakdown_view(report: s.BreakdownOut) -> BreakdownView:
    names: dict[str, Callable[[str], str]] = {
        "sector": f.sector,
        "region": f.region,
        "country": f.country,
    }
    name = names[report.by]
    slices = sorted(
        report.slices,
        key=lambda sl: (-f.decimal(sl.figures.committed.amount), sl.key),
    )
    amounts = [(sl.figures.pledged.amount, sl.figures.committed.amount) for sl in slices]
    scale = max([float(f.decimal(x)) for pair in amounts for x in pair] + [0.0])
    rows = []
    currency = report.currency
    for sl in slices:
        fig = sl.figures
        pledged, committed, disbursed = (
            f.decimal(fig.pledged.amount),
            f.decimal(fig.committed.amount),
            f.decimal(fig.disbursed.amount),
        )
        label = name(sl.key)
        rows.append(
            BreakdownRow(
                key=sl.key,
                name=label,
                pledged=fig.pledged.amount,
                committed=fig.committed.amount,
                disbursed=fig.disbursed.amount,
                projects=fig.projects,
                ratio=f.percent(committed / pledged) if pledged else "—",
                bar=bar(
                    [
                        Segment(
                            float(value),
                            css,
                            f"{gettext(what)}: {f.short_money(value, currency)}",
                            edge,
                        )
                        for value, css, what, edge in (
                            (pledged, "fill-pledged", N_("Planned"), "bar-edge"),
                            (committed, "fill-committed", N_("Committed"), None),
                            (disbursed, "fill-disbursed", N_("Disbursed"), None),
                        )
                    ],
                    scale=scale,
                    label=gettext(
                        "%(name)s: %(committed)s committed and %(disbursed)s disbursed of "
                        "%(planned)s planned",
                        name=label,
                        committed=f.short_money(committed, currency),
                        disbursed=f.short_money(disbursed, currency),
                        planned=f.short_money(pledged, currency),
                    ),
                    css="bar bar-thin",
                    height=12,
                ),
            )
        )
    note = gettext(NOTES[report.by]) if report.by in NOTES else None
    return BreakdownView(report.by, gettext(TITLES[report.by]), rows, note)
