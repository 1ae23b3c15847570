"""How the oracle (``tests.oracle``) converts and adds up: the chosen sets' rates, preferred
first; sums with what stayed unconverted; the figures of a set of projects; ratios and
shares of plan, to four places."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from tests.oracle.views import FiguresView, SumView, UsedRate, cents
from tracker.domain.ledger import ProjectLedger
from tracker.domain.status import Status

PLACES = Decimal("0.0001")
USD = "USD"
LEDGER_KINDS = frozenset({"committed", "disbursed", "jobs_created"})


@dataclass(frozen=True)
class FxRate:
    currency: str
    rate_date: date
    units_per_usd: Decimal
    rate_set_id: UUID


#: One rate set's rates in force, by currency.
RatesByCurrency = dict[str, list[FxRate]]


# The fold


class Converter:
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

    def add(self, converter: Converter, amount: Decimal, currency: str, on: date) -> None:
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
class Figures:
    pledged: _Sum = field(default_factory=_Sum)
    committed: _Sum = field(default_factory=_Sum)
    disbursed: _Sum = field(default_factory=_Sum)
    jobs_permanent: int = 0
    jobs_temporary: int = 0
    planned_jobs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def add_project(self, converter: Converter, project: ProjectLedger, status: Status) -> None:
        self.statuses[status.value] += 1
        if status is not Status.CANCELLED:
            planned = project.plan.planned_investment
            self.pledged.add(converter, planned.amount, planned.currency, project.announced_on())
            self.planned_jobs += project.plan.planned_jobs

    def add_facts(self, converter: Converter, project: ProjectLedger, as_of: date | None) -> None:
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


def ratio(part: Decimal | int, whole: Decimal | int | None) -> Decimal | None:
    if whole is None or whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(PLACES, rounding=ROUND_HALF_EVEN)


def share_of_plan(part: Decimal | int, plan: Decimal | int) -> Decimal | None:
    """What the API's ``shares_of_plan`` says: ``part / plan`` to four places, none for 0."""
    return ratio(part, plan)
