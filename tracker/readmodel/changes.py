"""What changed between two moments: every headline figure at each, and who moved it.

A moment is an ``as_of`` day and a ``known_at`` instant, as for every report; the start
comes no later than the end on either axis. The two headlines are the progress reports at
each moment (``reports.progress``). Every difference between them is explained by the
changes that caused it, and the explanations add up to the difference exactly, in Decimal:

- a **project** contributes what its own rows changed: ledger facts that entered or left
  the count (recorded, corrected or retracted between the two ``known_at``; effective
  between the two ``as_of`` days), its plan (announced, corrected) and its status;
- a **rate move** contributes what converting the same amounts with the rates known at the
  end, instead of those known at the start, changed (a rate corrected, published or
  withdrawn, or the portfolio's choice of rate sets);
- a **target restatement** contributes the change of the target in force.

Only the ledger rows recorded, closed or effective between the moments are read, plus the
sums of the value dates they (or a rate move) touch, so the cost follows the size of the
window, not of the portfolio's history. Likewise only the projects whose plan or status rows
moved between the moments are read at each (``moved.project_positions``) and compared; every
project is, when the filters narrow (a project may enter or leave them with no row of its
own moving), when a rate moved (any pledge may convert otherwise), or when the start has a
day and the end is the latest (a status as of a day is the one effective last, the latest
the one recorded last). Each moment's rate book and projects are read once, for its
report and for the explanation (``explanation.Explanation``).

Conversion divides, so it is not additive: converting a sum is not the sum of converting its
parts. The reports convert per value date (``reports._fact_groups``), so every group of a
value date that changed is walked from its value at the start to its value at the end, one
change at a time (the rate move first, then each event in log order), each step credited
to its cause; the steps telescope, and sums are exact (``totals.EXACT``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection

from tracker.readmodel.collector import collector_paused
from tracker.readmodel.explanation import (
    ZERO,
    Cause,
    Contribution,
    Explanation,
    Measure,
    RateMove,
    Vector,
    rates_of,
    unconverted,
)
from tracker.readmodel.fact_totals import FactGroup
from tracker.readmodel.moved import project_positions, target_position
from tracker.readmodel.reports import (
    Progress,
    ReportQuery,
    plan_figures,
    plan_groups,
    portfolio_fact_groups,
    progress,
    projects_as_of,
    rate_book,
)
from tracker.readmodel.totals import EXACT, Total

__all__ = [
    "Cause",
    "Changes",
    "Contribution",
    "FigureChange",
    "Measure",
    "RateMove",
    "changes",
    "headline",
]

#: Past this many projects whose rows moved, every project is read (not a list of ids).
MANY_PROJECTS = 2000


@dataclass(frozen=True)
class FigureChange:
    measure: Measure
    start: Decimal
    end: Decimal
    difference: Decimal
    #: Largest first; they add up to ``difference`` exactly.
    contributions: list[Contribution]


@dataclass(frozen=True)
class Changes:
    start: Progress
    end: Progress
    figures: list[FigureChange]
    #: The projects the filters counted at the start and at the end; ``None``: the filters
    #: do not narrow (every project of the layer counts).
    scope: tuple[frozenset[str], frozenset[str]] | None = None


def changes(conn: Connection, start: ReportQuery, end: ReportQuery) -> Changes:
    """Every headline figure at ``start`` and at ``end``, each difference explained.

    Without cyclic garbage collection meanwhile: over a month of a large portfolio the
    explanation holds tens of thousands of sums, events and contributions until it is done,
    and each collection would walk them for nothing (``collector.collector_paused``)."""
    with collector_paused():
        return _changes(conn, start, end)


def _changes(conn: Connection, start: ReportQuery, end: ReportQuery) -> Changes:
    books = (rate_book(conn, start), rate_book(conn, end))
    same_rates = rates_of(books[0]) == rates_of(books[1])
    positions = project_positions(conn, start, end)
    # The projects whose count, status or pledge may differ (see above): those whose plan
    # or status rows moved, or every one.
    whole = (
        start.filters.narrows
        or not same_rates
        or (start.as_of is not None and end.as_of is None)
        or len(positions) > MANY_PROJECTS
    )
    only = None if whole else positions.keys()
    then, now = projects_as_of(conn, start, only), projects_as_of(conn, end, only)
    counted = (then, now) if only is None else (None, None)
    # The same projects with the same plans and statuses at both moments, and both books
    # converting alike (known at the same moment, they hold the same rates): the projects'
    # figures are the same at both ends, grouped and added once. (Otherwise every project is
    # counted one by one, ``whole`` above.)
    planned = None
    if same_rates and _same_projects(start, end, positions):
        planned = plan_figures(books[0], start.currency, plan_groups(conn, start, books[0]))
        books[1].used.update(books[0].used)
    facts = _fact_groups(conn, start, end)
    first = progress(
        conn, start, book=books[0], projects=counted[0], facts=facts[0], planned=planned
    )
    last = progress(conn, end, book=books[1], projects=counted[1], facts=facts[1], planned=planned)
    scope = (frozenset(then), frozenset(now)) if start.filters.narrows else None
    work = Explanation(start.currency, books, scope)
    work.facts(conn, start, end, positions)
    work.projects(then, now, positions)
    work.targets(first.targets, last.targets, target_position(conn, end, last.targets))
    before, after = headline(first), headline(last)
    figures = []
    explaining = work.explaining()
    for measure in sorted(set(before) | set(after) | set(explaining)):
        start_value, end_value = before.get(measure, ZERO), after.get(measure, ZERO)
        explained = explaining.get(measure, [])
        figures.append(
            FigureChange(
                measure,
                start_value,
                end_value,
                EXACT.subtract(end_value, start_value),
                explained,
            )
        )
    return Changes(first, last, figures, scope)


def _same_projects(start: ReportQuery, end: ReportQuery, positions: Mapping[str, set[int]]) -> bool:
    """Whether an unfiltered report counts the same projects, with the same plans and
    statuses, at both moments: the same ``known_at``, two days, and no plan announced nor
    status effective between them (``positions`` holds none), so every project has the same
    rows as of either day."""
    return (
        not start.filters.narrows
        and start.currency == end.currency
        and start.known_at == end.known_at
        and start.as_of is not None
        and end.as_of is not None
        and not positions
    )


def _fact_groups(
    conn: Connection, start: ReportQuery, end: ReportQuery
) -> tuple[list[FactGroup] | None, list[FactGroup] | None]:
    """Each end's facts per kind, currency and value date for an unfiltered report (a
    report alone groups them per period of its rates: the explanation walks value dates,
    and its steps add up exactly to the figures only if they are summed alike). As
    currently known up to two days, the end's are the start's and those of the days
    between. ``None``: each report reads its own, project by project."""
    if start.filters.narrows:
        return None, None
    if (
        start.known_at is not None
        or end.known_at is not None
        or start.as_of is None
        or end.as_of is None
    ):
        return portfolio_fact_groups(conn, start), portfolio_fact_groups(conn, end)
    first = portfolio_fact_groups(conn, start)
    between = portfolio_fact_groups(conn, end, after=start.as_of)
    return first, sorted(first + between, key=_group_order)


def _group_order(group: FactGroup) -> tuple[str, str, date]:
    """The order ``portfolio_fact_groups`` gives groups in."""
    return group.kind, group.currency or "", group.effective_date


def headline(report: Progress) -> Vector:
    """A progress report's headline as one value per measure."""
    figures, currency = report.figures, report.query.currency
    values: Vector = {}
    for name, total in (
        ("pledged", figures.pledged),
        ("committed", figures.committed),
        ("disbursed", figures.disbursed),
    ):
        _add_total(values, name, total)
    values[Measure("jobs_permanent", "jobs")] = Decimal(figures.jobs_permanent)
    values[Measure("jobs_temporary", "jobs")] = Decimal(figures.jobs_temporary)
    values[Measure("projects", "projects")] = Decimal(figures.project_count)
    for status, count in figures.projects_by_status.items():
        if count:
            values[Measure(f"projects.{status}", "projects")] = Decimal(count)
    targets = report.targets
    if targets is not None:
        converted = targets.investment_converted
        if converted is not None:
            values[Measure("target_investment", currency)] = converted
        else:
            values.update(unconverted("target_investment", targets.currency, targets.investment, 1))
        values[Measure("target_jobs", "jobs")] = Decimal(targets.jobs)
        values[Measure("target_projects", "projects")] = Decimal(targets.projects)
    return values


def _add_total(values: Vector, name: str, total: Total) -> None:
    values[Measure(name, total.currency)] = total.amount
    for left in total.unconverted.values():
        values.update(unconverted(name, left.currency, left.amount, left.count))
