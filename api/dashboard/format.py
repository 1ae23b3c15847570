"""How figures read on screen: money, percentages, dates, names of codes.

Money reads in one of three ways, each with its function (and template filter):

- :func:`short_amount`: rounded for the eye, without the currency (``1.98 bn``), where the
  currency is set apart;
- :func:`short_money`: the same with its currency (``USD 1.98 bn``);
- :func:`full_money`: every digit, grouped, with its currency (``USD 1,978,555,649.45``), for
  audit trails, where rounding would hide a correction.

The exact figure always travels with the short one (in a ``<data value>``), so what is rounded
for the eye is never what is compared or copied.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

import pycountry

BILLION = Decimal(1_000_000_000)
MILLION = Decimal(1_000_000)
THOUSAND = Decimal(1_000)

STATUS_LABELS = {
    "announced": "Announced",
    "agreed": "Agreed",
    "in_preparation": "In preparation",
    "under_implementation": "Under implementation",
    "operational": "Operational",
    "closed": "Closed",
    "suspended": "Suspended",
    "cancelled": "Cancelled",
}
#: Stacking order of statuses in bars and legends: delivered first, pipeline, then trouble.
STATUS_ORDER = (
    "closed",
    "operational",
    "under_implementation",
    "in_preparation",
    "agreed",
    "announced",
    "suspended",
    "cancelled",
)

EVENT_LABELS = {
    "announced": "Announced",
    "committed": "Investment committed",
    "disbursed": "Funds disbursed",
    "jobs_created": "Jobs created",
    "milestone": "Milestone reached",
    "status_changed": "Status changed",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "corrected": "Correction",
    "retracted": "Retraction",
    "established": "Portfolio established",
    "targets_restated": "Targets restated",
}


def decimal(value: str | Decimal | int | None) -> Decimal:
    if value is None:
        return Decimal(0)
    try:
        return Decimal(value)
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def short_amount(value: str | Decimal | int | None) -> str:
    """``1978555649.45`` → ``1.98 bn``; ``412345678`` → ``412.3 M``; smaller in full."""
    amount = decimal(value)
    size = abs(amount)
    if size == 0:
        return "0"
    if size >= BILLION:
        return f"{_round(amount / BILLION, 2):,} bn"
    if size >= MILLION:
        return f"{_round(amount / MILLION, 1):,} M"
    if size >= THOUSAND * 10:
        return f"{_round(amount, 0):,}"
    return f"{_round(amount, 2):,}"


def short_money(value: str | Decimal | int | None, currency: str) -> str:
    """``USD 1.98 bn``: :func:`short_amount` with its currency."""
    return f"{currency} {short_amount(value)}"


def full_money(value: str | Decimal | int | None, currency: str) -> str:
    """Every digit, grouped: for audit trails, where rounding would hide a correction."""
    amount = decimal(value)
    exponent = amount.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) and exponent < 0 else 2
    return f"{currency} {amount:,.{places}f}"


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def percent(ratio: str | Decimal | None) -> str:
    """A ratio as the API gives it (``"0.5819"``) read as a percentage (``58.2 %``)."""
    if ratio is None:
        return "—"
    return f"{_round(decimal(ratio) * 100, 1)} %"


def share(part: Decimal | int, whole: Decimal | int) -> float:
    """``part / whole`` for drawing (0 when there is no whole); never shown as a figure."""
    if not whole:
        return 0.0
    return float(Decimal(part) / Decimal(whole))


def day(value: date | None) -> str:
    return "—" if value is None else f"{value.day} {value:%b %Y}"


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    utc = value.astimezone(UTC) if value.tzinfo else value
    return f"{utc.day} {utc:%b %Y}, {utc:%H:%M:%S} UTC"


def status(value: str) -> str:
    return STATUS_LABELS.get(value, value.replace("_", " ").capitalize())


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind.replace("_", " ").capitalize())


def sector(value: str) -> str:
    return value[:1].upper() + value[1:]


@lru_cache(maxsize=2048)
def country(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


@lru_cache(maxsize=2048)
def region(code: str) -> str:
    """``KZ-61`` → ``Türkistan oblysy (KZ)``; unknown codes stay as they are."""
    if code == "(none)":
        return "No region given"
    found = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    if found is None:
        return code
    name, kind = str(found.name), str(getattr(found, "type", ""))
    # "Toshkent" is both a region and a city: say which, unless the name already does.
    if kind in ("Region", "City") and kind.lower() not in name.lower() and " " not in name:
        name = f"{name} {kind.lower()}"
    return f"{name} ({code.split('-')[0]})"
