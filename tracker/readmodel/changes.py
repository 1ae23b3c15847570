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
window, not of the portfolio's history.

Conversion divides, so it is not additive: converting a sum is not the sum of converting its
parts. The reports convert per value date (``reports._fact_groups``), so every group of a
value date that changed is walked from its value at the start to its value at the end, one
change at a time (the rate move first, then each event in log order), each step credited
to its cause; the steps telescope, and sums are exact (``reports.EXACT``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from tracker.domain.status import Status
from tracker.readmodel.fx import USD, Rate, RateBook
from tracker.readmodel.moved import (
    LedgerMoment,
    moved_facts,
    project_positions,
    sums_at_start,
    target_position,
)
from tracker.readmodel.reports import (
    EXACT,
    Progress,
    ProjectAsOf,
    ReportQuery,
    TargetsInForce,
    Total,
    progress,
    projects_as_of,
)

ZERO = Decimal(0)


@dataclass(frozen=True, order=True)
class Measure:
    """One number of a headline: a figure in the report currency, the amounts of one
    currency it could not convert (``unconverted``) or how many they are (``counting``)."""

    name: str  # pledged, committed, …, projects, projects.<status>, target_investment, …
    unit: str  # a currency code, "jobs" or "projects"
    unconverted: str = ""
    counting: bool = False


#: A headline, or what one change did to it: a value per measure.
Vector = dict[Measure, Decimal]
#: The sums a report converts as one: its holder (the portfolio "", or a project when the
#: filters narrow), kind, currency and value date.
Group = tuple[str, str, str, date]
#: One ledger row entering (sign 1) or leaving (-1) a group: its event's position, its
#: project, the sign, its amount and the events to credit.
Step = tuple[int, str, int, Decimal, tuple[int, ...]]


@dataclass(frozen=True)
class RateMove:
    """The rate a currency converted with on a value date, as known at each moment."""

    currency: str
    before: Rate | None
    after: Rate | None


@dataclass(frozen=True)
class Cause:
    """What moved a figure: a project's events, a move of rates, or restated targets."""

    kind: str  # "project" | "rates" | "targets"
    project_id: str | None = None
    #: Global positions of the events behind it (a rate move names its rates instead).
    positions: tuple[int, ...] = ()
    moves: tuple[RateMove, ...] = ()


@dataclass(frozen=True)
class Contribution:
    cause: Cause
    amount: Decimal


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
    """Every headline figure at ``start`` and at ``end``, each difference explained."""
    first, last = progress(conn, start), progress(conn, end)
    books = (_book(conn, start), _book(conn, end))
    then, now = projects_as_of(conn, start), projects_as_of(conn, end)
    positions = project_positions(conn, start, end)
    scope = (frozenset(then), frozenset(now)) if start.filters.narrows else None
    work = _Explanation(start.currency, books, scope)
    work.facts(conn, start, end, positions)
    work.projects(then, now, positions)
    work.targets(first.targets, last.targets, target_position(conn, end, last.targets))
    before, after = headline(first), headline(last)
    figures = []
    for measure in sorted(set(before) | set(after) | set(work.measures())):
        start_value, end_value = before.get(measure, ZERO), after.get(measure, ZERO)
        explained = work.explaining(measure)
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


def _book(conn: Connection, query: ReportQuery) -> RateBook:
    return RateBook.load(conn, query.portfolio_id, query.known_at)


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
            values.update(
                _unconverted("target_investment", targets.currency, targets.investment, 1)
            )
        values[Measure("target_jobs", "jobs")] = Decimal(targets.jobs)
        values[Measure("target_projects", "projects")] = Decimal(targets.projects)
    return values


def _add_total(values: Vector, name: str, total: Total) -> None:
    values[Measure(name, total.currency)] = total.amount
    for left in total.unconverted.values():
        values.update(_unconverted(name, left.currency, left.amount, left.count))


def _unconverted(name: str, currency: str, amount: Decimal, count: int) -> Vector:
    """The amounts of ``currency`` a figure could not convert: their sum and how many."""
    return {
        Measure(name, currency, unconverted=currency): amount,
        Measure(name, currency, unconverted=currency, counting=True): Decimal(count),
    }


# Collecting the causes


@dataclass
class _Explanation:
    currency: str
    books: tuple[RateBook, RateBook]
    #: The projects the filters count at each moment; ``None``: not narrowed (every fact
    #: of the layer counts, summed per value date for the whole portfolio).
    scope: tuple[frozenset[str], frozenset[str]] | None = None
    by_cause: dict[tuple[Any, ...], Vector] = field(default_factory=lambda: defaultdict(dict))
    rate_causes: dict[tuple[Any, ...], tuple[RateMove, ...]] = field(default_factory=dict)
    #: The events behind each cause's change of each measure.
    positions: dict[tuple[tuple[Any, ...], Measure], set[int]] = field(
        default_factory=lambda: defaultdict(set)
    )

    def measures(self) -> set[Measure]:
        return {m for vector in self.by_cause.values() for m, v in vector.items() if v}

    def credit(
        self,
        cause: tuple[Any, ...],
        change: Mapping[Measure, Decimal],
        positions: Iterable[int] = (),
    ) -> None:
        """Add ``change`` to what ``cause`` did, by the events at ``positions``."""
        vector = self.by_cause[cause]
        events = set(positions)
        for measure, value in change.items():
            if value:
                vector[measure] = EXACT.add(vector.get(measure, ZERO), value)
                self.positions[(cause, measure)] |= events

    def step(
        self, cause: tuple[Any, ...], before: Vector, after: Vector, positions: Iterable[int] = ()
    ) -> Vector:
        """Credit ``cause`` with ``after - before``; return ``after``."""
        self.credit(cause, _minus(after, before), positions)
        return after

    def explaining(self, measure: Measure) -> list[Contribution]:
        found = [
            Contribution(self._cause(key, measure), vector[measure])
            for key, vector in self.by_cause.items()
            if vector.get(measure)
        ]
        found.sort(key=lambda c: (-abs(c.amount), c.cause.kind, c.cause.project_id or ""))
        return found

    def _cause(self, key: tuple[Any, ...], measure: Measure) -> Cause:
        if key[0] == "project":
            return Cause("project", key[1], tuple(sorted(self.positions[(key, measure)])))
        if key[0] == "targets":
            return Cause("targets", positions=key[1:])
        return Cause("rates", moves=self.rate_causes[key])

    # Valuing an amount with each moment's rates

    def value(self, at: int, name: str, amount: Decimal, currency: str, on: date, n: int) -> Vector:
        """What ``n`` amounts summing to ``amount`` add to figure ``name`` at moment ``at``."""
        if n == 0:
            return {}
        converted = self.books[at].convert(amount, currency, on, self.currency)
        if converted is not None:
            return {Measure(name, self.currency): converted}
        return _unconverted(name, currency, amount, n)

    def rate_cause(self, currency: str, on: date) -> tuple[Any, ...] | None:
        """The rate move for converting ``currency`` on ``on``, if the rates differ."""
        if currency == self.currency:
            return None
        moves = tuple(
            RateMove(code, before, after)
            for code in dict.fromkeys((currency, self.currency))
            if code != USD
            and _rate_key(before := self.books[0].rate(code, on))
            != _rate_key(after := self.books[1].rate(code, on))
        )
        if not moves:
            return None
        key = ("rates", *(_rate_key(m.before) for m in moves), *(_rate_key(m.after) for m in moves))
        self.rate_causes[key] = moves
        return key

    # Ledger facts

    def facts(
        self,
        conn: Connection,
        start: ReportQuery,
        end: ReportQuery,
        positions: Mapping[str, set[int]],
    ) -> None:
        moments = (LedgerMoment(start.known_at, start.as_of), LedgerMoment(end.known_at, end.as_of))
        scope = self.scope
        among = None if scope is None else scope[0] | scope[1]
        entered = frozenset() if scope is None else scope[0] ^ scope[1]
        groups: dict[Group, list[Step]] = defaultdict(list)
        for row in conn.execute(moved_facts(start, end, among, entered)):
            counted = (
                moments[0].holds(row) and (scope is None or row.project_id in scope[0]),
                moments[1].holds(row) and (scope is None or row.project_id in scope[1]),
            )
            if counted[0] == counted[1]:
                continue
            sign = 1 if counted[1] else -1
            # Left the count: closed by a correction or retraction, the event to credit.
            closed = not counted[1] and row.superseded_at is not None
            position = row.superseded_position if closed else row.recorded_position
            project = row.project_id
            cause = ("project", project)
            # A project that entered or left the filters' scope: its events between the
            # moments (a status changed, a plan corrected) are behind every row it moved.
            events = {position, *(positions.get(project, ()) if project in entered else ())}
            if row.kind == "jobs_created":
                self.credit(
                    cause,
                    {
                        Measure("jobs_permanent", "jobs"): Decimal(sign * row.permanent),
                        Measure("jobs_temporary", "jobs"): Decimal(sign * row.temporary),
                    },
                    events,
                )
            elif row.currency == self.currency:  # taken as it is: adds up as it comes
                change = {Measure(row.kind, self.currency): sign * row.amount}
                self.credit(cause, change, events)
            else:
                holder = "" if scope is None else project
                groups[(holder, row.kind, row.currency, row.effective_date)].append(
                    (position, project, sign, row.amount, tuple(sorted(events)))
                )
        self._walk_groups(conn, start, groups)

    def _walk_groups(
        self,
        conn: Connection,
        start: ReportQuery,
        groups: dict[Group, list[Step]],
    ) -> None:
        """Each value date's sum (the portfolio's, or a project's when the filters narrow:
        as the report converts it) from its start value to its end value, change by change."""
        among = None if self.scope is None else self.scope[0]
        sums = sums_at_start(conn, start, self._ranges(groups), among)
        for key in set(groups) | set(sums):
            _, kind, currency, on = key
            amount, n = sums.get(key, (ZERO, 0))
            value = self.value(0, kind, amount, currency, on, n)
            if (rates := self.rate_cause(currency, on)) is not None:
                value = self.step(rates, value, self.value(1, kind, amount, currency, on, n))
            for _, project, sign, delta, events in sorted(groups.get(key, [])):
                amount, n = EXACT.add(amount, sign * delta), n + sign
                after = self.value(1, kind, amount, currency, on, n)
                value = self.step(("project", project), value, after, events)

    def _ranges(self, groups: Iterable[Group]) -> list[tuple[str, date, date]]:
        """Per currency, the value dates to read sums for: those the changed rows hold and
        those whose rate moved (every date a rate of either moment starts a period)."""
        by_currency: dict[str, list[date]] = defaultdict(list)
        for _, _, currency, on in groups:
            if currency != self.currency:
                by_currency[currency].append(on)
        for currency, start, stop in self._rate_periods():
            by_currency[currency] += [start, stop]
        return [(c, min(days), max(days)) for c, days in by_currency.items()]

    def _rate_periods(self) -> list[tuple[str, date, date]]:
        """Each currency's periods (first day, last day) whose rate differs between the
        moments; the last period runs to the end of the calendar."""
        currencies = {USD, *(c for book in self.books for (_, c) in book.rates)}
        currencies.discard(self.currency)
        starts = sorted(
            {r.rate_date for book in self.books for rates in book.rates.values() for r in rates}
        )
        periods = []
        for currency in currencies:
            for index, first in enumerate(starts):
                if self.rate_cause(currency, first) is not None:
                    last = starts[index + 1] if index + 1 < len(starts) else date.max
                    periods.append((currency, first, last))
        return periods

    # Projects: their count, status and pledge

    def projects(
        self,
        before: dict[str, ProjectAsOf],
        after: dict[str, ProjectAsOf],
        positions: Mapping[str, set[int]],
    ) -> None:
        """Each project's count by status and pledge, credited to the project's events that
        announced it, corrected its plan or changed its status between the moments."""
        for project_id in set(before) | set(after):
            cause, events = ("project", project_id), positions.get(project_id, set())
            then, now = before.get(project_id), after.get(project_id)
            status_then = then.status if then else None
            status_now = now.status if now else None
            if status_then != status_now:
                self.credit(cause, _status_vector(status_then, -1), events)
                self.credit(cause, _status_vector(status_now, 1), events)
            value = self._pledged(0, then)
            if _pledges(then) and _pledges(now):
                assert then is not None
                rates = self.rate_cause(then.currency, then.announced_on)
                if rates is not None:
                    value = self.step(rates, value, self._pledged(1, then))
            self.step(cause, value, self._pledged(1, now), events)

    def _pledged(self, at: int, project: ProjectAsOf | None) -> Vector:
        if not _pledges(project):
            return {}
        assert project is not None
        return self.value(
            at, "pledged", project.planned_investment, project.currency, project.announced_on, 1
        )

    # Targets

    def targets(
        self, before: TargetsInForce | None, after: TargetsInForce | None, position: int | None
    ) -> None:
        cause = ("targets", *(() if position is None else (position,)))
        value = self._target(0, before)
        if before is not None and after is not None:
            rates = self.rate_cause(before.currency, before.effective_date)
            if rates is not None:
                value = self.step(rates, value, self._target(1, before))
        self.step(cause, value, self._target(1, after))

    def _target(self, at: int, targets: TargetsInForce | None) -> Vector:
        if targets is None:
            return {}
        return {
            **self.value(
                at,
                "target_investment",
                targets.investment,
                targets.currency,
                targets.effective_date,
                1,
            ),
            Measure("target_jobs", "jobs"): Decimal(targets.jobs),
            Measure("target_projects", "projects"): Decimal(targets.projects),
        }


def _rate_key(rate: Rate | None) -> tuple[str, date, Decimal] | None:
    return None if rate is None else (rate.rate_set_id, rate.rate_date, rate.units_per_usd)


def _pledges(project: ProjectAsOf | None) -> bool:
    return project is not None and project.status != Status.CANCELLED.value


def _status_vector(status: str | None, sign: int) -> Vector:
    if status is None:
        return {}
    return {
        Measure("projects", "projects"): Decimal(sign),
        Measure(f"projects.{status}", "projects"): Decimal(sign),
    }


def _minus(after: Mapping[Measure, Decimal], before: Mapping[Measure, Decimal]) -> Vector:
    return {
        measure: EXACT.subtract(after.get(measure, ZERO), before.get(measure, ZERO))
        for measure in set(after) | set(before)
    }
