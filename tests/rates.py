"""Giving a portfolio exchange rates in tests: a rate set of its own, named by the portfolio."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from tracker.application import TrackerApplication
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Envelope

RateTuple = tuple[str, date, Decimal]


def give_rates(
    tracker: TrackerApplication,
    portfolio_id: UUID,
    rates: Iterable[RateTuple],
    *,
    name: str = "Test rates",
    illustrative: bool = False,
) -> UUID:
    """Establish a rate set with ``rates`` and make it the portfolio's only one; its id."""
    envelope = Envelope("test", date(2024, 1, 1))
    rate_set = tracker.establish_rate_set(name, envelope, illustrative=illustrative).id
    published = [PublishedRate(currency, day, Decimal(units)) for currency, day, units in rates]
    tracker.change_rate_set(
        rate_set, lambda aggregate: aggregate.publish(published, envelope), envelope
    )
    tracker.choose_rate_sets(portfolio_id, [rate_set], envelope)
    return rate_set


def give_rates_over_http(
    client: Any,
    portfolio_id: str,
    rates: Iterable[dict[str, str]],
    *,
    name: str = "Test rates",
    illustrative: bool = False,
) -> str:
    """The same through the API (the client's key must be an unscoped admin's)."""
    made = client.post("/api/v1/rate-sets", json={"name": name, "illustrative": illustrative})
    assert made.status_code == 201, made.text
    rate_set = made.json()["id"]
    published = client.post(f"/api/v1/rate-sets/{rate_set}/rates", json={"rates": list(rates)})
    assert published.status_code == 201, published.text
    chosen = client.put(
        f"/api/v1/portfolios/{portfolio_id}/rate-sets", json={"rate_sets": [rate_set]}
    )
    assert chosen.status_code == 200, chosen.text
    return str(rate_set)
