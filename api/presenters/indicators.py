"""Indicators as reported: each with its observations, the target in force and progress.

A money value read back is exact (:func:`exact_amount`), converted values are in cents; a
count is written as it was recorded, without the cents a money amount shows ("40").
"""

from __future__ import annotations

from decimal import Decimal

from api import schemas as s
from api.presenters.rates import rate_sets_out, rates_out
from api.presenters.values import exact_amount, in_cents
from api.schemas import indicators as indicator_schemas
from tracker.readmodel.indicators import (
    IndicatorReport,
    IndicatorsReport,
    ObservedValue,
    StatedTarget,
)


def _count(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


def _quantity(amount: Decimal, currency: str | None) -> indicator_schemas.QuantityOut:
    return indicator_schemas.QuantityOut(
        exact_amount(amount) if currency else _count(amount), currency
    )


def _converted(amount: Decimal | None, currency: str | None) -> str | None:
    if amount is None:
        return None
    return in_cents(amount) if currency else _count(amount)


def _source(title: str | None, url: str | None) -> s.SourceOut | None:
    return s.SourceOut(title, url) if title else None


def observation_out(
    o: ObservedValue, report_currency: str | None
) -> indicator_schemas.ObservationOut:
    return indicator_schemas.ObservationOut(
        period=indicator_schemas.PeriodOut(
            o.period.start, o.period.end, o.period.kind.value, o.period.label
        ),
        value=_quantity(o.amount, o.currency),
        value_in_report_currency=_converted(o.converted, report_currency),
        effective_date=o.effective_date,
        source=_source(o.source_title, o.source_url),
        recorded_at=o.recorded_at,
        correction_reason=o.correction_reason,
    )


def target_out(
    target: StatedTarget, report_currency: str | None
) -> indicator_schemas.IndicatorTargetOut:
    return indicator_schemas.IndicatorTargetOut(
        version=target.version,
        value=_quantity(target.amount, target.currency),
        value_in_report_currency=_converted(target.converted, report_currency),
        target_date=target.target_date,
        per=target.per.value if target.per else None,
        effective_date=target.effective_date,
        source=_source(target.source_title, target.source_url),
        recorded_at=target.recorded_at,
    )


def indicator_out(report: IndicatorReport) -> indicator_schemas.IndicatorOut:
    d, currency = report.definition, report.currency
    return indicator_schemas.IndicatorOut(
        id=d.indicator_id,
        portfolio_id=d.portfolio_id,
        name=d.name,
        currency=d.currency,
        unit=d.unit,
        description=d.description,
        report_currency=currency,
        observations=[observation_out(o, currency) for o in report.observations],
        target=target_out(report.target, currency) if report.target else None,
        target_history=[target_out(t, currency) for t in report.targets],
        latest=observation_out(report.latest, currency) if report.latest else None,
        progress_to_target=None if report.progress is None else str(report.progress),
        unconverted=[observation_out(o, currency) for o in report.unconverted],
    )


def indicators_out(report: IndicatorsReport, position: int) -> indicator_schemas.IndicatorsOut:
    query = report.query
    return indicator_schemas.IndicatorsOut(
        portfolio_id=query.portfolio_id,
        as_of=query.as_of,
        known_at=query.known_at,
        items=[indicator_out(i) for i in report.indicators],
        fx_rates_used=rates_out(report.rates_used),
        fx_rate_sets=rate_sets_out(report.rate_sets),
        position=position,
    )


def indicator_report_out(
    report: IndicatorsReport, version: int, position: int
) -> indicator_schemas.IndicatorReportOut:
    query = report.query
    [indicator] = report.indicators
    return indicator_schemas.IndicatorReportOut(
        indicator=indicator_out(indicator),
        version=version,
        as_of=query.as_of,
        known_at=query.known_at,
        fx_rates_used=rates_out(report.rates_used),
        fx_rate_sets=rate_sets_out(report.rate_sets),
        position=position,
    )
