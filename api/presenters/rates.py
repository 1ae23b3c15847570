"""Rate sets and their rates, as listed and as used by a report."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from api import schemas as s
from api.presenters.values import exact_amount
from api.schemas import rates as rates_schemas
from tracker.readmodel.fx import Rate, RateSetRow


def rates_out(rates: list[Rate]) -> list[s.RateOut]:
    return [
        s.RateOut(
            currency=r.currency,
            date=r.rate_date,
            units_per_usd=exact_amount(r.units_per_usd),
            rate_set_id=UUID(r.rate_set_id),
            rate_set=r.rate_set,
            illustrative=r.illustrative,
            source=s.SourceOut(r.source_title, r.source_url) if r.source_title else None,
            recorded_at=r.recorded_at,
        )
        for r in rates
    ]


def rate_sets_out(sets: list[RateSetRow]) -> list[s.RateSetSummaryOut]:
    return [
        s.RateSetSummaryOut(UUID(r.rate_set_id), r.name, r.illustrative, r.recorded_at)
        for r in sets
    ]


def rate_set_out(
    row: RateSetRow, version: int, known_at: datetime | None, rates: list[Rate]
) -> rates_schemas.RateSetOut:
    return rates_schemas.RateSetOut(
        id=UUID(row.rate_set_id),
        name=row.name,
        illustrative=row.illustrative,
        version=version,
        known_at=known_at,
        rates=rates_out(rates),
    )
