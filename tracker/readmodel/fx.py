"""Exchange rates as the read model knows them: rate sets, their rates, portfolios' choices.

A rate says how many units of a currency one US dollar buys on a date. A portfolio converts
with the rate sets it chose (as chosen by ``known_at``), preferring the first that has a
rate: the latest on or before the amount's value date (or one fixed date), as known at
``known_at``. Every rate used is listed in the report with its set, and an amount without a
usable rate is reported as unconverted.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Date, Engine, case, column, literal, literal_column, select

from tracker.readmodel import tables as t
from tracker.readmodel.database import known_rows, naive_utc, stored_utc

USD = "USD"


@dataclass(frozen=True)
class RateSetRow:
    rate_set_id: str
    name: str
    illustrative: bool
    recorded_at: datetime
    #: The position of the last event that changed the set's rates (0 before any).
    rates_position: int = 0


@dataclass(frozen=True)
class Rate:
    """One published rate, with the set that published it and where it came from."""

    currency: str
    rate_date: date
    units_per_usd: Decimal
    rate_set_id: str
    rate_set: str
    illustrative: bool
    source_title: str | None = None
    source_url: str | None = None
    recorded_at: datetime | None = None


def rate_sets(conn: Connection, known_at: datetime | None = None) -> list[RateSetRow]:
    """Every rate set established by ``known_at``, by name."""
    query = select(t.rate_sets).order_by(t.rate_sets.c.name, t.rate_sets.c.rate_set_id)
    if known_at is not None:
        query = query.where(t.rate_sets.c.recorded_at <= naive_utc(known_at))
    return [
        RateSetRow(
            r.rate_set_id, r.name, r.illustrative, stored_utc(r.recorded_at), r.rates_position
        )
        for r in conn.execute(query)
    ]


def chosen_rate_sets(
    conn: Connection, portfolio_id: UUID, known_at: datetime | None = None
) -> list[RateSetRow]:
    """The rate sets the portfolio converted with at ``known_at``, preferred first."""
    query = (
        select(t.rate_choices.c.rate_sets)
        .where(t.rate_choices.c.portfolio_id == str(portfolio_id))
        .order_by(t.rate_choices.c.version.desc())
        .limit(1)
    )
    if known_at is not None:
        query = query.where(t.rate_choices.c.recorded_at <= naive_utc(known_at))
    chosen = (conn.execute(query).scalar_one_or_none() or "").split()
    by_id = {s.rate_set_id: s for s in rate_sets(conn, known_at) if s.rate_set_id in chosen}
    return [by_id[i] for i in chosen if i in by_id]


def rates_of(
    conn: Connection, sets: list[RateSetRow], known_at: datetime | None = None
) -> list[Rate]:
    """The rates of ``sets`` in force at ``known_at``, by set, currency and date."""
    return [
        rate
        for rate_set in sorted(sets, key=lambda s: s.rate_set_id)
        for rate in rates_in_force(conn, rate_set, known_at).all()
    ]


def published_rates_of(
    conn: Connection, rate_set_id: UUID, known_at: datetime | None = None
) -> tuple[RateSetRow, list[Rate]] | None:
    """One rate set (``None`` if unknown at ``known_at``) and its rates in force then."""
    found = [s for s in rate_sets(conn, known_at) if s.rate_set_id == str(rate_set_id)]
    return (found[0], rates_of(conn, found, known_at)) if found else None


@dataclass(frozen=True)
class RatesInForce:
    """One rate set's rates in force at one moment, per currency by date. A rate is made
    from its stored row when it is first looked up: a set of daily rates holds thousands,
    of which a report uses those of its value days."""

    rate_set: RateSetRow
    #: Per currency: the stored rows of its rates by date, and their dates (for bisecting).
    rows: dict[str, list[Any]]
    dates: dict[str, list[date]]
    #: The rates made so far, by currency and index in ``rows``.
    _made: dict[tuple[str, int], Rate] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, rate_set: RateSetRow, rows: list[Any]) -> RatesInForce:
        by_currency: dict[str, list[Any]] = {}
        for row in rows:
            by_currency.setdefault(row.currency, []).append(row)
        dates = {code: [row.rate_date for row in found] for code, found in by_currency.items()}
        return cls(rate_set, by_currency, dates)

    def rate(self, currency: str, index: int) -> Rate:
        made = self._made.get((currency, index))
        if made is None:
            made = self._made[(currency, index)] = _rate(self.rows[currency][index], self.rate_set)
        return made

    def all(self) -> list[Rate]:
        """Every rate, by currency and date."""
        return [
            self.rate(code, index)
            for code in sorted(self.rows)
            for index in range(len(self.rows[code]))
        ]


#: Per engine and rate set: its rates in force now, kept until an event changes them (the
#: set's row then names another position, :attr:`RateSetRow.rates_position`). A daily rate
#: set holds thousands of rates; a report would otherwise read and sort them every time.
_CURRENT: WeakKeyDictionary[Engine, dict[str, RatesInForce]] = WeakKeyDictionary()


def rates_in_force(
    conn: Connection, rate_set: RateSetRow, known_at: datetime | None = None
) -> RatesInForce:
    """The rates of ``rate_set`` (as read at ``known_at``) in force at ``known_at``: those
    in force now are read once per change of the set."""
    if known_at is not None:
        return RatesInForce.of(rate_set, _rate_rows(conn, rate_set, known_at))
    kept = _CURRENT.setdefault(conn.engine, {})
    found = kept.get(rate_set.rate_set_id)
    if found is None or found.rate_set != rate_set:
        found = kept[rate_set.rate_set_id] = RatesInForce.of(
            rate_set, _rate_rows(conn, rate_set, None)
        )
    return found


#: What a :class:`Rate` is made of.
_RATE_COLUMNS = (
    "currency",
    "rate_date",
    "units_per_usd",
    "source_title",
    "source_url",
    "recorded_at",
)


def _rate_rows(conn: Connection, rate_set: RateSetRow, known_at: datetime | None) -> list[Any]:
    """The stored rows of one set's rates in force at ``known_at``, by currency and date,
    fetched at once (iterating a result fetches its rows one driver call each)."""
    return list(
        conn.execute(
            select(*(t.rates.c[name] for name in _RATE_COLUMNS))
            .where(
                t.rates.c.rate_set_id == rate_set.rate_set_id,
                *known_rows(t.rates, known_at),
            )
            .order_by(t.rates.c.currency, t.rates.c.rate_date)
        ).all()
    )


def _rate(row: Any, rate_set: RateSetRow) -> Rate:
    return Rate(
        row.currency,
        row.rate_date,
        row.units_per_usd,
        rate_set.rate_set_id,
        rate_set.name,
        rate_set.illustrative,
        row.source_title,
        row.source_url,
        stored_utc(row.recorded_at),
    )


RateKey = tuple[str, str]


@dataclass
class RateBook:
    """The rates a portfolio converts with at one moment, and those a report actually used."""

    in_force: list[RatesInForce]
    fixed_date: date | None = None
    used: dict[tuple[str, str, date], Rate] = field(default_factory=dict)
    #: Per (currency, day, target currency): ``_find_factors``'s answer, once found.
    _factors: dict[tuple[str, date, str], tuple[Decimal, Decimal] | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def load(
        cls,
        conn: Connection,
        portfolio_id: UUID,
        known_at: datetime | None = None,
        fixed_date: date | None = None,
    ) -> RateBook:
        sets = chosen_rate_sets(conn, portfolio_id, known_at)
        return cls([rates_in_force(conn, s, known_at) for s in sets], fixed_date)

    @property
    def sets(self) -> list[RateSetRow]:
        """The rate sets, preferred first."""
        return [found.rate_set for found in self.in_force]

    @property
    def rates(self) -> dict[RateKey, list[Rate]]:
        """Every rate of the book, per (set id, currency), by date."""
        return {
            (found.rate_set.rate_set_id, code): [
                found.rate(code, index) for index in range(len(rows))
            ]
            for found in self.in_force
            for code, rows in found.rows.items()
        }

    @property
    def illustrative_used(self) -> bool:
        return any(rate.illustrative for rate in self.used.values())

    def rate(self, currency: str, on: date) -> Rate | None:
        """The preferred set's latest rate on or before ``on`` (or the fixed date)."""
        day = self.fixed_date or on
        for found in self.in_force:
            index = bisect.bisect_right(found.dates.get(currency, []), day)
            if index:
                return found.rate(currency, index - 1)
        return None

    def convert(self, amount: Decimal, currency: str, on: date, to: str) -> Decimal | None:
        if currency == to:
            return amount
        key = (currency, on, to)
        if key not in self._factors:
            self._factors[key] = self._find_factors(currency, on, to)
        factors = self._factors[key]
        if factors is None:
            return None
        divisor, multiplier = factors
        return amount / divisor * multiplier

    def _find_factors(self, currency: str, on: date, to: str) -> tuple[Decimal, Decimal] | None:
        """What converting ``currency`` to ``to`` on ``on`` divides and multiplies by (the
        rates marked used), or ``None`` without a rate. A report converts thousands of
        amounts on the same few hundred days: each day's rates are looked up once."""
        rates = {code: self.rate(code, on) for code in (currency, to) if code != USD}
        found = {code: rate for code, rate in rates.items() if rate is not None}
        if len(found) < len(rates):
            return None
        for rate in found.values():
            self.used[(rate.rate_set_id, rate.currency, rate.rate_date)] = rate
        one = Decimal(1)
        return (
            found[currency].units_per_usd if currency in found else one,
            found[to].units_per_usd if to in found else one,
        )

    def changes(self, currency: str, to: str) -> list[date]:
        """The days on which converting ``currency`` to ``to`` may change (the dates of every
        rate of either, in any set): from one to the next, :meth:`convert` divides and
        multiplies by the same rates whatever the day. None for the same currency, or with
        a fixed date."""
        if currency == to or self.fixed_date is not None:
            return []
        days: set[date] = set()
        for found in self.in_force:
            for code in (currency, to):
                days.update(found.dates.get(code, ()))
        return sorted(days)

    def currencies(self) -> set[str]:
        """The currencies the book has rates for."""
        return {code for found in self.in_force for code in found.dates}

    def used_rates(self) -> list[Rate]:
        return sorted(self.used.values(), key=lambda r: (r.currency, r.rate_date, r.rate_set))


#: The most rate dates a report tells apart in SQL (:func:`rate_period`): the currencies with
#: the fewest dates are told apart by them until this many; the rest per value date.
MAX_RATE_DATES = 1000
#: The period of an amount before any rate that converts it (or of one no rate converts).
_NO_RATE = date.min


def rate_period(book: RateBook, to: str, currency: Any, day: Any) -> tuple[Any, ...]:
    """Which rates converting an amount in ``currency`` (a column) on ``day`` (a column) to
    ``to`` uses, as the keys to group amounts by: amounts alike on days with the same keys
    convert alike, so their projects are one group (each still converted alone, as
    ``Total.add_each`` does). The first key is the date the rates start from; an amount
    whose conversion never changes (the report's own currency, or one without rates, when
    ``to`` has none) has one period. The currencies with the most rate dates, past
    ``MAX_RATE_DATES`` in all, are told apart per value date (a second key: ``day`` for
    them): a daily rate makes each day a period of its own, and the other currencies keep
    theirs."""
    other = book.changes("", to)  # a currency without rates: only ``to``'s matter
    if len(other) > MAX_RATE_DATES:
        return (day,)
    codes = {code: book.changes(code, to) for code in sorted(book.currencies() | {to})}
    told_apart = len(other)
    per_day: set[str] = set()
    for code, days in sorted(codes.items(), key=lambda item: (len(item[1]), item[0])):
        told_apart += len(days)
        if told_apart > MAX_RATE_DATES:
            per_day.add(code)
    periods = tuple((code, tuple(days)) for code, days in codes.items() if code not in per_day)
    started: Any = literal_column(_started(currency.name, day.name, periods, tuple(other)))
    if not per_day:
        return (started,)
    return started, case((currency.in_(sorted(per_day)), day))


@lru_cache(maxsize=64)
def _started(
    currency: str,
    day: str,
    periods: tuple[tuple[str, tuple[date, ...]], ...],
    other: tuple[date, ...],
) -> str:
    """The SQL of the date the rates of an amount start from (as ISO text), per currency:
    the latest of its ``periods``' dates on or before the amount's ``day`` (``other``'s for
    any other currency), or ``_NO_RATE``. Written once per set of dates and kept: built as
    an expression for each report, its comparisons (one per rate date) cost a report with
    monthly rates more than its whole query (issue 17). The columns are named bare: the
    report's statements read one table or subquery."""
    amount_day: Any = column(day)

    def since(days: tuple[date, ...]) -> Any:
        if not days:
            return literal(_NO_RATE, Date())
        return case(
            *((amount_day >= start, literal(start, Date())) for start in reversed(days)),
            else_=literal(_NO_RATE, Date()),
        )

    expression = case(
        *((column(currency) == code, since(days)) for code, days in periods),
        else_=since(other),
    )
    return str(expression.compile(compile_kwargs={"literal_binds": True}))
