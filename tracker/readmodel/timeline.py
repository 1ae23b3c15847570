"""The timeline: a portfolio's cumulative figures at the end of each month or quarter.

Each point is a progress report of its own (``reports.figures_of``) at the period's last day,
with the same filters; a project's sector, region, country and status are judged at each
point's own day, as the report at that day would judge them.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Connection, func, select

from tracker.readmodel import tables as t
from tracker.readmodel.database import known_rows
from tracker.readmodel.filters import check_filters
from tracker.readmodel.fx import Rate, RateSetRow
from tracker.readmodel.reports import (
    ReportQuery,
    TargetsInForce,
    figures_of,
    rate_book,
    targets_in_force,
)
from tracker.readmodel.totals import Figures

#: At most this many points in one timeline (a century of months): each point is a few
#: queries, and an ``as_of`` in the year 9999 would otherwise keep a worker busy for minutes.
#: A timeline keeps its latest periods, at most this many (20 years of months): each point
#: is a report of its own, and a fact dated decades back must not cost seconds per request.
MAX_TIMELINE_POINTS = 240


@dataclass(frozen=True)
class TimelinePoint:
    period: str
    end: date
    figures: Figures
    targets: TargetsInForce | None
    target_restated: bool  # the targets were restated during this period


@dataclass(frozen=True)
class Timeline:
    query: ReportQuery
    interval: str
    points: list[TimelinePoint]
    rates_used: list[Rate]
    rate_sets: list[RateSetRow]
    #: When the portfolio's first fact lies further back than the timeline's
    #: :data:`MAX_TIMELINE_POINTS` periods: the start of the first period it keeps.
    left_out_before: date | None = None


INTERVALS = ("month", "quarter")


def timeline(conn: Connection, query: ReportQuery, interval: str, today: date) -> Timeline:
    """Cumulative figures at the end of each month or quarter, up to ``as_of`` (or today)."""
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
    check_filters(conn, query.portfolio_id, query.filters)
    book = rate_book(conn, query)
    start = _first_day(conn, query)
    # Nothing is effective after today (the domain refuses later dates), so the periods end
    # there even when ``as_of`` lies further ahead.
    end = min(query.as_of or today, today)
    points: list[TimelinePoint] = []
    previous: TargetsInForce | None = None
    months = 1 if interval == "month" else 3
    earliest = _period_start(end, months, back=MAX_TIMELINE_POINTS - 1)
    left_out_before = None
    if start is not None and start < earliest:
        start = left_out_before = earliest
    if start is not None:
        for label, period_end in _periods(start, end, interval):
            at = replace(query, as_of=period_end)
            targets = targets_in_force(conn, at, book)
            restated = targets is not None and (
                previous is None or targets.version != previous.version
            )
            points.append(
                TimelinePoint(label, period_end, figures_of(conn, at, book), targets, restated)
            )
            previous = targets
    return Timeline(query, interval, points, book.used_rates(), book.sets, left_out_before)


def _period_start(day: date, months: int, *, back: int) -> date:
    """The first day of the period ``back`` periods of ``months`` before the one of ``day``."""
    index = day.year * 12 + (day.month - 1) // months * months - back * months
    return date(index // 12, index % 12 + 1, 1)


def _first_day(conn: Connection, query: ReportQuery) -> date | None:
    portfolio = str(query.portfolio_id)
    candidates = [
        conn.execute(
            select(func.min(column))
            .where(table.c.portfolio_id == portfolio)
            .where(*known_rows(table, query.known_at))
        ).scalar_one_or_none()
        for table, column in (
            (t.plans, t.plans.c.announced_on),
            (t.targets, t.targets.c.effective_date),
            (t.facts, t.facts.c.effective_date),
        )
    ]
    days = [day for day in candidates if day is not None]
    return min(days) if days else None


def _periods(start: date, end: date, interval: str) -> Iterable[tuple[str, date]]:
    months = 1 if interval == "month" else 3
    year, month = start.year, start.month - (start.month - 1) % months
    while date(year, month, 1) <= end:
        last_month = month + months - 1
        period_end = min(date(year, last_month, monthrange(year, last_month)[1]), end)
        label = f"{year}-{month:02d}" if months == 1 else f"{year}-Q{(month - 1) // 3 + 1}"
        yield label, period_end
        month += months
        if month > 12:
            year, month = year + 1, month - 12
