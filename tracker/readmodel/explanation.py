"""Who moved each headline figure between two moments, each change credited exactly.

What ``changes`` (tracker/readmodel/changes.py) collects: per cause (a project's events, a
move of rates, restated targets) what it did to each measure, and the events behind it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection

from tracker.domain.status import Status
from tracker.readmodel.database import stored_date
from tracker.readmodel.fx import USD, Rate, RateBook
from tracker.readmodel.moved import (
    MONEY_KINDS,
    current_kinds,
    moved_facts,
    sums_at_start,
)
from tracker.readmodel.reports import ProjectAsOf, ReportQuery, TargetsInForce
from tracker.readmodel.totals import EXACT

ZERO = Decimal(0)


class Measure(NamedTuple):
    """One number of a headline: a figure in the report currency, the amounts of one
    currency it could not convert (``unconverted``) or how many they are (``counting``).

    A named tuple, not a dataclass: it keys every sum of the explanation, and a tuple's
    hash is computed in C (a frozen dataclass's in Python, ~125,000 times over a month of a
    large portfolio); ordered and compared field by field alike."""

    name: str  # pledged, committed, …, projects, projects.<status>, target_investment, …
    unit: str  # a currency code, "jobs" or "projects"
    unconverted: str = ""
    counting: bool = False


#: The jobs a ledger row adds, permanent and temporary.
JOBS = (Measure("jobs_permanent", "jobs"), Measure("jobs_temporary", "jobs"))
#: A headline, or what one change did to it: a value per measure.
Vector = dict[Measure, Decimal]
#: The sums a report converts as one: its holder (the portfolio "", or a project when the
#: filters narrow), kind, currency and value date.
Group = tuple[str, str, str, date]
#: One ledger row entering (sign 1) or leaving (-1) a group: its event's position, its
#: project, the sign, its amount and the events to credit (its own first).
Step = tuple[int, str, int, Decimal, tuple[int, ...]]


@dataclass(frozen=True)
class RateMove:
    """The rate a currency converted with on a value date, as known at each moment."""

    currency: str
    before: Rate | None
    after: Rate | None


class Cause(NamedTuple):
    """What moved a figure: a project's events, a move of rates, or restated targets.

    Named tuples, this and :class:`Contribution`: over a month of a large portfolio
    ``changes`` makes one of each per project and measure (~20,000), and a tuple is made in
    C (a frozen dataclass sets each field through ``object.__setattr__``: a fifth of the
    explanation's time)."""

    kind: str  # "project" | "rates" | "targets"
    project_id: str | None = None
    #: Global positions of the events behind it (a rate move names its rates instead).
    positions: tuple[int, ...] = ()
    moves: tuple[RateMove, ...] = ()


class Contribution(NamedTuple):
    cause: Cause
    amount: Decimal


def unconverted(name: str, currency: str, amount: Decimal, count: int) -> Vector:
    """The amounts of ``currency`` a figure could not convert: their sum and how many."""
    return {
        Measure(name, currency, unconverted=currency): amount,
        Measure(name, currency, unconverted=currency, counting=True): Decimal(count),
    }


#: Per measure, what each project's changes did to it: the exact sum and the events behind.
Tally = dict[str, list[Any]]


def _count(
    found: dict[str, list[Any]], project: str, value: Decimal, events: Iterable[int]
) -> None:
    """Add one change's ``value`` to ``project``'s sum, by ``events`` (nothing if zero)."""
    if value:
        entry = found.get(project)
        if entry is None:
            found[project] = [value, set(events)]
        else:
            entry[0] = EXACT.add(entry[0], value)
            entry[1].update(events)


@dataclass
class Explanation:
    """What each cause did to each measure, collected change by change: the ledger rows
    that moved (``facts``), the projects' count, status and pledge (``projects``), the
    targets (``targets``), each valued with the rates of its moment (``books``) in the report
    currency."""

    currency: str
    books: tuple[RateBook, RateBook]
    #: The projects the filters count at each moment; ``None``: not narrowed (every fact
    #: of the layer counts, summed per value date for the whole portfolio).
    scope: tuple[frozenset[str], frozenset[str]] | None = None
    #: What each project did to each measure: per measure, per project its exact sum and the
    #: events behind it (``_count``), the ledger's steps and the project's own changes alike;
    #: the contributions are made from it directly (``explaining``).
    by_project: dict[Measure, Tally] = field(default_factory=dict)
    #: What each other cause (a rate move, restated targets) did to each measure.
    by_cause: dict[tuple[Any, ...], Vector] = field(default_factory=lambda: defaultdict(dict))
    rate_causes: dict[tuple[Any, ...], tuple[RateMove, ...]] = field(default_factory=dict)
    #: The events behind each other cause's change of each measure.
    positions: dict[tuple[Any, ...], dict[Measure, set[int]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    #: ``rate_cause`` per currency and value date, as found.
    _rate_found: dict[tuple[str, date], tuple[Any, ...] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        #: Both moments convert alike (the same sets preferred, the same rates): no rate moved.
        self.same_rates = rates_of(self.books[0]) == rates_of(self.books[1])

    def credit(
        self,
        cause: tuple[Any, ...],
        change: Mapping[Measure, Decimal],
        positions: Iterable[int] = (),
    ) -> None:
        """Add ``change`` to what ``cause`` did, by the events at ``positions``."""
        events = set(positions)
        if cause[0] == "project":
            project = cause[1]
            for measure, value in change.items():
                _count(self.tally(measure), project, value, events)
            return
        vector, behind = self.by_cause[cause], self.positions[cause]
        for measure, value in change.items():
            if value:
                vector[measure] = EXACT.add(vector.get(measure, ZERO), value)
                behind.setdefault(measure, set()).update(events)

    def tally(self, measure: Measure) -> Tally:
        """What the projects did to ``measure`` so far (``by_project``)."""
        found = self.by_project.get(measure)
        if found is None:
            found = self.by_project[measure] = {}
        return found

    def step(
        self, cause: tuple[Any, ...], before: Vector, after: Vector, positions: Iterable[int] = ()
    ) -> Vector:
        """Credit ``cause`` with ``after - before``; return ``after``."""
        self.credit(cause, _minus(after, before), positions)
        return after

    def explaining(self) -> dict[Measure, list[Contribution]]:
        """Each measure's contributions, the largest first, then by kind and project (a
        rate move's and the targets' as found)."""
        ranked: dict[Measure, list[tuple[Any, ...]]] = defaultdict(list)
        # Straight from each project's sum: over a month of a large portfolio ~20,000, each
        # named tuple made by ``tuple.__new__`` (their ``__new__`` is Python), each ranked by
        # its own tuple (no project twice in a measure: the order never reaches the end).
        make = tuple.__new__
        for measure, sums in self.by_project.items():
            listed = ranked[measure]
            for project, (amount, events) in sums.items():
                if amount:
                    positions = tuple(events) if len(events) < 2 else tuple(sorted(events))
                    cause = make(Cause, ("project", project, positions, ()))
                    contribution = make(Contribution, (cause, amount))
                    listed.append((-abs(amount), "project", project, 0, contribution))
        for key, vector in self.by_cause.items():
            behind = self.positions.get(key, {})
            for measure, amount in vector.items():
                if amount:
                    cause = self._cause(key, behind.get(measure, ()))
                    listed = ranked[measure]
                    order = (-abs(amount), cause.kind, "", len(listed))
                    listed.append((*order, Contribution(cause, amount)))
        found: dict[Measure, list[Contribution]] = defaultdict(list)
        for measure, listed in ranked.items():
            if listed:
                listed.sort()
                found[measure] = [entry[4] for entry in listed]
        return found

    def _cause(self, key: tuple[Any, ...], events: Collection[int]) -> Cause:
        """A rate move's or restated targets' cause (a project's is made in ``explaining``)."""
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
        return unconverted(name, currency, amount, n)

    def rate_cause(self, currency: str, on: date) -> tuple[Any, ...] | None:
        """The rate move for converting ``currency`` on ``on``, if the rates differ."""
        if currency == self.currency or self.same_rates:
            return None
        if (currency, on) not in self._rate_found:
            self._rate_found[(currency, on)] = self._rate_move(currency, on)
        return self._rate_found[(currency, on)]

    def _rate_move(self, currency: str, on: date) -> tuple[Any, ...] | None:
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
        scope = self.scope
        among = None if scope is None else scope[0] | scope[1]
        entered = frozenset() if scope is None else scope[0] ^ scope[1]
        stored: dict[tuple[str, str, str, Any], list[Step]] = defaultdict(list)
        kinds = current_kinds(conn, start, end)
        permanent, temporary = self.tally(JOBS[0]), self.tally(JOBS[1])
        as_is = {kind: self.tally(Measure(kind, self.currency)) for kind in MONEY_KINDS}
        currency_shown = self.currency
        # Fetched at once: iterating the result would fetch each row with a driver call.
        rows = conn.execute(moved_facts(start, end, among, entered, kinds)).all()
        for (
            project,
            kind,
            currency,
            amount,
            jobs_permanent,
            jobs_temporary,
            day,
            recorded_position,
            superseded_position,
            then,
            now,
        ) in rows:
            if scope is not None:
                then, now = then and project in scope[0], now and project in scope[1]
                if bool(then) == bool(now):
                    continue
            # Without filters only rows that count at one moment and not the other come.
            sign = 1 if now else -1
            # Left the count: closed by a correction or retraction, the event to credit.
            closed = not now and superseded_position is not None
            position = superseded_position if closed else recorded_position
            # A project that entered or left the filters' scope: its events between the
            # moments (a status changed, a plan corrected) are behind every row it moved.
            events = (position, *positions.get(project, ())) if project in entered else (position,)
            if kind == "jobs_created":
                _count(permanent, project, Decimal(sign * jobs_permanent), events)
                _count(temporary, project, Decimal(sign * jobs_temporary), events)
            elif currency == currency_shown:  # taken as it is: adds up as it comes
                found = as_is.get(kind)
                if found is None:
                    found = as_is[kind] = self.tally(Measure(kind, currency_shown))
                _count(found, project, sign * Decimal(amount), events)
            else:
                holder = "" if scope is None else project
                stored[(holder, kind, currency, day)].append(
                    (position, project, sign, Decimal(amount), events)
                )
        # The value dates as read (``moved.STORED``), once per group.
        groups = {(h, k, c, stored_date(day)): steps for (h, k, c, day), steps in stored.items()}
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
            if key in groups:
                self._walk(key, amount, n, value, sorted(groups[key]))

    def _walk(self, key: Group, amount: Decimal, n: int, value: Vector, steps: list[Step]) -> None:
        """One group's steps, each valued at the end's rates and counted for its project:
        ``value`` then ``step`` for each, with the group's rate looked up once."""
        _, kind, currency, on = key
        factors = _factors(self.books[1], currency, on, self.currency)
        if factors is not None:
            measure, (divisor, multiplier) = Measure(kind, self.currency), factors
            before = value.get(measure, ZERO)
            found = self.tally(measure)
            for _, project, sign, delta, events in steps:
                amount, n = EXACT.add(amount, sign * delta), n + sign
                after = amount / divisor * multiplier if n else ZERO  # as RateBook.convert
                _count(found, project, EXACT.subtract(after, before), events)
                before = after
            return
        sums, counts = (
            Measure(kind, currency, unconverted=currency),
            Measure(kind, currency, unconverted=currency, counting=True),
        )
        before, counted = value.get(sums, ZERO), value.get(counts, ZERO)
        summed, numbered = self.tally(sums), self.tally(counts)
        for _, project, sign, delta, events in steps:
            amount, n = EXACT.add(amount, sign * delta), n + sign
            after, count = (amount, Decimal(n)) if n else (ZERO, ZERO)
            _count(summed, project, EXACT.subtract(after, before), events)
            _count(numbered, project, EXACT.subtract(count, counted), events)
            before, counted = after, count

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
        for project_id in before.keys() | after.keys():
            then, now = before.get(project_id), after.get(project_id)
            if then == now and not self._pledged_rate_moved(then):
                continue  # the same count, status and pledge at both moments
            cause, events = ("project", project_id), positions.get(project_id, set())
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

    def _pledged_rate_moved(self, project: ProjectAsOf | None) -> bool:
        return (
            _pledges(project)
            and project is not None
            and self.rate_cause(project.currency, project.announced_on) is not None
        )

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


def rates_of(book: RateBook) -> tuple[Any, ...]:
    """What a book converts with: its sets in order of preference, each one's rates."""
    rates = {key: [_rate_key(r) for r in found] for key, found in book.rates.items()}
    return tuple(s.rate_set_id for s in book.sets), rates, book.fixed_date


def _factors(book: RateBook, currency: str, on: date, to: str) -> tuple[Decimal, Decimal] | None:
    """What ``RateBook.convert`` divides and multiplies an amount of ``currency`` (not
    ``to``) by on ``on``; ``None``: a rate is missing (the amount stays unconverted)."""
    one, found = Decimal(1), []
    for code in (currency, to):
        if code == USD:
            found.append(one)
        elif (rate := book.rate(code, on)) is None:
            return None
        else:
            found.append(rate.units_per_usd)
    return found[0], found[1]


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
