"""What the oracle (``tests.oracle``) knows of one portfolio: the filters of a read
(``Selection``), every aggregate as the events recorded by ``known_at`` leave it, and each
rate set's rates in force, folded by hand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from tests.oracle.figures import FxRate, RatesByCurrency
from tracker.domain.ledger import ProjectLedger
from tracker.domain.portfolio import Portfolio
from tracker.domain.rate_set import RateSet
from tracker.domain.status import Status


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
class Known:
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


def fold_rate(rates: dict[tuple[str, date], Decimal], event: RateSet.Event) -> None:
    """A rate set's rates in force, by (currency, date), after ``event``."""
    if isinstance(event, RateSet.RatesPublished):
        for rate in event.rates:
            rates[(rate.currency, rate.rate_date)] = rate.units_per_usd
    elif isinstance(event, RateSet.RateCorrected):
        rates[(event.rate.currency, event.rate.rate_date)] = event.rate.units_per_usd
    elif isinstance(event, RateSet.RateWithdrawn):
        del rates[(event.currency, event.rate_date)]


def by_currency(rate_set_id: UUID, rates: dict[tuple[str, date], Decimal]) -> RatesByCurrency:
    by_currency: RatesByCurrency = {}
    for (currency, day), units in rates.items():
        by_currency.setdefault(currency, []).append(FxRate(currency, day, units, rate_set_id))
    return by_currency
