"""The ledger's current facts summed per portfolio, layer, kind, currency and value date.

Why: a portfolio report sums every fact of the portfolio. At a million events that is a
million ledger rows per report (on SQLite each one through the exact decimal sum), where the
sums per value date are a few thousand rows. The projector keeps these sums
(``rm_fact_totals``) in the transaction that writes the ledger, and the unfiltered reports
read them:

- as currently known, with or without ``as_of``: the sums alone;
- as known at a moment ``K``: the sums, minus the facts recorded after ``K`` that are still
  current, plus the facts recorded by ``K`` and superseded after it. Only the ledger rows
  that changed after ``K`` are read.

A filtered report (by project, or anything the sums do not key) reads the ledger as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement, Select

from tracker.readmodel import tables as t
from tracker.readmodel.database import exact_sum

Row = dict[str, Any]
#: (portfolio, illustrative, kind, currency or "", value date)
Key = tuple[str, bool, str, str, date]


@dataclass
class Sums:
    amount: Decimal | None = None
    permanent: int = 0
    temporary: int = 0
    count: int = 0

    def add(self, amount: Decimal | None, permanent: int, temporary: int, count: int) -> None:
        if amount is not None:
            self.amount = amount if self.amount is None else self.amount + amount
        self.permanent += permanent
        self.temporary += temporary
        self.count += count


@dataclass(frozen=True)
class FactGroup:
    """What a report adds per kind, currency and value date (the shape of a ledger group)."""

    kind: str
    currency: str | None
    effective_date: date
    amount: Decimal | None
    permanent: int
    temporary: int
    count: int


class FactTotalsChange:
    """What one projector batch changes in the sums: each ledger row that became current
    counts once, each current row it superseded is taken off."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._sums: dict[Key, Sums] = {}

    def add(self, row: Row, illustrative: bool, sign: int = 1) -> None:
        amount = row["amount"]
        self._sums.setdefault(_key(row, illustrative), Sums()).add(
            None if amount is None else sign * amount,
            sign * int(row["permanent"] or 0),
            sign * int(row["temporary"] or 0),
            sign,
        )

    def write(self, conn: Connection) -> None:
        if not self._sums:
            return
        rows = [
            {
                **dict(zip(_KEY, key, strict=True)),
                "amount": sums.amount,
                "permanent": sums.permanent,
                "temporary": sums.temporary,
                "count": sums.count,
            }
            for key, sums in sorted(self._sums.items())
        ]
        conn.execute(_upsert(conn, self.table), rows)
        # A sum whose last fact was superseded goes, so that the table holds a row per key of
        # the current ledger, whatever the batches were.
        emptied = [
            dict(zip(_KEY, key, strict=True)) for key, sums in self._sums.items() if sums.count < 0
        ]
        if emptied:
            table = self.table.c
            conn.execute(
                delete(self.table).where(
                    table.portfolio_id == bindparam("portfolio_id"),
                    table.illustrative == bindparam("illustrative"),
                    table.kind == bindparam("kind"),
                    table.currency == bindparam("currency"),
                    table.effective_date == bindparam("effective_date"),
                    table.count == 0,
                ),
                emptied,
            )


_KEY = ("portfolio_id", "illustrative", "kind", "currency", "effective_date")


def recount(conn: Connection, totals: Table, facts: Table, projects: Table) -> None:
    """Replace the sums with those of the ledger's current rows, in one statement: what a
    rebuild does once its copies are complete instead of adding to the sums batch by batch
    (the same rows as :class:`FactTotalsChange` keeps, whatever the batches were)."""
    ledger, project = facts.c, projects.c
    keys = (
        ledger.portfolio_id,
        project.illustrative,
        ledger.kind,
        func.coalesce(ledger.currency, ""),
        ledger.effective_date,
    )
    sums = (
        select(
            *keys,
            exact_sum(ledger.amount),
            func.sum(ledger.permanent),
            func.sum(ledger.temporary),
            func.count(),
        )
        .join_from(facts, projects, project.project_id == ledger.project_id)
        .where(ledger.superseded_position.is_(None))
        .group_by(*keys)
    )
    conn.execute(delete(totals))
    conn.execute(
        totals.insert().from_select([*_KEY, "amount", "permanent", "temporary", "count"], sums)
    )


def _key(row: Row, illustrative: bool) -> Key:
    return (
        row["portfolio_id"],
        illustrative,
        row["kind"],
        row["currency"] or "",
        row["effective_date"],
    )


def _upsert(conn: Connection, table: Table) -> Any:
    """Add each row's sums to the stored ones (SQLite keeps amounts as decimal text, added by
    the ``decimal_add`` function of tracker/readmodel/database.py)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    new = statement.excluded
    current = table.c
    amount = (
        func.coalesce(current.amount + new.amount, current.amount, new.amount)
        if dialect is postgresql
        else func.decimal_add(current.amount, new.amount)
    )
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={
            "amount": amount,
            "permanent": current.permanent + new.permanent,
            "temporary": current.temporary + new.temporary,
            "count": current.count + new.count,
        },
    )


# Reading


LedgerGroups = Callable[[Iterable[ColumnElement[bool]]], Select[Any]]


def fact_groups(
    conn: Connection,
    portfolio_id: str,
    layer: str,
    as_of: date | None,
    known_at: Any,
    ledger_groups: LedgerGroups,
    after: date | None = None,
) -> list[FactGroup]:
    """The report's facts per kind, currency and value date, from the sums (and, for a past
    moment, the ledger rows changed since). ``ledger_groups(conditions)`` groups the ledger
    rows of the same portfolio, layer and ``as_of`` that meet ``conditions``. With
    ``after`` (current knowledge only), only the value dates after it: the groups between
    two days."""
    if after is not None and known_at is not None:
        raise ValueError("the groups after a day are read for current knowledge only")
    totals: dict[tuple[str, str | None, date], Sums] = {}

    def fold(rows: Iterable[Any], sign: int) -> None:
        for row in rows:
            amount = None if row.amount is None else sign * Decimal(row.amount)
            totals.setdefault((row.kind, row.currency or None, row.effective_date), Sums()).add(
                amount,
                sign * int(row.permanent or 0),
                sign * int(row.temporary or 0),
                sign * int(row.count),
            )

    fold(conn.execute(_sums(portfolio_id, layer, as_of, after)), 1)
    if known_at is not None:
        facts = t.facts.c
        fold(
            conn.execute(
                ledger_groups([facts.recorded_at > known_at, facts.superseded_at.is_(None)])
            ),
            -1,
        )
        fold(
            conn.execute(
                ledger_groups([facts.recorded_at <= known_at, facts.superseded_at > known_at])
            ),
            1,
        )
    return [
        FactGroup(kind, currency, day, sums.amount, sums.permanent, sums.temporary, sums.count)
        for (kind, currency, day), sums in sorted(
            totals.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
        )
        if sums.count
    ]


def _sums(
    portfolio_id: str, layer: str, as_of: date | None, after: date | None = None
) -> Select[Any]:
    sums = t.fact_totals.c
    keys = (sums.kind, sums.currency, sums.effective_date)
    query = (
        select(
            *keys,
            exact_sum(sums.amount).label("amount"),
            func.sum(sums.permanent).label("permanent"),
            func.sum(sums.temporary).label("temporary"),
            func.sum(sums.count).label("count"),
        )
        .where(sums.portfolio_id == portfolio_id)
        .group_by(*keys)
    )
    if layer != "all":
        query = query.where(sums.illustrative.is_(layer == "illustrative"))
    if as_of is not None:
        query = query.where(sums.effective_date <= as_of)
    if after is not None:
        query = query.where(sums.effective_date > after)
    return query
