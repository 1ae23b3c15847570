"""Request bodies and answers of the rate-set endpoints (docs/rates.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct

from api.schemas import Amount, Currency, RateOut, RateSetSummaryOut, Recording, Text


class RateIn(Struct, forbid_unknown_fields=True):
    date: date
    currency: Currency
    units_per_usd: Amount


class RateSetIn(Recording, kw_only=True):
    name: Text
    illustrative: bool = False


class RatesIn(Recording, kw_only=True):
    rates: Annotated[list[RateIn], Meta(min_length=1, max_length=50_000)]


class RateCorrectionIn(Recording, kw_only=True):
    date: date
    currency: Currency
    units_per_usd: Amount
    reason: Text


class RateWithdrawalIn(Recording, kw_only=True):
    date: date
    currency: Currency
    reason: Text


class RateSetChoiceIn(Recording, kw_only=True):
    """The rate sets a portfolio converts with, the first with a rate for a currency winning."""

    rate_sets: Annotated[list[UUID], Meta(max_length=10)]


class RateSetOut(Struct):
    id: UUID
    name: str
    illustrative: bool
    version: int
    known_at: datetime | None
    rates: list[RateOut]


class RateImportOut(Struct):
    id: UUID
    version: int
    position: int
    rates_in_file: int
    rates_new: int


class RateSetsOut(Struct):
    items: list[RateSetSummaryOut]
