"""IATI ``result`` elements of a project: jobs created and investment disbursed.

Each is an indicator with a baseline (0 on the day the project was announced), and one
period per calendar year from the announcement to the export's ``as_of`` (the first starts
on the announcement day, the last ends on ``as_of``). A period's target is the planned
value; its actual is the cumulative value at the period's end, as the reports count it
(facts effective by then, corrections applied, retractions left out). Because the values
are cumulative, the indicator says ``aggregation-status="false"``: its periods must not be
added up.

- Jobs created (outcome, result type 2): target = planned jobs, actual = permanent +
  temporary jobs created.
- Investment disbursed (output, result type 1): one indicator per currency, since IATI
  values carry none and the export converts nothing: in the planned investment's currency
  target = planned investment and actual = disbursed in it; disbursements in any other
  currency get an indicator of their own, with actuals and no target.

Element order follows the 2.03 schema: result(title, indicator+), indicator(title,
description, baseline, period*), period(period-start, period-end, target, actual).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from lxml import etree

from tracker.domain.ledger import ProjectFigures
from tracker.transfer.export_values import amount_text
from tracker.transfer.iati_xml import narrative, sub
from tracker.transfer.portfolio_export import ProjectExport

OUTPUT, OUTCOME = "1", "2"
UNIT = "1"  # IATI IndicatorMeasure 1: unit


def yearly_periods(start: date, as_of: date) -> list[tuple[date, date]]:
    """Calendar years from ``start`` to ``as_of``, cut to both (at least one period)."""
    end = max(start, as_of)
    periods = []
    for year in range(start.year, end.year + 1):
        periods.append((max(start, date(year, 1, 1)), min(end, date(year, 12, 31))))
    return periods


def add_results(activity: etree._Element, item: ProjectExport, as_of: date) -> None:
    plan, announced = item.project.plan, item.project.announced_on()
    periods = yearly_periods(announced, as_of)
    figures = {end: item.ledger.figures_as_of(end) for _, end in periods}

    def jobs(f: ProjectFigures) -> str:
        return str(f.jobs_permanent + f.jobs_temporary)

    jobs_result = sub(activity, "result", type=OUTCOME)
    narrative(jobs_result, "title", "Jobs created")
    _indicator(
        jobs_result,
        "Jobs created (permanent and temporary, cumulative)",
        "Jobs created by the end of each period; the target is the planned number of jobs.",
        announced,
        periods,
        str(plan.planned_jobs),
        lambda end: jobs(figures[end]),
    )
    planned = plan.planned_investment
    others = {m.currency for f in figures.values() for m in f.disbursed} - {planned.currency}
    currencies = [planned.currency, *sorted(others)]
    money_result = sub(activity, "result", type=OUTPUT)
    narrative(money_result, "title", "Investment disbursed")
    for currency in currencies:
        planned_here = currency == planned.currency
        _indicator(
            money_result,
            f"Investment disbursed in {currency} (cumulative)",
            f"Amounts in {currency}, disbursed by the end of each period"
            + (
                "; the target is the planned investment."
                if planned_here
                else f"; the plan is in {planned.currency}, so this indicator has no target."
            ),
            announced,
            periods,
            amount_text(planned.amount) if planned_here else None,
            _disbursed_by(figures, currency),
        )


def _disbursed_by(figures: dict[date, ProjectFigures], currency: str) -> Callable[[date], str]:
    """The amount disbursed in ``currency`` by a period's end, as text."""

    def actual(end: date) -> str:
        money = figures[end].disbursed
        return amount_text(sum((m.amount for m in money if m.currency == currency), Decimal(0)))

    return actual


def _indicator(
    result: etree._Element,
    title: str,
    description: str,
    announced: date,
    periods: list[tuple[date, date]],
    target: str | None,
    actual: Callable[[date], str],
) -> None:
    indicator = sub(result, "indicator", measure=UNIT, ascending="true")
    indicator.set("aggregation-status", "false")
    narrative(indicator, "title", title)
    narrative(indicator, "description", description)
    sub(indicator, "baseline", year=str(announced.year), iso_date=announced.isoformat(), value="0")
    for start, end in periods:
        period = sub(indicator, "period")
        sub(period, "period-start", iso_date=start.isoformat())
        sub(period, "period-end", iso_date=end.isoformat())
        if target is not None:
            sub(period, "target", value=target)
        sub(period, "actual", value=actual(end))
