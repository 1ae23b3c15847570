"""The timeline: cumulative committed, disbursed and pledged, and the target's steps."""

from __future__ import annotations

from datetime import date
from typing import Any

from api import schemas as s
from api.dashboard import format as f
from api.dashboard.charts import Band, Marker, Series, line_chart

#: Units of the timeline's value axis, the largest that still leaves the top above one.
AXIS_UNITS = ((1e9, "bn", "billion"), (1e6, "M", "million"), (1e3, "k", "thousand"), (1.0, "", ""))


def timeline_view(report: s.TimelineOut) -> dict[str, Any]:
    """Cumulative committed, disbursed and pledged, with the investment target's steps."""
    points = report.points
    if not points:
        return {"wide": None, "narrow": None, "rows": [], "restatements": [], "interval": ""}
    currency = report.currency
    amounts: list[str | None]
    amounts = [a for p in points for a in (p.figures.pledged.amount, p.figures.committed.amount)]
    amounts += [p.targets.investment_in_report_currency for p in points if p.targets]
    largest = max([float(f.decimal(a)) for a in amounts] + [0.0])
    unit, suffix, word = next(u for u in AXIS_UNITS if largest >= u[0] or u[0] == 1.0)

    def _amount(value: str | None) -> float:
        return float(f.decimal(value)) / unit

    series = [
        Series(
            "pledged",
            "Planned by the projects",
            [(p.end, _amount(p.figures.pledged.amount)) for p in points],
            "line-pledged",
        ),
        Series(
            "committed",
            "Committed",
            [(p.end, _amount(p.figures.committed.amount)) for p in points],
            "line-committed",
        ),
        Series(
            "disbursed",
            "Disbursed",
            [(p.end, _amount(p.figures.disbursed.amount)) for p in points],
            "line-disbursed",
        ),
    ]
    steps: list[tuple[date, float]] = []
    restatements = []
    seen: set[int] = set()
    for p in points:
        target = p.targets
        if target is None or target.version in seen:
            continue
        seen.add(target.version)
        value = _amount(target.investment_in_report_currency)
        steps.append((target.effective_date, value))
        restatements.append(target)
    if steps:
        series.insert(0, Series("target", "Investment target", steps, "line-target", step=True))
    markers = [
        Marker(
            day=t.effective_date,
            value=_amount(t.investment_in_report_currency),
            label=f.short_amount(t.investment_in_report_currency),
            title=f"Targets stated {f.day(t.effective_date)}: "
            f"{f.short_money(t.investment_in_report_currency, currency)}, {t.jobs:,} jobs, "
            f"{t.projects} projects" + (f" — {t.source.title}" if t.source else ""),
        )
        for t in restatements
    ]
    previous_end: date | None = None
    bands = []
    for p in points:
        month = (p.end.month - 1) // 3 * 3 + 1 if report.interval == "quarter" else p.end.month
        start = previous_end or date(p.end.year, month, 1)
        bands.append(
            Band(
                start,
                p.end,
                f"{p.period}: committed {f.short_money(p.figures.committed.amount, currency)}, "
                f"disbursed {f.short_money(p.figures.disbursed.amount, currency)}, "
                f"planned {f.short_money(p.figures.pledged.amount, currency)}",
            )
        )
        previous_end = p.end

    def axis_label(value: float) -> str:
        return f"{value:g} {suffix}".strip()

    last = points[-1]
    description = (
        f"Cumulative figures from {points[0].period} to {last.period}: "
        f"{f.short_money(last.figures.committed.amount, currency)} committed, "
        f"{f.short_money(last.figures.disbursed.amount, currency)} disbursed, "
        f"{f.short_money(last.figures.pledged.amount, currency)} planned by the projects. "
        f"The investment target was stated {len(restatements)} times."
    )
    title = f"Investment over time ({currency} {word})".replace(" )", ")")

    def chart(ident: str, **size: Any) -> Any:
        return line_chart(
            series,
            markers=markers,
            title=title,
            description=description,
            ident=ident,
            value_label=axis_label,
            **size,
        )

    return {
        "wide": chart("timeline-wide", bands=bands),
        "narrow": chart("timeline-narrow", width=360, height=260, compact=True),
        "rows": points,
        "restatements": restatements,
        "interval": report.interval,
    }
