"""The ledger's current facts summed per portfolio, layer, kind, currency and value date.

Why: a portfolio report sums every fact of the portfolio. At a million events that is a
million ledger rows per report (on SQLite each one through the exact decimal sum), where the
sums per value date are a few thousand rows. The projector keeps these sums
(``rm_fact_totals``) in the transaction that writes the ledger, and the unfiltered reports
read them:

- as currently known, with or without ``as_of``: the sums alone;
- as known at a moment ``K``: the sums as known at the nearest checkpoint either side of
  ``K`` (the present sums being the last), with the ledger rows that changed between it and
  ``K`` added or taken off (tracker/readmodel/fact_checkpoints.py).

A filtered report (by project, or anything the sums do not key) reads the ledger as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement, Select

from tracker.readmodel import tables as t
from tracker.readmodel.database import exact_sum, negated
from tracker.readmodel.fact_checkpoints import (
    Key,
    Sums,
    between,
    checkpoint_rows,
    nearest,
    upsert_sums,
)
from tracker.readmodel.totals import EXACT

Row = dict[str, Any]


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
        conn.execute(upsert_sums(conn, self.table), rows)
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


# Reading


LedgerRows = Callable[[Iterable[ColumnElement[bool]]], list[ColumnElement[bool]]]
#: Which rates an amount in a currency (a column) on a day (a column) converts with.
Period = Callable[[Any, Any], tuple[Any, ...]]


def fact_groups(
    conn: Connection,
    portfolio_id: str,
    layer: str,
    as_of: date | None,
    known_at: Any,
    ledger_rows: LedgerRows,
    after: date | None = None,
    period: Period | None = None,
) -> list[FactGroup]:
    """The report's facts per kind, currency and value date, from the sums (and, for a past
    moment, the ledger rows changed since). ``ledger_rows(conditions)`` gives the conditions
    that select the ledger rows of the same portfolio, layer and ``as_of`` that meet
    ``conditions``. With ``after`` (current knowledge only), only the value dates after it:
    the groups between two days. With ``period`` (``reports.rate_period`` of a currency and
    a day column), per period of the same rates instead of per value date: each group's
    first value date stands for its period."""
    if after is not None and known_at is not None:
        raise ValueError("the groups after a day are read for current knowledge only")
    if known_at is None:  # the sums: per value date they are the groups (both layers added up)
        sums = t.fact_totals.c
        query = _where(select(*(sums[n] for n in _COLUMNS)), portfolio_id, layer, as_of)
        if after is not None:
            query = query.where(sums.effective_date > after)
        if period is not None:
            return _grouped(conn, query.subquery(), period)
        stored = (sums.kind, sums.currency, sums.effective_date)
        return _merged(conn.execute(query.where(sums.count != 0).order_by(*stored)).all())
    # The checkpoint's sums and the ledger rows between, added up in the database by one
    # grouping of them all (grouping each part first, then the whole, made PostgreSQL plan
    # three aggregations in parallel workers: 2-3x the time on two cores).
    point = nearest(conn, portfolio_id, known_at)
    start = (
        _where(select(*(t.fact_totals.c[n] for n in _COLUMNS)), portfolio_id, layer, as_of)
        if point.ends_at is None
        else checkpoint_rows(portfolio_id, layer, as_of, point.ends_at)
    )
    parts = [start, *(_signed(ledger_rows(c), s) for s, c in between(known_at, point))]
    return _grouped(conn, union_all(*parts).subquery(), period)


def _grouped(conn: Connection, every: Any, period: Period | None) -> list[FactGroup]:
    """The rows of ``every`` (keyed and summed as the sums are) added up per kind, currency
    and value date, or per ``period`` (its first value date standing for it)."""
    day = every.c.effective_date
    keys = (
        every.c.kind,
        every.c.currency,
        *((day,) if period is None else period(every.c.currency, day)),
    )
    query = select(
        every.c.kind,
        every.c.currency,
        func.min(day).label("effective_date"),
        exact_sum(every.c.amount).label("amount"),
        func.sum(every.c.permanent).label("permanent"),
        func.sum(every.c.temporary).label("temporary"),
        func.sum(every.c.count).label("count"),
    ).group_by(*keys)
    return _merged(conn.execute(query.order_by(*keys)).all())


def _signed(conditions: list[ColumnElement[bool]], sign: int) -> Select[Any]:
    """The ledger rows meeting ``conditions``, keyed as the sums are (no currency: ""), each
    counting once, or taken off if ``sign`` is -1."""
    facts = t.facts.c

    def signed(column: Any) -> Any:
        return column if sign == 1 else -column

    return select(
        facts.kind,
        func.coalesce(facts.currency, "").label("currency"),
        facts.effective_date,
        (facts.amount if sign == 1 else negated(facts.amount)).label("amount"),
        signed(facts.permanent).label("permanent"),
        signed(facts.temporary).label("temporary"),
        literal_column(str(sign)).label("count"),
    ).where(*conditions)


_SUMS = ("amount", "permanent", "temporary", "count")
_COLUMNS = ("kind", "currency", "effective_date", *_SUMS)


def _merged(rows: Iterable[Any]) -> list[FactGroup]:
    """Rows in key order as groups, a key's rows (one per layer) added up. The rows are
    fetched at once (``.all()``): iterating a result fetches them one driver call each."""
    found: list[FactGroup] = []
    last: tuple[Any, ...] = ()
    for kind, currency, day, amount, permanent, temporary, count in rows:
        key = (kind, currency or None, day)
        if key == last:
            before = found.pop()
            if before.amount is not None:
                amount = before.amount if amount is None else EXACT.add(before.amount, amount)
            permanent += before.permanent
            temporary += before.temporary
            count += before.count
        found.append(FactGroup(*key, amount, permanent, temporary, count))
        last = key
    return [group for group in found if group.count]


def _where(query: Select[Any], portfolio_id: str, layer: str, as_of: date | None) -> Select[Any]:
    sums = t.fact_totals.c
    query = query.where(sums.portfolio_id == portfolio_id)
    if layer != "all":
        query = query.where(sums.illustrative.is_(layer == "illustrative"))
    if as_of is not None:
        query = query.where(sums.effective_date <= as_of)
    return query
