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
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Date, case, literal, select

from tracker.readmodel import tables as t
from tracker.readmodel.database import known_rows, naive_utc, stored_utc

USD = "USD"


@dataclass(frozen=True)
class RateSetRow:
    rate_set_id: str
    name: str
    illustrative: bool
    recorded_at: datetime


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
        RateSetRow(r.rate_set_id, r.name, r.illustrative, stored_utc(r.recorded_at))
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
    by_id = {s.rate_set_id: s for s in sets}
    return [_rate(row, by_id[row.rate_set_id]) for row in _rate_rows(conn, sets, known_at)]


#: What a :class:`Rate` is made of.
_RATE_COLUMNS = (
    "currency",
    "rate_date",
    "units_per_usd",
    "rate_set_id",
    "source_title",
    "source_url",
    "recorded_at",
)


def _rate_rows(conn: Connection, sets: list[RateSetRow], known_at: datetime | None) -> list[Any]:
    """The stored rows of :func:`rates_of`, fetched at once (iterating a result fetches its
    rows one driver call each)."""
    if not sets:
        return []
    return list(
        conn.execute(
            select(*(t.rates.c[name] for name in _RATE_COLUMNS))
            .where(
                t.rates.c.rate_set_id.in_(sorted({s.rate_set_id for s in sets})),
                *known_rows(t.rates, known_at),
            )
            .order_by(t.rates.c.rate_set_id, t.rates.c.currency, t.rates.c.rate_date)
        ).all()
    )


def _rate(row: Any, rate_set: RateSetRow) -> Rate:
    return Rate(
        row.currency,
        row.rate_date,
        row.units_per_usd,
        row.rate_set_id,
        rate_set.name,
        rate_set.illustrative,
        row.source_title,
        row.source_url,
        stored_utc(row.recorded_at),
    )


def published_rates_of(
    conn: Connection, rate_set_id: UUID, known_at: datetime | None = None
) -> tuple[RateSetRow, list[Rate]] | None:
    """One rate set (``None`` if unknown at ``known_at``) and its rates in force then."""
    found = [s for s in rate_sets(conn, known_at) if s.rate_set_id == str(rate_set_id)]
    return (found[0], rates_of(conn, found, known_at)) if found else None


RateKey = tuple[str, str]


@dataclass
class RateBook:
    """The rates a portfolio converts with at one moment, and those a report actually used.
    A rate is made from its stored row when it is first looked up: a set of daily rates
    holds thousands, of which a report uses those of its value days."""

    sets: list[RateSetRow]
    #: Per (set id, currency): the stored rows of its rates by date.
    _rows: dict[RateKey, list[Any]]
    fixed_date: date | None = None
    used: dict[tuple[str, str, date], Rate] = field(default_factory=dict)
    #: Per (set id, currency): its rates' dates, for bisecting (from ``_rows``).
    _dates: dict[RateKey, list[date]] = field(init=False, repr=False, compare=False)
    #: Per (currency, day, target currency): ``_find_factors``'s answer, once found.
    _factors: dict[tuple[str, date, str], tuple[Decimal, Decimal] | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: The rates made so far, by set id, currency and index in ``_rows``.
    _made: dict[tuple[str, str, int], Rate] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._dates = {key: [row.rate_date for row in rows] for key, rows in self._rows.items()}

    @classmethod
    def load(
        cls,
        conn: Connection,
        portfolio_id: UUID,
        known_at: datetime | None = None,
        fixed_date: date | None = None,
    ) -> RateBook:
        sets = chosen_rate_sets(conn, portfolio_id, known_at)
        by_key: dict[RateKey, list[Any]] = {}
        for row in _rate_rows(conn, sets, known_at):
            by_key.setdefault((row.rate_set_id, row.currency), []).append(row)
        return cls(sets, by_key, fixed_date)

    @property
    def rates(self) -> dict[RateKey, list[Rate]]:
        """Every rate of the book, per (set id, currency), by date."""
        return {
            key: [self._made_rate(key, index) for index in range(len(rows))]
            for key, rows in self._rows.items()
        }

    def _made_rate(self, key: RateKey, index: int) -> Rate:
        made = self._made.get((*key, index))
        if made is None:
            rate_set = next(s for s in self.sets if s.rate_set_id == key[0])
            made = self._made[(*key, index)] = _rate(self._rows[key][index], rate_set)
        return made

    @property
    def illustrative_used(self) -> bool:
        return any(rate.illustrative for rate in self.used.values())

    def rate(self, currency: str, on: date) -> Rate | None:
        """The preferred set's latest rate on or before ``on`` (or the fixed date)."""
        day = self.fixed_date or on
        for rate_set in self.sets:
            key = (rate_set.rate_set_id, currency)
            index = bisect.bisect_right(self._dates.get(key, []), day)
            if index:
                return self._made_rate(key, index - 1)
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
        for (_, code), dates in self._dates.items():
            if code in (currency, to):
                days.update(dates)
        return sorted(days)

    def currencies(self) -> set[str]:
        """The currencies the book has rates for."""
        return {code for _, code in self._dates}

    def used_rates(self) -> list[Rate]:
        return sorted(self.used.values(), key=lambda r: (r.currency, r.rate_date, r.rate_set))


#: The most rate dates a report tells apart in SQL (:func:`rate_period`): the currencies with
#: the fewest dates are told apart by them until this many; the rest per value date.
MAX_RATE_DATES = 1000
#: The period of an amount before any rate that converts it (or of one no rate converts).
_NO_RATE = date.min


def rate_period(book: RateBook, to: str, currency: Any, day: Any) -> Any:
    """Which rates converting an amount in ``currency`` (a column) on ``day`` (a column) to
    ``to`` uses, as the date they start from: amounts alike on days with the same start
    convert alike, so their projects are one group (each still converted alone, as
    ``Total.add_each`` does). An amount whose conversion never changes (the report's own
    currency, or one without rates, when ``to`` has none) has one period. The currencies
    with the most rate dates, past ``MAX_RATE_DATES`` in all, are told apart per value date
    (``day`` itself): a daily rate makes each day a period of its own, and the other
    currencies keep theirs."""
    other = book.changes("", to)  # a currency without rates: only ``to``'s matter
    if len(other) > MAX_RATE_DATES:
        return day
    codes = {code: book.changes(code, to) for code in sorted(book.currencies() | {to})}
    told_apart = len(other)
    per_day: set[str] = set()
    for code, days in sorted(codes.items(), key=lambda item: (len(item[1]), item[0])):
        told_apart += len(days)
        if told_apart > MAX_RATE_DATES:
            per_day.add(code)

    def started(days: list[date]) -> Any:
        if not days:
            return literal(_NO_RATE, Date())
        return case(
            *((day >= start, literal(start, Date())) for start in reversed(days)),
            else_=literal(_NO_RATE, Date()),
        )

    return case(
        *(
            (currency == code, day if code in per_day else started(days))
            for code, days in codes.items()
        ),
        else_=started(other),
    )
