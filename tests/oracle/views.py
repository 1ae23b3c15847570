"""The comparable shape of a report, for the oracle (``tests.oracle``) and the read model alike.

The ``*View`` classes are the comparable shape of a report (money to the cent); ``view_of_*``
read an object shaped like ``tracker.readmodel.reports``' results into it, by attribute only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

CENT = Decimal("0.01")


#: A rate as a report lists it: (currency, date, rate set id, units per USD).
UsedRate = tuple[str, date, str, Decimal]


# The comparable shape of a report


@dataclass(frozen=True)
class SumView:
    amount: Decimal  # in the report currency, to the cent
    unconverted: tuple[tuple[str, Decimal, int], ...]  # (currency, exact sum, how many amounts)


@dataclass(frozen=True)
class FiguresView:
    pledged: SumView
    committed: SumView
    disbursed: SumView
    jobs_permanent: int
    jobs_temporary: int
    planned_jobs: int
    projects_by_status: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class TargetsView:
    version: int
    effective_date: date
    investment: Decimal
    currency: str
    investment_converted: Decimal | None  # to the cent
    jobs: int
    projects: int


@dataclass(frozen=True)
class ProgressView:
    targets: TargetsView | None
    figures: FiguresView
    ratios: tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]
    rates_used: tuple[UsedRate, ...]


@dataclass(frozen=True)
class BreakdownView:
    slices: tuple[tuple[str, FiguresView], ...]
    rates_used: tuple[UsedRate, ...]


@dataclass(frozen=True)
class PointView:
    period: str
    end: date
    figures: FiguresView
    targets: TargetsView | None
    target_restated: bool


@dataclass(frozen=True)
class TimelineView:
    points: tuple[PointView, ...]
    rates_used: tuple[UsedRate, ...]


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


# Reading the read model's reports into the same shape (by attribute, nothing imported)


def _sum_view(total: Any) -> SumView:
    return SumView(
        cents(total.amount),
        tuple(
            (u.currency, u.amount, u.count)
            for u in sorted(total.unconverted.values(), key=lambda u: u.currency)
        ),
    )


def view_of_figures(figures: Any) -> FiguresView:
    return FiguresView(
        _sum_view(figures.pledged),
        _sum_view(figures.committed),
        _sum_view(figures.disbursed),
        figures.jobs_permanent,
        figures.jobs_temporary,
        figures.planned_jobs,
        tuple(sorted((k, n) for k, n in figures.projects_by_status.items() if n)),
    )


def view_of_targets(targets: Any) -> TargetsView | None:
    if targets is None:
        return None
    converted = targets.investment_converted
    return TargetsView(
        version=targets.version,
        effective_date=targets.effective_date,
        investment=targets.investment,
        currency=targets.currency,
        investment_converted=None if converted is None else cents(converted),
        jobs=targets.jobs,
        projects=targets.projects,
    )


def _rates_used(rates: Iterable[Any]) -> tuple[UsedRate, ...]:
    return tuple(
        sorted((r.currency, r.rate_date, str(r.rate_set_id), r.units_per_usd) for r in rates)
    )


def view_of_progress(report: Any) -> ProgressView:
    ratios = report.ratios
    return ProgressView(
        view_of_targets(report.targets),
        view_of_figures(report.figures),
        (ratios.committed, ratios.disbursed, ratios.jobs, ratios.projects),
        _rates_used(report.rates_used),
    )


def view_of_breakdown(report: Any) -> BreakdownView:
    return BreakdownView(
        tuple((key, view_of_figures(f)) for key, f in sorted(report.slices.items())),
        _rates_used(report.rates_used),
    )


def view_of_timeline(report: Any) -> TimelineView:
    return TimelineView(
        tuple(
            PointView(
                p.period,
                p.end,
                view_of_figures(p.figures),
                view_of_targets(p.targets),
                p.target_restated,
            )
            for p in report.points
        ),
        _rates_used(report.rates_used),
    )
