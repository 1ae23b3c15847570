"""Read-model reports (progress, breakdown, timeline) to response bodies.

Converted amounts are rounded to cents; amounts left unconverted and targets are exact.
"""

from __future__ import annotations

from decimal import Decimal

from api import schemas as s
from api.presenters.rates import rate_sets_out, rates_out
from api.presenters.values import exact_amount, in_cents, jobs_out
from tracker.readmodel.filters import Filters
from tracker.readmodel.reports import Breakdown, Progress, TargetsInForce
from tracker.readmodel.shares import Shares
from tracker.readmodel.timeline import Timeline
from tracker.readmodel.totals import Figures, Ratios, Total


def total_out(total: Total) -> s.TotalOut:
    return s.TotalOut(
        amount=in_cents(total.amount),
        currency=total.currency,
        unconverted=[
            s.UnconvertedOut(u.currency, exact_amount(u.amount), u.count)
            for u in sorted(total.unconverted.values(), key=lambda u: u.currency)
        ],
    )


def targets_in_force_out(targets: TargetsInForce | None) -> s.TargetsInForceOut | None:
    if targets is None:
        return None
    converted = targets.investment_converted
    return s.TargetsInForceOut(
        version=targets.version,
        effective_date=targets.effective_date,
        investment=s.MoneyOut(exact_amount(targets.investment), targets.currency),
        investment_in_report_currency=in_cents(converted) if converted is not None else None,
        jobs=targets.jobs,
        projects=targets.projects,
        source=(
            s.SourceOut(targets.source_title, targets.source_url) if targets.source_title else None
        ),
    )


def figures_out(figures: Figures) -> s.FiguresOut:
    return s.FiguresOut(
        pledged=total_out(figures.pledged),
        committed=total_out(figures.committed),
        disbursed=total_out(figures.disbursed),
        jobs_created=jobs_out(figures.jobs_permanent, figures.jobs_temporary),
        planned_jobs=figures.planned_jobs,
        projects=figures.project_count,
        projects_by_status=dict(sorted(figures.projects_by_status.items())),
    )


def shares_out(shares: Shares) -> s.SharesOut:
    return s.SharesOut(
        committed_to_plan=_ratio(shares.committed),
        disbursed_to_plan=_ratio(shares.disbursed),
        jobs_to_plan=_ratio(shares.jobs),
        committed_shortfall=in_cents(shares.committed_shortfall),
        disbursed_shortfall=in_cents(shares.disbursed_shortfall),
        jobs_shortfall=shares.jobs_shortfall,
    )


def filters_out(filters: Filters) -> s.FiltersOut | None:
    if not filters.narrows:
        return None
    return s.FiltersOut(
        filters.sector,
        filters.region,
        filters.country,
        filters.status,
        filters.flag,
        filters.no_news_days if filters.flag is not None else None,
    )


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _ratios(ratios: Ratios) -> s.RatiosOut:
    return s.RatiosOut(
        committed_to_target=_ratio(ratios.committed),
        disbursed_to_target=_ratio(ratios.disbursed),
        jobs_to_target=_ratio(ratios.jobs),
        projects_to_target=_ratio(ratios.projects),
    )


def progress_out(report: Progress, position: int) -> s.ProgressOut:
    q, figures = report.query, report.figures
    return s.ProgressOut(
        portfolio_id=q.portfolio_id,
        as_of=q.as_of,
        known_at=q.known_at,
        currency=q.currency,
        targets=targets_in_force_out(report.targets),
        pledged=total_out(figures.pledged),
        committed=total_out(figures.committed),
        disbursed=total_out(figures.disbursed),
        jobs_created=jobs_out(figures.jobs_permanent, figures.jobs_temporary),
        planned_jobs=figures.planned_jobs,
        projects=figures.project_count,
        projects_by_status=dict(sorted(figures.projects_by_status.items())),
        ratios=_ratios(report.ratios),
        shares_of_plan=shares_out(report.shares),
        fx_rates_used=rates_out(report.rates_used),
        fx_rate_sets=rate_sets_out(report.rate_sets),
        position=position,
        layer=q.filters.layer,
        filters=filters_out(q.filters),
    )


def breakdown_out(report: Breakdown, position: int) -> s.BreakdownOut:
    q = report.query
    return s.BreakdownOut(
        portfolio_id=q.portfolio_id,
        by=report.by,
        as_of=q.as_of,
        known_at=q.known_at,
        currency=q.currency,
        slices=[
            s.SliceOut(key, figures_out(f), shares_out(Shares.of(f)))
            for key, f in report.slices.items()
        ],
        fx_rates_used=rates_out(report.rates_used),
        fx_rate_sets=rate_sets_out(report.rate_sets),
        position=position,
        layer=q.filters.layer,
        filters=filters_out(q.filters),
        figure=report.figure,
        sort=report.order,
    )


def timeline_out(report: Timeline, position: int) -> s.TimelineOut:
    q = report.query
    return s.TimelineOut(
        portfolio_id=q.portfolio_id,
        interval=report.interval,
        known_at=q.known_at,
        currency=q.currency,
        points=[
            s.TimelinePointOut(
                p.period,
                p.end,
                figures_out(p.figures),
                targets_in_force_out(p.targets),
                p.target_restated,
            )
            for p in report.points
        ],
        fx_rates_used=rates_out(report.rates_used),
        fx_rate_sets=rate_sets_out(report.rate_sets),
        position=position,
        layer=q.filters.layer,
        filters=filters_out(q.filters),
        left_out_before=report.left_out_before,
    )
