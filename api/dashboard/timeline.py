"""The timeline: cumulative committed, disbursed and pledged, and the target's steps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from api import schemas as s
from api.dashboard import format as f
from api.dashboard.charts import Band, Marker, Series, line_chart
from tracker.i18n import N_, gettext, ngettext
from tracker.i18n import formats as cldr

#: Units of the timeline's value axis, the largest that still leaves the top above one: the
#: scale, its tick label (``%(value)s`` the number) and its word (for the chart's title).
AXIS_UNITS = (
    (1e9, N_("%(value)s bn"), N_("billion")),
    (1e6, N_("%(value)s M"), N_("million")),
    (1e3, N_("%(value)s k"), N_("thousand")),
    (1.0, "%(value)s", ""),
)


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
    unit, tick, word = next(u for u in AXIS_UNITS if largest >= u[0] or u[0] == 1.0)

    def _amount(value: str | None) -> float:
        return float(f.decimal(value)) / unit

    series = [
        Series(
            "pledged",
            gettext("Planned by the projects"),
            [(p.end, _amount(p.figures.pledged.amount)) for p in points],
            "line-pledged",
        ),
        Series(
            "committed",
            gettext("Committed"),
            [(p.end, _amount(p.figures.committed.amount)) for p in points],
            "line-committed",
        ),
        Series(
            "disbursed",
            gettext("Disbursed"),
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
        target_line = Series(
            "target", gettext("Investment target"), steps, "line-target", step=True
        )
        series.insert(0, target_line)
    markers = [
        Marker(
            day=t.effective_date,
            value=_amount(t.investment_in_report_currency),
            label=f.short_amount(t.investment_in_report_currency),
            title=_targets_stated(t, currency),
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
                gettext(
                    "%(period)s: committed %(committed)s, disbursed %(disbursed)s, "
                    "planned %(planned)s",
                    period=f.period(p.period, p.end, report.interval),
                    committed=f.short_money(p.figures.committed.amount, currency),
                    disbursed=f.short_money(p.figures.disbursed.amount, currency),
                    planned=f.short_money(p.figures.pledged.amount, currency),
                ),
            )
        )
        previous_end = p.end

    def axis_label(value: float) -> str:
        return axis_tick(tick, value)

    last = points[-1]
    description = ngettext(
        "Cumulative figures from %(first)s to %(last)s: %(committed)s committed, %(disbursed)s "
        "disbursed, %(planned)s planned by the projects. The investment target was stated "
        "%(num)s time.",
        "Cumulative figures from %(first)s to %(last)s: %(committed)s committed, %(disbursed)s "
        "disbursed, %(planned)s planned by the projects. The investment target was stated "
        "%(num)s times.",
        len(restatements),
        first=f.period(points[0].period, points[0].end, report.interval),
        last=f.period(last.period, last.end, report.interval),
        committed=f.short_money(last.figures.committed.amount, currency),
        disbursed=f.short_money(last.figures.disbursed.amount, currency),
        planned=f.short_money(last.figures.pledged.amount, currency),
    )
    title = gettext("Investment over time (%(unit)s)", unit=scaled_unit(currency, word))

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


def axis_tick(pattern: str, value: float) -> str:
    """An axis tick: the number as the language writes it (``1.5 bn``, ``1,5 млрд``)."""
    text = f"{value:g}"
    return gettext(pattern, value=cldr.number(Decimal(text), len(text.partition(".")[2])))


def scaled_unit(unit: str, word: str, *, money: bool = True) -> str:
    """``USD billion`` (``млрд USD``): a unit and the scale of an axis, for a chart's title."""
    if not word:
        return unit
    if money:
        return gettext("%(unit)s %(scale)s", unit=unit, scale=gettext(word))
    return gettext("%(unit)s, %(scale)s", unit=unit, scale=gettext(word))


def _targets_stated(t: s.TargetsInForceOut, currency: str) -> str:
    text = gettext(
        "Targets stated %(day)s: %(money)s, %(jobs)s jobs, %(projects)s projects",
        day=f.day(t.effective_date),
        money=f.short_money(t.investment_in_report_currency, currency),
        jobs=f.number(t.jobs),
        projects=f.number(t.projects),
    )
    return f"{text} — {t.source.title}" if t.source else text
