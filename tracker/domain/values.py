"""Value objects: money, sources, envelopes and the codes they are checked against."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import pycountry

from tracker.domain.errors import ValidationError

_AMOUNT = re.compile(r"^-?\d{1,18}(\.\d{1,6})?$")


def parse_amount(text: str, *, field: str = "amount") -> Decimal:
    """Read a money amount from its decimal string form; floats never reach the domain."""
    if not isinstance(text, str) or not _AMOUNT.match(text):
        raise ValidationError(f'{text!r} is not a decimal amount such as "1500000.00"', field=field)
    try:
        return Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern already rules it out
        raise ValidationError(f"{text!r} is not a decimal amount", field=field) from error


def check_currency(code: str, *, field: str = "currency") -> str:
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ValidationError(f"{code!r} is not an ISO 4217 currency code", field=field)
    return code


def check_country(code: str, *, field: str = "countries") -> str:
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValidationError(f"{code!r} is not an ISO 3166-1 alpha-2 country code", field=field)
    return code


def check_region(code: str, *, field: str = "regions") -> str:
    if pycountry.subdivisions.get(code=code) is None:  # type: ignore[no-untyped-call]
        raise ValidationError(f"{code!r} is not an ISO 3166-2 subdivision code", field=field)
    return code


def check_text(value: str, *, field: str, max_length: int = 500) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValidationError("must not be blank", field=field)
    if len(stripped) > max_length:
        raise ValidationError(f"must be at most {max_length} characters", field=field)
    return stripped


@dataclass(frozen=True)
class Money:
    """An exact amount in one ISO 4217 currency. Never converted inside the domain."""

    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: str, currency: str, *, field: str = "amount") -> Money:
        return cls(parse_amount(amount, field=field), check_currency(currency, field=field))


@dataclass(frozen=True)
class Source:
    """Where a fact comes from: a document title and, when public, its address."""

    title: str
    url: str | None = None


@dataclass(frozen=True)
class Envelope:
    """What every event carries besides its payload.

    ``idempotency_key`` and ``command_digest`` make retried requests safe: the key is stored
    inside the event itself, so the check is as durable and atomic as the event.
    """

    actor: str
    effective_date: date
    source: Source | None = None
    idempotency_key: str | None = None
    command_digest: str | None = None
