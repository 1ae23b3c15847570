"""The indicator cards: each indicator's latest value, its target, progress, and a chart.

Built from the API's own answer (``GET /api/v1/portfolios/{id}/indicators`` at the page's
moment), so every figure is the API's string, merely formatted. The chart shows each
observation as a dot at the end of its period (a line joins those of the same kind of
period: years with years), the target as a step from the day each statement was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from api import schemas as s
from api.dashboard import format as f
from api.dashboard.charts import Band, Marker, Segment, Series, bar, line_chart
from api.dashboard.timeline import AXIS_UNITS, axis_tick, scaled_unit
from api.schemas import indicators as indicator_schemas
from tracker.i18n import N_, gettext, ngettext

#: What a chart's line of observations is called, by the kind of their periods.
OBSERVED = {
    "year": N_("Observed per year"),
    "quarter": N_("Observed per quarter"),
    "month": N_("Observed per month"),
    "to_date": N_("Observed to date"),
}
#: What a target per period means.
PER = {
    "year": N_("The target is a value per year."),
    "quarter": N_("The target is a value per quarter."),
    "month": N_("The target is a value per month."),
    "to_date": N_("The target is a value to date."),
}


@dataclass(frozen=True)
class IndicatorCard:
    id: str
    name: str
    description: str | None
    unit: str  # "USD" (the report currency) or "goods"
    figure: str | None  # exact, as the API says it
    figure_text: str | None  # as read
    period: str | None  # the latest value's period ("2023", "2024-01-01 to 2024-08-31")
    source: s.SourceOut | None  # of the latest value
    target: str | None
    target_text: str | None
    target_date: date | None
    target_stated: date | None
    target_source: s.SourceOut | None
    ratio: str | None
    bar: Any
    chart: Any
    note: str | None


def _text(value: str | None, unit: str, money: bool) -> str:
    if value is None:
        return "—"
    return f.short_money(value, unit) if money else f"{f.short_amount(value)} {unit}".strip()


def indicator_cards(report: indicator_schemas.IndicatorsOut) -> list[IndicatorCard]:
    return [_card(indicator) for indicator in report.items]


def _card(i: indicator_schemas.IndicatorOut) -> IndicatorCard:
    money = i.report_currency is not None
    unit = i.report_currency or i.unit or ""
    latest, target = i.latest, i.target
    figure = latest.value_in_report_currency if latest else None
    goal = target.value_in_report_currency if target else None
    value = float(f.decimal(figure))
    notes = []
    if i.unconverted:
        periods = ", ".join(o.period.label for o in i.unconverted)
        notes.append(
            gettext(
                "Not converted to %(unit)s for want of a rate: %(periods)s",
                unit=unit,
                periods=periods,
            )
        )
    if target and target.per:
        per = PER.get(target.per)
        notes.append(gettext(per) if per else target.per.replace("_", " "))
    return IndicatorCard(
        id=str(i.id),
        name=i.name,
        description=i.description,
        unit=unit,
        figure=figure,
        figure_text=f.short_amount(figure) if figure is not None else None,
        period=latest.period.label if latest else None,
        source=latest.source if latest else None,
        target=goal,
        target_text=_text(goal, unit, money) if target else None,
        target_date=target.target_date if target else None,
        target_stated=target.effective_date if target else None,
        target_source=target.source if target else None,
        ratio=i.progress_to_target,
        bar=bar(
            [Segment(value, "fill-disbursed", f"{i.name}: {_text(figure, unit, money)}")],
            scale=float(f.decimal(goal)) or value,
            target=float(f.decimal(goal)) if goal else None,
            label=gettext(
                "%(name)s: %(value)s, %(percent)s of the target",
                name=i.name,
                value=_text(figure, unit, money),
                percent=f.percent(i.progress_to_target),
            ),
        ),
        chart=_chart(i, unit, money),
        note=" ".join(notes) or None,
    )


def _chart(i: indicator_schemas.IndicatorOut, unit: str, money: bool) -> Any:
    values = [o.value_in_report_currency for o in i.observations]
    values += [t.value_in_report_currency for t in i.target_history]
    largest = max([float(f.decimal(v)) for v in values if v is not None] + [0.0])
    scale, tick, word = next(u for u in AXIS_UNITS if largest >= u[0] or u[0] == 1.0)

    def scaled(value: str | None) -> float:
        return float(f.decimal(value)) / scale

    observed = [o for o in i.observations if o.value_in_report_currency is not None]
    series = []
    target = i.target
    if target and target.value_in_report_currency is not None:
        # The target in force, across the chart: the observations are read against it.
        days = [o.period.end for o in observed] + [t.effective_date for t in i.target_history]
        goal = scaled(target.value_in_report_currency)
        label = gettext(
            "Target: %(value)s by %(day)s",
            value=_text(target.value_in_report_currency, unit, money),
            day=f.day(target.target_date),
        )
        series.append(
            Series(
                "target",
                label,
                [(min(days), goal), (max(days), goal)],
                "line-target",
            )
        )
    for kind in ("year", "quarter", "month", "to_date"):
        points = [(o.period.end, scaled(o.value_in_report_currency)) for o in observed]
        points = [p for p, o in zip(points, observed, strict=True) if o.period.kind == kind]
        if len(points) > 1:
            series.append(Series(kind, gettext(OBSERVED[kind]), points, "line-observed"))
    markers = [
        Marker(
            day=o.period.end,
            value=scaled(o.value_in_report_currency),
            label=f.short_amount(o.value_in_report_currency),
            title=f"{o.period.label}: {_text(o.value_in_report_currency, unit, money)}"
            + (f" — {o.source.title}" if o.source else ""),
            css="observed",
        )
        for o in observed
    ] + [
        Marker(
            day=t.effective_date,
            value=scaled(t.value_in_report_currency),
            label=f.short_amount(t.value_in_report_currency),
            title=gettext(
                "Target stated %(stated)s: %(value)s by %(day)s",
                stated=f.day(t.effective_date),
                value=_text(t.value_in_report_currency, unit, money),
                day=f.day(t.target_date),
            )
            + (f" — {t.source.title}" if t.source else ""),
        )
        for t in i.target_history
        if t.value_in_report_currency is not None
    ]
    bands = [
        Band(o.period.start, o.period.end, f"{o.period.label}: {o.value_in_report_currency}")
        for o in observed
    ]
    axis_unit = scaled_unit(unit, word, money=money)
    return line_chart(
        series,
        markers=markers,
        bands=bands,
        title=f"{i.name} ({axis_unit})",
        description=ngettext(
            "%(num)s observation against the target of %(target)s",
            "%(num)s observations against the target of %(target)s",
            len(observed),
            target=_text(i.target.value_in_report_currency, unit, money),
        )
        if i.target
        else ngettext("%(num)s observation", "%(num)s observations", len(observed)),
        ident=f"indicator-{i.id}",
        value_label=lambda v: axis_tick(tick, v),
        width=360,
        height=220,
        compact=True,
    )
