"""Exchange rates: reference data beside the ledger, used only when reporting.

A rate says how many units of a currency one US dollar buys on a date. Amounts convert at
the latest rate on or before their value date (or at one fixed date); every rate used is
listed in the report, and an amount without a usable rate is reported as unconverted.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Engine, delete, func, insert, select, tuple_

from tracker.readmodel import tables as t

USD = "USD"


@dataclass(frozen=True)
class Rate:
    currency: str
    rate_date: date
    units_per_usd: Decimal
    source: str
    illustrative: bool = False


def put_rates(engine: Engine, rates: list[Rate], recorded_at: datetime) -> int:
    """Insert or replace rates (one transaction); return how many were written."""
    with engine.begin() as conn:
        keys = [(r.currency, r.rate_date) for r in rates]
        if keys:
            conn.execute(
                delete(t.fx_rates).where(
                    tuple_(t.fx_rates.c.currency, t.fx_rates.c.rate_date).in_(keys)
                )
            )
            conn.execute(
                insert(t.fx_rates),
                [
                    {
                        "currency": r.currency,
                        "rate_date": r.rate_date,
                        "units_per_usd": r.units_per_usd,
                        "source": r.source,
                        "illustrative": r.illustrative,
                        "recorded_at": recorded_at,
                    }
                    for r in rates
                ],
            )
    return len(rates)


def list_rates(conn: Connection) -> list[Rate]:
    """Every known rate, by currency and then date."""
    rows = conn.execute(select(t.fx_rates).order_by(t.fx_rates.c.currency, t.fx_rates.c.rate_date))
    return [
        Rate(row.currency, row.rate_date, row.units_per_usd, row.source, row.illustrative)
        for row in rows
    ]


def rates_version(conn: Connection) -> tuple[int, datetime | None]:
    """Changes whenever rates are added or replaced (which moves no position in the log)."""
    row = conn.execute(
        select(func.count(), func.max(t.fx_rates.c.recorded_at)).select_from(t.fx_rates)
    ).one()
    return int(row[0]), row[1]


@dataclass
class RateBook:
    """Every known rate, and the rates a report actually used."""

    rates: dict[str, list[Rate]]
    fixed_date: date | None = None
    used: dict[tuple[str, date], Rate] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection, fixed_date: date | None = None) -> RateBook:
        by_currency: dict[str, list[Rate]] = {}
        for rate in list_rates(conn):
            by_currency.setdefault(rate.currency, []).append(rate)
        return cls(by_currency, fixed_date)

    def rate(self, currency: str, on: date) -> Rate | None:
        """The latest rate on or before ``on`` (or the fixed date); USD is always 1."""
        if currency == USD:
            return Rate(USD, on, Decimal(1), "identity")
        day = self.fixed_date or on
        rates = self.rates.get(currency, [])
        index = bisect.bisect_right([r.rate_date for r in rates], day)
        return rates[index - 1] if index else None

    def convert(self, amount: Decimal, currency: str, on: date, to: str) -> Decimal | None:
        if currency == to:
            return amount
        source = self.rate(currency, on)
        target = self.rate(to, on)
        if source is None or target is None:
            return None
        for used in (source, target):
            if used.currency != USD:
                self.used[(used.currency, used.rate_date)] = used
        return amount / source.units_per_usd * target.units_per_usd
