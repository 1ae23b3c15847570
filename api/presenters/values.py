"""Value objects to response bodies: amounts as decimal strings, money, sources, jobs.

An amount is always sent as a decimal string, with one of three meanings:

- :func:`as_recorded`: a recorded amount, every digit as the recorder wrote it;
- :func:`exact_amount`: an amount read back from the read model, exact, with at least cents
  and none of the trailing zeros a database adds (PostgreSQL hands back six places, SQLite
  what was written), so both databases answer alike;
- :func:`in_cents`: a computed amount (a conversion, a sum of converted amounts), rounded to
  cents, half to even.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from api import schemas as s
from tracker.domain.values import Money, Source

CENT = Decimal("0.01")


def as_recorded(amount: Decimal) -> str:
    """A recorded amount, as written (``"1500000.00"`` stays so, ``"15"`` too)."""
    return str(amount)


def exact_amount(amount: Decimal) -> str:
    """An exact amount without the trailing zeros a database may add (at least 2 places)."""
    text = format(amount.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def in_cents(amount: Decimal) -> str:
    """A computed amount rounded to cents, half to even."""
    return str(amount.quantize(CENT, rounding=ROUND_HALF_EVEN))


def money_out(value: Money) -> s.MoneyOut:
    return s.MoneyOut(as_recorded(value.amount), value.currency)


def source_out(value: Source | None) -> s.SourceOut | None:
    return s.SourceOut(value.title, value.url) if value else None


def jobs_out(permanent: int, temporary: int) -> s.JobsOut:
    return s.JobsOut(permanent, temporary, permanent + temporary)
