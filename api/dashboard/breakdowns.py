"""The breakdowns by country, sector and region: a row with its bar per slice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api import schemas as s
from api.dashboard import format as f
from api.dashboard.charts import Segment, bar


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
                            float(value), css, f"{what}: {f.short_money(value, currency)}", edge
                        )
                        for value, css, what, edge in (
                            (pledged, "fill-pledged", "Planned", "bar-edge"),
                            (committed, "fill-committed", "Committed", None),
                            (disbursed, "fill-disbursed", "Disbursed", None),
                        )
                    ],
                    scale=scale,
                    label=f"{label}: {f.short_money(committed, currency)} committed and "
                    f"{f.short_money(disbursed, currency)} disbursed of "
                    f"{f.short_money(pledged, currency)} planned",
                    css="bar bar-thin",
                    height=12,
                ),
            )
        )
    note = None
    if report.by in ("region", "country"):
        note = f"A project in two {report.by.replace('y', 'ie')}s counts in full in each."
    titles = {"sector": "By sector", "region": "By region", "country": "By country"}
    return BreakdownView(report.by, titles[report.by], rows, note)
