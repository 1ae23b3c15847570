"""Exchange rates, as listed and as used by a report."""

from __future__ import annotations

from api import schemas as s
from api.presenters.values import exact_amount
from tracker.readmodel.fx import Rate


def rates_out(rates: list[Rate]) -> list[s.RateOut]:
    return [
        s.RateOut(r.currency, r.rate_date, exact_amount(r.units_per_usd), r.source, r.illustrative)
        for r in rates
    ]
