"""The sums a report holds: exact totals in the report currency (with what could not be
converted to it), a portfolio's or a slice's figures, and their ratios to the targets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal

from tracker.readmodel.fx import RateBook

#: Sums of converted amounts are kept exact (addition only: no digit is ever rounded away),
#: so a figure is the exact sum of its parts and a difference between two moments is the
#: exact sum of what each change contributed (``tracker.readmodel.changes``).
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


@dataclass(frozen=True)
class Unconverted:
    currency: str
    amount: Decimal
    count: int


@dataclass
class Total:
    """A sum in the report currency, plus whatever could not be converted to it."""

    currency: str
    amount: Decimal = Decimal(0)
    unconverted: dict[str, Unconverted] = field(default_factory=dict)

    def add(self, book: RateBook, amount: Decimal, currency: str, on: date, count: int) -> None:
        converted = book.convert(amount, currency, on, self.currency)
        if converted is not None:
            self.amount = EXACT.add(self.amount, converted)
            return
        known = self.unconverted.get(currency)
        self.unconverted[currency] = Unconverted(
            currency,
            amount + (known.amount if known else 0),
            count + (known.count if known else 0),
        )

    def copy(self) -> Total:
        return Total(self.currency, self.amount, dict(self.unconverted))

    def add_each(self, book: RateBook, amount: Decimal, currency: str, on: date, n: int) -> None:
        """Add ``amount`` ``n`` times, each converted alone (as ``n`` calls of :meth:`add`
        with a count of one would)."""
        converted = book.convert(amount, currency, on, self.currency)
        if converted is not None:
            self.amount = EXACT.add(self.amount, EXACT.multiply(converted, n))
            return
        known = self.unconverted.get(currency)
        total = EXACT.multiply(amount, n)
        self.unconverted[currency] = Unconverted(
            currency,
            total + (known.amount if known else 0),
            n + (known.count if known else 0),
        )


@dataclass
class Figures:
    """What a portfolio, or one slice of it, has pledged and delivered."""

    pledged: Total
    committed: Total
    disbursed: Total
    jobs_permanent: int = 0
    jobs_temporary: int = 0
    #: The jobs the projects plan (cancelled ones excluded), as ``pledged`` is their investment.
    planned_jobs: int = 0
    projects_by_status: Counter[str] = field(default_factory=Counter)

    @classmethod
    def empty(cls, currency: str) -> Figures:
        return cls(Total(currency), Total(currency), Total(currency))

    def copy(self) -> Figures:
        """A copy to add to, this one left as it is."""
        return Figures(
            self.pledged.copy(),
            self.committed.copy(),
            self.disbursed.copy(),
            self.jobs_permanent,
            self.jobs_temporary,
            self.planned_jobs,
            Counter(self.projects_by_status),
        )

    @property
    def project_count(self) -> int:
        return sum(self.projects_by_status.values())


@dataclass(frozen=True)
class Ratios:
    committed: Decimal | None
    disbursed: Decimal | None
    jobs: Decimal | None
    projects: Decimal | None
