"""An oracle for the portfolio reports: a plain Python fold over the stored events.

The read model answers reports with SQL over projected tables (``tracker.readmodel``). This
module answers the same questions the slow, obvious way, without any of that code: it reads
every event of the application in log order, keeps those recorded by ``known_at``, folds each
aggregate with the domain's own classes (``event.mutate``), folds each rate set's rates by
hand, and adds the figures up in Python.

The reporting rules, written out once more:

- A project counts from its announcement's effective date on; its status is the one whose
  change was effective last by ``as_of`` (ties: the later event).
- Pledged: the planned investment, valued at the announcement's effective date, of every
  project announced by ``as_of`` that is not cancelled as of that day.
- Committed, disbursed, jobs: facts effective by ``as_of`` and not retracted, with every
  correction known by ``known_at`` folded in. The portfolio's totals count the facts of all
  its projects; a slice of a breakdown counts the facts of the projects in it, and facts
  effective before their project was announced go to a slice of their own,
  ``(not yet announced)``, so the slices add up to the portfolio.
- A project in two regions (or countries) counts fully in each; once per slice.
- Conversion: ``amount × target rate / source rate``, each rate the latest on or before the
  amount's value date (or on or before the fixed date); USD is 1; an amount already in the
  report currency is taken as it is; without a rate the amount stays unconverted, summed per
  currency with the number of amounts.
- Rates: only those of the rate sets the portfolio had chosen by ``known_at``, in its order of
  preference: for a currency, the first set with a rate on or before the day gives it. A
  set's rates are those published by ``known_at``, with the corrections known then folded in
  and the withdrawn ones left out. Another portfolio's choice changes nothing here.
- Targets: the restatement in force on ``as_of`` (latest effective date, then version),
  converted at its effective date. Ratios: converted committed and disbursed over the target
  investment, jobs (permanent + temporary) and projects (any status) over their targets,
  to four places; none when there is no target or it is zero.
- Flags (``tests.oracle_projects.flags_then``): disbursed above committed, each summed in
  US dollars as above (not judged while an amount has no rate); the planned end (the plan as
  recorded by ``known_at``) before ``as_of`` or today while announced, agreed, in
  preparation, under implementation or suspended as of ``as_of``; no news as the stale rule.
- Filters: a layer keeps only its projects (reported or illustrative), all their facts
  included. A sector, region, country or status keeps only the projects announced by
  ``as_of`` whose plan (as corrected by ``known_at``) and status as of ``as_of`` match, with
  their facts; facts effective before their project's announcement then count nowhere.
  Targets do not change with filters.
- Shares of plan: committed and disbursed over pledged, jobs (permanent + temporary) over the
  planned jobs of the projects not cancelled; none when nothing is planned.
- Timeline: one point per month or quarter from the first day anything happened (a project's
  announcement, a target, a ledger fact) to ``as_of`` (or today), each the cumulative figures
  at the period's last day (capped at the end).

The ``*View`` classes are the comparable shape of a report (money to the cent); ``view_of_*``
read an object shaped like ``tracker.readmodel.reports``' results into it, by attribute only.
"""

from __future__ import annotations

from calendar import monthrange
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID

from tracker.domain.ledger import ProjectLedger
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.rate_set import RateSet
from tracker.domain.status import Status

CENT = Decimal("0.01")
PLACES = Decimal("0.0001")
USD = "USD"
LEDGER_KINDS = frozenset({"committed", "disbursed", "jobs_created"})


@dataclass(frozen=True)
class FxRate:
    currency: str
    rate_date: date
    units_per_usd: Decimal
    rate_set_id: UUID


#: A rate as a report lists it: (currency, date, rate set id, units per USD).
UsedRate = tuple[str, date, str, Decimal]
#: One rate set's rates in force, by currency.
RatesByCurrency = dict[str, list[FxRate]]


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


# The fold


class _Converter:
    """The chosen sets' rates, preferred first; remembers every non-USD rate a conversion used."""

    def __init__(self, sets: Sequence[RatesByCurrency], to: str, fixed: date | None) -> None:
        self.sets = sets
        self.to = to
        self.fixed = fixed
        self.used: set[UsedRate] = set()

    def _units(self, currency: str, on: date) -> tuple[Decimal, UsedRate | None] | None:
        if currency == USD:
            return Decimal(1), None
        day = self.fixed or on
        for rates in self.sets:
            known = [r for r in rates.get(currency, []) if r.rate_date <= day]
            if known:
                latest = max(known, key=lambda r: r.rate_date)
                used = (latest.currency, latest.rate_date, str(latest.rate_set_id))
                return latest.units_per_usd, (*used, latest.units_per_usd)
        return None

    def convert(self, amount: Decimal, currency: str, on: date) -> Decimal | None:
        if currency == self.to:
            return amount
        source = self._units(currency, on)
        target = self._units(self.to, on)
        if source is None or target is None:
            return None
        self.used.update(key for _, key in (source, target) if key is not None)
        return amount * target[0] / source[0]


@dataclass
class _Sum:
    amount: Decimal = Decimal(0)
    unconverted: dict[str, tuple[Decimal, int]] = field(default_factory=dict)

    def add(self, converter: _Converter, amount: Decimal, currency: str, on: date) -> None:
        converted = converter.convert(amount, currency, on)
        if converted is not None:
            self.amount += converted
            return
        total, count = self.unconverted.get(currency, (Decimal(0), 0))
        self.unconverted[currency] = (total + amount, count + 1)

    def view(self) -> SumView:
        return SumView(
            cents(self.amount),
            tuple((c, total, n) for c, (total, n) in sorted(self.unconverted.items())),
        )


@dataclass
class _Figures:
    pledged: _Sum = field(default_factory=_Sum)
    committed: _Sum = field(default_factory=_Sum)
    disbursed: _Sum = field(default_factory=_Sum)
    jobs_permanent: int = 0
    jobs_temporary: int = 0
    planned_jobs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def add_project(self, converter: _Converter, project: ProjectLedger, status: Status) -> None:
        self.statuses[status.value] += 1
        if status is not Status.CANCELLED:
            planned = project.plan.planned_investment
            self.pledged.add(converter, planned.amount, planned.currency, project.announced_on())
            self.planned_jobs += project.plan.planned_jobs

    def add_facts(self, converter: _Converter, project: ProjectLedger, as_of: date | None) -> None:
        for fact in project.facts.values():
            if fact.retracted_by is not None or fact.kind not in LEDGER_KINDS:
                continue
            if as_of is not None and fact.effective_date > as_of:
                continue
            if fact.kind == "jobs_created":
                self.jobs_permanent += fact.permanent
                self.jobs_temporary += fact.temporary
                continue
            assert fact.amount is not None
            total = self.committed if fact.kind == "committed" else self.disbursed
            total.add(converter, fact.amount.amount, fact.amount.currency, fact.effective_date)

    @property
    def project_count(self) -> int:
        return sum(self.statuses.values())

    def view(self) -> FiguresView:
        return FiguresView(
            self.pledged.view(),
            self.committed.view(),
            self.disbursed.view(),
            self.jobs_permanent,
            self.jobs_temporary,
            self.planned_jobs,
            tuple(sorted(self.statuses.items())),
        )


def _ratio(part: Decimal | int, whole: Decimal | int | None) -> Decimal | None:
    if whole is None or whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(PLACES, rounding=ROUND_HALF_EVEN)


def share_of_plan(part: Decimal | int, plan: Decimal | int) -> Decimal | None:
    """What the API's ``shares_of_plan`` says: ``part / plan`` to four places, none for 0."""
    return _ratio(part, plan)


@dataclass(frozen=True)
class Selection:
    """The filters of a read, as the oracle applies them."""

    layer: str = "all"
    sector: str | None = None
    region: str | None = None
    country: str | None = None
    status: str | None = None
    #: Only the projects carrying this flag ("any": any flag) as of the report's day …
    flag: str | None = None
    no_news_days: int = 180
    #: … which ``tests.oracle_projects.judging`` binds: the flagged projects as of a day.
    flagged: Callable[[date | None], frozenset[UUID]] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def narrows(self) -> bool:
        return any((self.sector, self.region, self.country, self.status, self.flag))

    def in_layer(self, project: ProjectLedger) -> bool:
        return self.layer == "all" or project.illustrative == (self.layer == "illustrative")

    def admits(self, project: ProjectLedger, status: Status) -> bool:
        plan = project.plan
        return (
            self.in_layer(project)
            and self.sector in (None, plan.sector)
            and (self.region is None or self.region in plan.regions)
            and (self.country is None or self.country in plan.countries)
            and self.status in (None, status.value)
        )


EVERYTHING = Selection()


@dataclass
class _Known:
    """Every aggregate of one portfolio as the events recorded by ``known_at`` leave it."""

    portfolio: Portfolio | None
    projects: list[ProjectLedger]
    #: The rates of each rate set the portfolio had chosen, in its order of preference.
    rate_sets: list[RatesByCurrency] = field(default_factory=list)

    def announced(
        self, as_of: date | None, selection: Selection = EVERYTHING
    ) -> Iterator[tuple[ProjectLedger, Status]]:
        chosen = None
        if selection.flag is not None:
            assert selection.flagged is not None, "bind the flag with oracle_projects.judging"
            chosen = selection.flagged(as_of)
        for project in self.projects:
            if as_of is None or project.announced_on() <= as_of:
                status = project.status_as_of(as_of)
                if selection.admits(project, status) and (chosen is None or project.id in chosen):
                    yield project, status

    def with_facts(self, as_of: date | None, selection: Selection) -> list[ProjectLedger]:
        """The projects whose facts count: narrowed, those announced and admitted; else
        every project of the layer."""
        if selection.narrows:
            return [project for project, _ in self.announced(as_of, selection)]
        return [project for project in self.projects if selection.in_layer(project)]


def _fold_rate(rates: dict[tuple[str, date], Decimal], event: RateSet.Event) -> None:
    """A rate set's rates in force, by (currency, date), after ``event``."""
    if isinstance(event, RateSet.RatesPublished):
        for rate in event.rates:
            rates[(rate.currency, rate.rate_date)] = rate.units_per_usd
    elif isinstance(event, RateSet.RateCorrected):
        rates[(event.rate.currency, event.rate.rate_date)] = event.rate.units_per_usd
    elif isinstance(event, RateSet.RateWithdrawn):
        del rates[(event.currency, event.rate_date)]


def _by_currency(rate_set_id: UUID, rates: dict[tuple[str, date], Decimal]) -> RatesByCurrency:
    by_currency: RatesByCurrency = {}
    for (currency, day), units in rates.items():
        by_currency.setdefault(currency, []).append(FxRate(currency, day, units, rate_set_id))
    return by_currency


class Oracle:
    def __init__(self, events: Sequence[Any]) -> None:
        self.events = list(events)

    @classmethod
    def read(cls, tracker: Any, *, page: int = 1000) -> Oracle:
        """Every event the application stored, in the order of the notification log."""
        events: list[Any] = []
        start = 1
        while True:
            notifications = tracker.recorder.select_notifications(start=start, limit=page)
            events.extend(tracker.mapper.to_domain_event(n) for n in notifications)
            if len(notifications) < page:
                return cls(events)
            start = notifications[-1].id + 1

    def timestamps(self) -> list[datetime]:
        return [event.timestamp for event in self.events]

    def known(self, portfolio_id: UUID, known_at: datetime | None) -> _Known:
        aggregates: dict[UUID, Any] = {}
        histories: dict[UUID, list[Any]] = {}
        rates: dict[UUID, dict[tuple[str, date], Decimal]] = {}
        for event in self.events:
            if known_at is not None and event.timestamp > known_at:
                continue
            if isinstance(event, RateSet.Event):
                _fold_rate(rates.setdefault(event.originator_id, {}), event)
                continue
            aggregates[event.originator_id] = event.mutate(aggregates.get(event.originator_id))
            histories.setdefault(event.originator_id, []).append(event)
        portfolio = aggregates.get(portfolio_id)
        projects = [
            ProjectLedger.of(histories[a.id])
            for a in aggregates.values()
            if isinstance(a, Project) and a.portfolio_id == portfolio_id
        ]
        if not isinstance(portfolio, Portfolio):
            return _Known(None, projects)
        chosen = [_by_currency(i, rates[i]) for i in portfolio.rate_sets if i in rates]
        return _Known(portfolio, projects, chosen)

    # Building blocks

    def _targets(
        self, known: _Known, as_of: date | None, converter: _Converter
    ) -> tuple[TargetsView | None, Decimal | None]:
        targets = known.portfolio.targets_as_of(as_of) if known.portfolio else None
        if targets is None:
            return None, None
        converted = converter.convert(
            targets.investment.amount, targets.investment.currency, targets.effective_date
        )
        view = TargetsView(
            version=targets.version,
            effective_date=targets.effective_date,
            investment=targets.investment.amount,
            currency=targets.investment.currency,
            investment_converted=None if converted is None else cents(converted),
            jobs=targets.jobs,
            projects=targets.projects,
        )
        return view, converted

    def _figures(
        self, known: _Known, as_of: date | None, converter: _Converter, selection: Selection
    ) -> _Figures:
        figures = _Figures()
        for project, status in known.announced(as_of, selection):
            figures.add_project(converter, project, status)
        for project in known.with_facts(as_of, selection):
            figures.add_facts(converter, project, as_of)
        return figures

    # Reports

    def progress(
        self,
        portfolio_id: UUID,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        currency: str = USD,
        fx_date: date | None = None,
        selection: Selection = EVERYTHING,
    ) -> ProgressView:
        known = self.known(portfolio_id, known_at)
        converter = _Converter(known.rate_sets, currency, fx_date)
        targets, investment = self._targets(known, as_of, converter)
        figures = self._figures(known, as_of, converter, selection)
        ratios = (
            _ratio(figures.committed.amount, investment),
            _ratio(figures.disbursed.amount, investment),
            _ratio(
                figures.jobs_permanent + figures.jobs_temporary, targets.jobs if targets else None
            ),
            _ratio(figures.project_count, targets.projects if targets else None),
        )
        return ProgressView(targets, figures.view(), ratios, tuple(sorted(converter.used)))

    def headline(
        self,
        portfolio_id: UUID,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        currency: str = USD,
        selection: Selection = EVERYTHING,
    ) -> dict[str, Decimal]:
        """The progress headline exactly (nothing rounded), one value per name: ``pledged``,
        ``committed``, ``disbursed`` in the report currency, ``<figure>.unconverted.<CUR>``
        and ``<figure>.count.<CUR>`` for what could not be converted, ``jobs_permanent``,
        ``jobs_temporary``, ``projects``, ``projects.<status>``, ``target_investment`` (or
        left unconverted, as the figures), ``target_jobs`` and ``target_projects``."""
        known = self.known(portfolio_id, known_at)
        converter = _Converter(known.rate_sets, currency, None)
        figures = self._figures(known, as_of, converter, selection)
        values: dict[str, Decimal] = {}
        for name, total in (
            ("pledged", figures.pledged),
            ("committed", figures.committed),
            ("disbursed", figures.disbursed),
        ):
            values[name] = total.amount
            for code, (amount, count) in total.unconverted.items():
                values[f"{name}.unconverted.{code}"] = amount
                values[f"{name}.count.{code}"] = Decimal(count)
        values["jobs_permanent"] = Decimal(figures.jobs_permanent)
        values["jobs_temporary"] = Decimal(figures.jobs_temporary)
        values["projects"] = Decimal(figures.project_count)
        for status, count in figures.statuses.items():
            if count:
                values[f"projects.{status}"] = Decimal(count)
        targets = known.portfolio.targets_as_of(as_of) if known.portfolio else None
        if targets is not None:
            money = targets.investment
            converted = converter.convert(money.amount, money.currency, targets.effective_date)
            if converted is None:
                values[f"target_investment.unconverted.{money.currency}"] = money.amount
                values[f"target_investment.count.{money.currency}"] = Decimal(1)
            else:
                values["target_investment"] = converted
            values["target_jobs"] = Decimal(targets.jobs)
            values["target_projects"] = Decimal(targets.projects)
        return values

    def breakdown(
        self,
        portfolio_id: UUID,
        by: str,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        currency: str = USD,
        fx_date: date | None = None,
        selection: Selection = EVERYTHING,
    ) -> BreakdownView:
        known = self.known(portfolio_id, known_at)
        converter = _Converter(known.rate_sets, currency, fx_date)
        slices: dict[str, _Figures] = {}
        for project, status in known.announced(as_of, selection):
            for key in _keys(project, status, by):
                figures = slices.setdefault(key, _Figures())
                figures.add_project(converter, project, status)
                figures.add_facts(converter, project, as_of)
        announced = {project.id for project, _ in known.announced(as_of, selection)}
        for project in known.with_facts(as_of, selection):
            if project.id not in announced and _has_ledger_facts(project, as_of):
                slices.setdefault(NOT_ANNOUNCED, _Figures()).add_facts(converter, project, as_of)
        return BreakdownView(
            tuple((key, slices[key].view()) for key in sorted(slices)),
            tuple(sorted(converter.used)),
        )

    def project_amounts(
        self, portfolio_id: UUID, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> dict[UUID, tuple[Decimal | None, Decimal | None]]:
        """Each project's committed and disbursed sums in US dollars, exact (``None`` when an
        amount had no rate), by project id."""
        known = self.known(portfolio_id, known_at)
        converter = _Converter(known.rate_sets, USD, None)
        amounts = {}
        for project in known.projects:
            figures = _Figures()
            figures.add_facts(converter, project, as_of)
            committed, disbursed = figures.committed, figures.disbursed
            amounts[project.id] = (
                None if committed.unconverted else committed.amount,
                None if disbursed.unconverted else disbursed.amount,
            )
        return amounts

    def timeline(
        self,
        portfolio_id: UUID,
        interval: str,
        today: date,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
        currency: str = USD,
        fx_date: date | None = None,
        selection: Selection = EVERYTHING,
    ) -> TimelineView:
        known = self.known(portfolio_id, known_at)
        converter = _Converter(known.rate_sets, currency, fx_date)
        days = [project.announced_on() for project in known.projects]
        days += [t.effective_date for t in (known.portfolio.targets if known.portfolio else [])]
        days += [
            fact.effective_date
            for project in known.projects
            for fact in project.facts.values()
            if fact.retracted_by is None and fact.kind in LEDGER_KINDS
        ]
        points: list[PointView] = []
        if days:
            previous: int | None = None
            for label, end in _periods(min(days), as_of or today, interval):
                targets, _ = self._targets(known, end, converter)
                figures = self._figures(known, end, converter, selection)
                restated = targets is not None and targets.version != previous
                points.append(PointView(label, end, figures.view(), targets, restated))
                previous = targets.version if targets else None
        return TimelineView(tuple(points), tuple(sorted(converter.used)))


NOT_ANNOUNCED = "(not yet announced)"


def _has_ledger_facts(project: ProjectLedger, as_of: date | None) -> bool:
    return any(
        fact.retracted_by is None
        and fact.kind in LEDGER_KINDS
        and (as_of is None or fact.effective_date <= as_of)
        for fact in project.facts.values()
    )


def _keys(project: ProjectLedger, status: Status, by: str) -> list[str]:
    if by == "sector":
        return [project.plan.sector]
    if by == "status":
        return [status.value]
    if by == "region":
        return sorted(set(project.plan.regions)) or ["(none)"]
    if by == "country":
        return sorted(set(project.plan.countries))
    raise ValueError(by)


def _periods(start: date, end: date, interval: str) -> Iterator[tuple[str, date]]:
    """(label, last day) of each month or quarter from the one holding ``start`` to ``end``."""
    months = {"month": 1, "quarter": 3}[interval]
    index = start.year * 12 + (start.month - 1) // months * months  # first month, 0-based
    while True:
        year, month0 = divmod(index, 12)
        if date(year, month0 + 1, 1) > end:
            return
        last_year, last_month0 = divmod(index + months - 1, 12)
        last = date(last_year, last_month0 + 1, monthrange(last_year, last_month0 + 1)[1])
        label = f"{year}-{month0 + 1:02d}" if months == 1 else f"{year}-Q{month0 // 3 + 1}"
        yield label, min(last, end)
        index += months


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
