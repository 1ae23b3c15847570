"""The oracle (``tests.oracle``): every event of the application in log order, folded the
slow, obvious way into progress, the headline, breakdowns, each project's amounts and the
timeline, as the reporting rules of the package's docstring say."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tests.oracle.figures import LEDGER_KINDS, USD, Converter, Figures, ratio
from tests.oracle.known import EVERYTHING, Known, Selection, by_currency, fold_rate
from tests.oracle.views import (
    BreakdownView,
    PointView,
    ProgressView,
    TargetsView,
    TimelineView,
    cents,
)
from tracker.domain.ledger import ProjectLedger
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.rate_set import RateSet
from tracker.domain.status import Status


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

    def known(self, portfolio_id: UUID, known_at: datetime | None) -> Known:
        aggregates: dict[UUID, Any] = {}
        histories: dict[UUID, list[Any]] = {}
        rates: dict[UUID, dict[tuple[str, date], Decimal]] = {}
        for event in self.events:
            if known_at is not None and event.timestamp > known_at:
                continue
            if isinstance(event, RateSet.Event):
                fold_rate(rates.setdefault(event.originator_id, {}), event)
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
            return Known(None, projects)
        chosen = [by_currency(i, rates[i]) for i in portfolio.rate_sets if i in rates]
        return Known(portfolio, projects, chosen)

    # Building blocks

    def _targets(
        self, known: Known, as_of: date | None, converter: Converter
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
        self, known: Known, as_of: date | None, converter: Converter, selection: Selection
    ) -> Figures:
        figures = Figures()
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
        converter = Converter(known.rate_sets, currency, fx_date)
        targets, investment = self._targets(known, as_of, converter)
        figures = self._figures(known, as_of, converter, selection)
        ratios = (
            ratio(figures.committed.amount, investment),
            ratio(figures.disbursed.amount, investment),
            ratio(
                figures.jobs_permanent + figures.jobs_temporary, targets.jobs if targets else None
            ),
            ratio(figures.project_count, targets.projects if targets else None),
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
        converter = Converter(known.rate_sets, currency, None)
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
        converter = Converter(known.rate_sets, currency, fx_date)
        slices: dict[str, Figures] = {}
        for project, status in known.announced(as_of, selection):
            for key in _keys(project, status, by):
                figures = slices.setdefault(key, Figures())
                figures.add_project(converter, project, status)
                figures.add_facts(converter, project, as_of)
        announced = {project.id for project, _ in known.announced(as_of, selection)}
        for project in known.with_facts(as_of, selection):
            if project.id not in announced and _has_ledger_facts(project, as_of):
                slices.setdefault(NOT_ANNOUNCED, Figures()).add_facts(converter, project, as_of)
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
        converter = Converter(known.rate_sets, USD, None)
        amounts = {}
        for project in known.projects:
            figures = Figures()
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
        converter = Converter(known.rate_sets, currency, fx_date)
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
