"""Reports over the read model: pledge against delivery, as of any day, as known at any moment.

Every report is a handful of SQL queries over the bitemporal tables, with three filters:
facts effective by ``as_of``, recorded by ``known_at``, and not superseded by ``known_at``; and
the projects the query's :class:`~tracker.readmodel.filters.Filters` select.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import Connection, func, select
from sqlalchemy.sql import Select

from tracker.domain.status import Status
from tracker.readmodel import tables as t
from tracker.readmodel.database import exact_sum, known_rows, naive_utc
from tracker.readmodel.fact_totals import FactGroup, fact_groups
from tracker.readmodel.filters import EVERY_PROJECT, Filters, check_filters
from tracker.readmodel.fx import Rate, RateBook, RateSetRow, rate_period
from tracker.readmodel.shares import Shares, ordered_keys
from tracker.readmodel.totals import Figures, Ratios

DIMENSIONS = ("sector", "region", "country", "status")
#: The slice for facts effective before their project's announcement, so slices add up.
NOT_ANNOUNCED = "(not yet announced)"


class FlagJudge(Protocol):
    """Who tells which projects carry a flag at a report's moment (``flags.FlagJudge``: the
    flags need the projects' events, which a report's connection does not read)."""

    def __call__(
        self, conn: Connection, query: ReportQuery, projects: Collection[str]
    ) -> frozenset[str]:
        """Of ``projects`` (ids, as of ``query``'s moment), those carrying its filters' flag."""
        ...


@dataclass(frozen=True)
class ReportQuery:
    portfolio_id: UUID
    as_of: date | None = None
    known_at: datetime | None = None
    currency: str = "USD"
    fx_date: date | None = None  # convert everything at this date instead of each value date
    #: Which projects count: a layer and, optionally, a sector, region, country, status, flag.
    filters: Filters = EVERY_PROJECT
    #: Judges the filters' flag; needed only when they name one.
    judge: FlagJudge | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class TargetsInForce:
    version: int
    effective_date: date
    investment: Decimal
    currency: str
    investment_converted: Decimal | None
    jobs: int
    projects: int
    source_title: str | None
    source_url: str | None


@dataclass(frozen=True)
class Progress:
    query: ReportQuery
    targets: TargetsInForce | None
    figures: Figures
    ratios: Ratios
    rates_used: list[Rate]
    rate_sets: list[RateSetRow]
    #: The figures as shares of what the counted projects plan.
    shares: Shares


@dataclass(frozen=True)
class Breakdown:
    query: ReportQuery
    by: str
    slices: dict[str, Figures]  # in the order asked for
    rates_used: list[Rate]
    rate_sets: list[RateSetRow]
    figure: str = "committed"  # the figure the slices are ordered by …
    order: str = "key"  # … and how (``shares.ORDERS``)


# Filters shared by every query


def _known(table: Any, query: ReportQuery) -> list[Any]:
    return known_rows(table, query.known_at)


def in_scope(column: Any, query: ReportQuery) -> list[Any]:
    """Only the projects of the query's layer (their flag is fixed when announced)."""
    layer = query.filters.layer
    if layer == "all":
        return []
    projects = t.projects.c
    return [
        column.in_(
            select(projects.project_id).where(
                projects.portfolio_id == str(query.portfolio_id),
                projects.illustrative.is_(layer == "illustrative"),
            )
        )
    ]


def _effective(column: Any, query: ReportQuery) -> list[Any]:
    return [] if query.as_of is None else [column <= query.as_of]


# Building blocks


def targets_in_force(conn: Connection, query: ReportQuery, book: RateBook) -> TargetsInForce | None:
    row = conn.execute(
        select(t.targets)
        .where(t.targets.c.portfolio_id == str(query.portfolio_id))
        .where(*_known(t.targets, query), *_effective(t.targets.c.effective_date, query))
        .order_by(t.targets.c.effective_date.desc(), t.targets.c.version.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    return TargetsInForce(
        version=row.version,
        effective_date=row.effective_date,
        investment=row.investment,
        currency=row.currency,
        investment_converted=book.convert(
            row.investment, row.currency, row.effective_date, query.currency
        ),
        jobs=row.jobs,
        projects=row.projects,
        source_title=row.source_title,
        source_url=row.source_url,
    )


@dataclass(frozen=True)
class ProjectAsOf:
    project_id: str
    sector: str
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    status: str
    planned_investment: Decimal
    currency: str
    planned_jobs: int
    announced_on: date


def _status_then(project_id: Any, query: ReportQuery) -> Any:
    """The status of the project ``project_id`` (a column) as of ``query``'s day as known at
    its moment, or NULL if it had none then: one lookup of the project's statuses in their
    index (``ix_rm_statuses_lookup``), latest first."""
    statuses = t.statuses.c
    latest_first = (
        (statuses.version.desc(),)
        if query.as_of is None
        else (statuses.effective_date.desc(), statuses.version.desc())
    )
    return (
        select(statuses.status)
        .where(statuses.project_id == project_id)
        .where(*_known(t.statuses, query), *_effective(statuses.effective_date, query))
        .order_by(*latest_first)
        .limit(1)
        .scalar_subquery()
    )


def _plans_then(query: ReportQuery, among: Iterable[Any] = ()) -> Any:
    """The plans of the portfolio's projects announced by ``as_of`` as known at ``known_at``,
    the layer applied, each with its status then (``status``; projects without one left
    out)."""
    plans = t.plans.c
    return (
        select(*t.plans.c, _status_then(plans.project_id, query).label("status"))
        .where(plans.portfolio_id == str(query.portfolio_id))
        .where(*_known(t.plans, query), *_effective(plans.announced_on, query))
        .where(*in_scope(plans.project_id, query), *among)
        .offset(0)  # kept a subquery: its status is looked up once per plan, not per use
        .subquery()
    )


def projects_as_of(
    conn: Connection, query: ReportQuery, only: Collection[str] | None = None
) -> dict[str, ProjectAsOf]:
    """Each project announced by ``as_of`` with its plan and status as then known, of those
    the query's filters select (a flag judged at the query's moment by its ``judge``); of the
    projects ``only`` (ids) alone when given.

    The status as of a day is the change effective last by then; without ``as_of`` it is the
    project's current status, the last change recorded (as ``Project.status_as_of`` has it,
    even when a change was recorded with an earlier effective date than the one before).
    """
    if only is not None and not only:
        return {}
    among = [] if only is None else [t.plans.c.project_id.in_(sorted(only))]
    then = _plans_then(query, among)
    rows = conn.execute(select(then).where(then.c.status.is_not(None)))
    filters = query.filters
    found = (
        ProjectAsOf(
            project_id=row.project_id,
            sector=row.sector,
            regions=tuple(row.regions.split()),
            countries=tuple(row.countries.split()),
            status=row.status,
            planned_investment=row.planned_investment,
            currency=row.currency,
            planned_jobs=row.planned_jobs,
            announced_on=row.announced_on,
        )
        for row in rows
    )
    admitted = {
        p.project_id: p
        for p in found
        if filters.admits(
            sector=p.sector, regions=p.regions, countries=p.countries, status=p.status
        )
    }
    if filters.flag is None:
        return admitted
    if query.judge is None:
        raise ValueError("a report narrowed by a flag needs a judge of flags")
    flagged = query.judge(conn, query, admitted.keys())
    return {pid: p for pid, p in admitted.items() if pid in flagged}


def plan_groups(conn: Connection, query: ReportQuery, book: RateBook | None = None) -> list[Any]:
    """The projects an unfiltered report counts (the layer applied), grouped by what its
    figures read of them: status, and the plan's currency, investment and the rates its
    conversion with ``book`` uses (``announced_on`` is the group's first announcement day;
    without ``book``, per announcement day: right for any book), with how many projects
    and their planned jobs (what :func:`projects_as_of` gives one by one, summed in the
    database). Each row is status, currency, planned investment, announcement day, projects
    and planned jobs, in that order (``_add_plans`` unpacks them)."""
    if query.as_of is None and query.known_at is None:
        source = t.projects.c
        layer = query.filters.layer
        where = [
            source.portfolio_id == str(query.portfolio_id),
            *([] if layer == "all" else [source.illustrative.is_(layer == "illustrative")]),
        ]
    else:
        source = _plans_then(query).c
        where = [source.status.is_not(None)]
    period = (
        (source.announced_on,)
        if book is None
        else rate_period(book, query.currency, source.currency, source.announced_on)
    )
    keys = (source.status, source.currency, *period, source.planned_investment)
    return list(
        conn.execute(
            select(
                source.status,
                source.currency,
                source.planned_investment,
                func.min(source.announced_on).label("announced_on"),
                func.count().label("projects"),
                func.sum(source.planned_jobs).label("planned_jobs"),
            )
            .where(*where)
            .group_by(*keys)
        ).all()
    )


def counted_facts(query: ReportQuery, known: Iterable[Any] | None = None) -> list[Any]:
    """The conditions that select the ledger rows a report at ``query`` counts (those known
    at its moment, or those meeting ``known``)."""
    return [
        t.facts.c.portfolio_id == str(query.portfolio_id),
        *(_known(t.facts, query) if known is None else known),
        *_effective(t.facts.c.effective_date, query),
        *in_scope(t.facts.c.project_id, query),
    ]


def counted_at_moment(query: ReportQuery) -> list[Any]:
    """The conditions of :func:`counted_facts` that depend on the query's moment (what was
    known at its ``known_at``, effective by its ``as_of``): none for the latest."""
    return [*_known(t.facts, query), *_effective(t.facts.c.effective_date, query)]


def _fact_groups(query: ReportQuery, *, per_project: bool) -> Select[Any]:
    """Facts grouped by kind, currency and value date (and project), in one query."""
    keys = [t.facts.c.kind, t.facts.c.currency, t.facts.c.effective_date]
    if per_project:
        keys.insert(0, t.facts.c.project_id)
    return (
        select(
            *keys,
            exact_sum(t.facts.c.amount).label("amount"),
            func.sum(t.facts.c.permanent).label("permanent"),
            func.sum(t.facts.c.temporary).label("temporary"),
            func.count().label("count"),
        )
        .where(*counted_facts(query))
        .group_by(*keys)
    )


def project_fact_groups(conn: Connection, query: ReportQuery) -> list[Any]:
    """Each project's facts of the moment summed by kind, currency and value date."""
    return list(conn.execute(_fact_groups(query, per_project=True)).all())


def rate_book(conn: Connection, query: ReportQuery) -> RateBook:
    """The rates the query's portfolio converts with at its ``known_at`` (and fixed date)."""
    return RateBook.load(conn, query.portfolio_id, query.known_at, query.fx_date)


def _add_fact(figures: Figures, book: RateBook, row: Any) -> None:
    if row.kind == "jobs_created":
        figures.jobs_permanent += int(row.permanent or 0)
        figures.jobs_temporary += int(row.temporary or 0)
        return
    total = figures.committed if row.kind == "committed" else figures.disbursed
    total.add(book, row.amount, row.currency, row.effective_date, int(row.count))


def _add_project(figures: Figures, book: RateBook, project: ProjectAsOf) -> None:
    figures.projects_by_status[project.status] += 1
    if project.status != CANCELLED:
        figures.pledged.add(
            book, project.planned_investment, project.currency, project.announced_on, 1
        )
        figures.planned_jobs += project.planned_jobs


#: A cancelled project's status (an enum's value is looked up in Python on every access).
CANCELLED = Status.CANCELLED.value


def _add_plans(figures: Figures, book: RateBook, group: Any) -> None:
    """A :func:`plan_groups` row: as many projects as it counts, each added as
    :func:`_add_project` adds one (each pledge converted alone, so the sum is the same)."""
    status, currency, investment, announced_on, projects, planned_jobs = group
    figures.projects_by_status[status] += int(projects)
    if status != CANCELLED:
        figures.pledged.add_each(book, investment, currency, announced_on, int(projects))
        figures.planned_jobs += int(planned_jobs)


def _ratio(part: Decimal | int, whole: Decimal | int | None) -> Decimal | None:
    """``part / whole`` to four places, or ``None`` when there is nothing to compare with."""
    if whole is None or whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


# Reports


def plan_figures(book: RateBook, currency: str, plans: Iterable[Any]) -> Figures:
    """The figures of :func:`plan_groups` rows alone: the projects, their pledge and
    planned jobs (no fact)."""
    figures = Figures.empty(currency)
    for group in plans:
        _add_plans(figures, book, group)
    return figures


def figures_of(
    conn: Connection,
    query: ReportQuery,
    book: RateBook,
    projects: Mapping[str, ProjectAsOf] | None = None,
    facts: Sequence[FactGroup] | None = None,
    planned: Figures | None = None,
) -> Figures:
    """The figures of the projects the query counts; narrowed, only the facts of those
    projects (grouped per project to tell them apart), else every fact of the layer.
    ``projects``: the query's ``projects_as_of``, when the caller has them already;
    ``facts``: its ``portfolio_fact_groups`` likewise (unfiltered reports); ``planned``: the
    figures of its ``plan_groups`` (``plan_figures``; ``book`` already holds the rates they
    used)."""
    figures = Figures.empty(query.currency)
    if planned is not None:
        figures = planned.copy()
    elif projects is None and not query.filters.narrows:  # the projects grouped in SQL
        for group in plan_groups(conn, query, book):
            _add_plans(figures, book, group)
    else:
        if projects is None:
            projects = projects_as_of(conn, query)
        for project in projects.values():
            _add_project(figures, book, project)
    if not query.filters.narrows:  # the projector's sums, the layer applied
        if facts is None:
            facts = portfolio_fact_groups(conn, query, book=book)
        for group in facts:
            _add_fact(figures, book, group)
        return figures
    assert projects is not None
    for row in conn.execute(_fact_groups(query, per_project=True)):
        if row.project_id in projects:
            _add_fact(figures, book, row)
    return figures


def portfolio_fact_groups(
    conn: Connection,
    query: ReportQuery,
    after: date | None = None,
    *,
    book: RateBook | None = None,
) -> list[FactGroup]:
    """The portfolio's facts per kind, currency and value date, from the sums the projector
    keeps (tracker/readmodel/fact_totals.py) and the ledger rows changed since a moment;
    with ``after``, only those of the value dates after it; with ``book``, per period of
    the rates converting to the query's currency (what a report adds up: a value date
    matters only through the rates it picks)."""
    return fact_groups(
        conn,
        str(query.portfolio_id),
        query.filters.layer,
        query.as_of,
        None if query.known_at is None else naive_utc(query.known_at),
        lambda known: counted_facts(query, known),
        after,
        None if book is None else partial(rate_period, book, query.currency),
    )


def progress(
    conn: Connection,
    query: ReportQuery,
    *,
    book: RateBook | None = None,
    projects: Mapping[str, ProjectAsOf] | None = None,
    facts: Sequence[FactGroup] | None = None,
    planned: Figures | None = None,
) -> Progress:
    """The progress report at the query's moment. A caller that needs the query's rate book
    (fresh: ``rate_book``), ``projects_as_of``, the ``plan_figures`` of its ``plan_groups``
    or ``portfolio_fact_groups`` too may pass them (``changes`` does)."""
    check_filters(conn, query.portfolio_id, query.filters)
    if book is None:
        book = rate_book(conn, query)
    targets = targets_in_force(conn, query, book)
    figures = figures_of(conn, query, book, projects, facts, planned)
    investment = targets.investment_converted if targets else None
    ratios = Ratios(
        committed=_ratio(figures.committed.amount, investment),
        disbursed=_ratio(figures.disbursed.amount, investment),
        jobs=_ratio(
            figures.jobs_permanent + figures.jobs_temporary, targets.jobs if targets else None
        ),
        projects=_ratio(figures.project_count, targets.projects if targets else None),
    )
    return Progress(
        query, targets, figures, ratios, book.used_rates(), book.sets, Shares.of(figures)
    )


def breakdown(
    conn: Connection,
    query: ReportQuery,
    by: str,
    *,
    figure: str = "committed",
    order: str = "key",
) -> Breakdown:
    """The same figures per sector, region, country or status, in ``order`` of ``figure``
    (``shares.ordered_keys``).

    A project in two regions (or countries) counts fully in each, so slices may add up to
    more than the portfolio. Narrowed by filters, facts of projects outside them (and so
    those before their project's announcement) are left out.
    """
    if by not in DIMENSIONS:
        raise ValueError(f"cannot break down by {by!r}")
    check_filters(conn, query.portfolio_id, query.filters)
    book = rate_book(conn, query)
    projects = projects_as_of(conn, query)
    slices: dict[str, Figures] = defaultdict(lambda: Figures.empty(query.currency))
    for project in projects.values():
        for key in _keys(project, by):
            _add_project(slices[key], book, project)
    for row in conn.execute(_fact_groups(query, per_project=True)):
        owner = projects.get(row.project_id)
        if owner is None and query.filters.narrows:
            continue
        keys = _keys(owner, by) if owner else (NOT_ANNOUNCED,)
        for key in keys:
            _add_fact(slices[key], book, row)
    ordered = {key: slices[key] for key in ordered_keys(slices, figure, order)}
    return Breakdown(query, by, ordered, book.used_rates(), book.sets, figure, order)


def _keys(project: ProjectAsOf, by: str) -> Iterable[str]:
    """The slices a project belongs to, each once (a plan may name a region twice)."""
    if by == "region":
        return tuple(dict.fromkeys(project.regions)) or ("(none)",)
    if by == "country":
        return tuple(dict.fromkeys(project.countries))
    return (getattr(project, by),)
