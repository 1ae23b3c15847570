"""Indicators with targets (docs/indicators.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta, Struct

from api.schemas import Amount, Currency, RateOut, RateSetSummaryOut, Recording, SourceOut

# Indicators (issue 14): figures a portfolio follows beyond its projects

PeriodKindName = Literal["month", "quarter", "year", "to_date"]


class PeriodIn(Struct, forbid_unknown_fields=True):
    """The days a figure covers, both included: a whole calendar month, quarter or year, or
    a period to date (any first day to the day the figure was counted to)."""

    start: date
    end: date
    kind: PeriodKindName


class QuantityIn(Struct, forbid_unknown_fields=True):
    """A value in the indicator's unit: with a currency for a money indicator, without one
    for a count."""

    amount: Amount
    currency: Currency | None = None


class IndicatorIn(Recording, kw_only=True):
    """A money indicator names its ``currency``; a counted one its ``unit`` ("goods")."""

    name: Annotated[str, Meta(min_length=1, max_length=200)]
    currency: Currency | None = None
    unit: Annotated[str, Meta(min_length=1, max_length=50)] | None = None
    description: Annotated[str, Meta(min_length=1, max_length=2000)] | None = None


class ObservationIn(Recording, kw_only=True):
    """``effective_date``: the day the figure was published (default: the period's end)."""

    period: PeriodIn
    value: QuantityIn


class ObservationCorrectionIn(Recording, kw_only=True):
    period: PeriodIn
    value: QuantityIn
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class ObservationRetractionIn(Recording, kw_only=True):
    period: PeriodIn
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class IndicatorTargetIn(Recording, kw_only=True):
    """``effective_date``: the day the target was stated; ``per``: the kind of period the
    value is for (``year``: an annual figure), when only such observations compare."""

    value: QuantityIn
    target_date: date
    per: PeriodKindName | None = None


class PeriodOut(Struct):
    start: date
    end: date
    kind: str
    label: str


class QuantityOut(Struct):
    amount: str
    currency: str | None


class ObservationOut(Struct):
    period: PeriodOut
    value: QuantityOut
    #: In the report's currency (a count: the value); ``None``: no rate converts it.
    value_in_report_currency: str | None
    effective_date: date
    source: SourceOut | None
    recorded_at: datetime
    correction_reason: str | None


class IndicatorTargetOut(Struct):
    version: int
    value: QuantityOut
    value_in_report_currency: str | None
    target_date: date
    per: str | None
    effective_date: date
    source: SourceOut | None
    recorded_at: datetime


class IndicatorOut(Struct):
    id: UUID
    portfolio_id: UUID
    name: str
    currency: str | None
    unit: str | None
    description: str | None
    #: The currency values are reported in (``None`` for a count).
    report_currency: str | None
    observations: list[ObservationOut]
    target: IndicatorTargetOut | None
    target_history: list[IndicatorTargetOut]
    #: The observation progress is measured with: the one that ends last (of the target's
    #: kind of period, when it names one).
    latest: ObservationOut | None
    progress_to_target: str | None
    unconverted: list[ObservationOut]


class IndicatorsOut(Struct):
    portfolio_id: UUID
    as_of: date | None
    known_at: datetime | None
    items: list[IndicatorOut]
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int


class IndicatorReportOut(Struct):
    indicator: IndicatorOut
    version: int
    as_of: date | None
    known_at: datetime | None
    fx_rates_used: list[RateOut]
    fx_rate_sets: list[RateSetSummaryOut]
    position: int
