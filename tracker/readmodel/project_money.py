"""Each project's amounts beside their US dollar equivalents, at a moment.

A project keeps its amounts in the currencies recorded (committed in sums, disbursed in
tenge…). Read side by side they mislead, so each is given with its equivalent in US dollars
and the rates used: those of the rate sets the portfolio converts with as known at
``known_at``, each fact at its value date and the plan at its announcement, exactly as the
portfolio's reports convert them (``fx.RateBook``). An amount with no rate for its day has no
equivalent (``usd`` is ``None``) rather than a wrong one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import Connection

from tracker.readmodel.fx import USD, Rate, RateBook
from tracker.readmodel.reports import ReportQuery, project_fact_groups, rate_book

#: The kinds of amounts a project records, as the ledger names them.
AMOUNT_KINDS = ("committed", "disbursed")


class Planned(Protocol):
    """What the conversion needs of a project: its plan's amount and announcement day."""

    @property
    def project_id(self) -> str: ...
    @property
    def planned_investment(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def announced_on(self) -> date: ...


@dataclass(frozen=True)
class PlanAmount:
    """A project's planned investment and announcement day, as a page has them."""

    project_id: str
    planned_investment: Decimal
    currency: str
    announced_on: date


@dataclass
class Equivalent:
    """An amount in its currency, its US dollar equivalent, and the rates that made it."""

    currency: str
    amount: Decimal = Decimal(0)
    usd: Decimal | None = Decimal(0)  # ``None``: some part had no rate
    rates: list[Rate] = field(default_factory=list)

    def add(self, book: RateBook, amount: Decimal, on: date) -> None:
        self.amount += amount
        converted = book.convert(amount, self.currency, on, USD)
        self.usd = None if converted is None or self.usd is None else self.usd + converted
        rate = book.rate(self.currency, on) if self.currency != USD else None
        if rate is not None and rate not in self.rates:
            self.rates.append(rate)
            self.rates.sort(key=lambda r: (r.rate_date, r.rate_set))


@dataclass
class ProjectMoney:
    """One project's planned investment and recorded amounts, with their equivalents."""

    planned: Equivalent
    committed: dict[str, Equivalent] = field(default_factory=dict)
    disbursed: dict[str, Equivalent] = field(default_factory=dict)

    def in_usd(self, kind: str) -> Decimal | None:
        """The kind's total in US dollars; ``None`` when a part of it has no rate."""
        parts = [e.usd for e in getattr(self, kind).values()]
        return None if None in parts else sum((p for p in parts if p is not None), Decimal(0))


def money_in_usd(
    conn: Connection, query: ReportQuery, projects: Iterable[Planned]
) -> dict[str, ProjectMoney]:
    """The money of ``projects`` (of the query's portfolio) at the query's moment, by id."""
    book = rate_book(conn, query)
    money: dict[str, ProjectMoney] = {}
    for project in projects:
        planned = Equivalent(project.currency)
        planned.add(book, project.planned_investment, project.announced_on)
        money[project.project_id] = ProjectMoney(planned)
    for row in project_fact_groups(conn, query):
        owner = money.get(row.project_id)
        if owner is None or row.kind not in AMOUNT_KINDS or row.amount is None:
            continue
        amounts: dict[str, Equivalent] = getattr(owner, row.kind)
        amounts.setdefault(row.currency, Equivalent(row.currency)).add(
            book, row.amount, row.effective_date
        )
    return money
