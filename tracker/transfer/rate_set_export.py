"""The rate sets a portfolio's export carries, as known at ``known_at``.

A portfolio converts only with the rate sets it names, so its export carries them: every set
the portfolio named by ``known_at`` (the sets chosen then first, in order of preference), each
folded from its events recorded by then, with the rates in force at that moment (as
corrected, without withdrawn ones). Imported into another database, they give the copy's
reports the rates the original's reports converted with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from tracker.domain.portfolio import Portfolio
from tracker.domain.rate_set import RateSet
from tracker.domain.values import Source
from tracker.history import EventSource, RecordedEvent


@dataclass(frozen=True)
class ExportedRate:
    """A rate in force, with who published (or last corrected) it and from what source."""

    currency: str
    rate_date: date
    units_per_usd: Decimal
    actor: str
    source: Source | None


@dataclass(frozen=True)
class RateSetExport:
    established: RecordedEvent
    rates: list[ExportedRate]

    @property
    def id(self) -> UUID:
        return self.established.aggregate_id

    @property
    def name(self) -> str:
        return str(self.established.event.name)

    @property
    def illustrative(self) -> bool:
        return bool(self.established.event.illustrative)


def named_rate_sets(
    tracker: EventSource,
    portfolio: Portfolio,
    portfolio_events: Sequence[RecordedEvent],
    known_at: datetime | None,
) -> list[RateSetExport]:
    """Every rate set the portfolio named by ``known_at``: those it converts with then (in
    order of preference), then those only an earlier choice named."""
    named: list[UUID] = list(portfolio.rate_sets)
    for stored in portfolio_events:
        if isinstance(stored.event, Portfolio.RateSetsChosen):
            named.extend(i for i in stored.event.rate_sets if i not in named)
    found = (_rate_set(tracker, rate_set_id, known_at) for rate_set_id in named)
    return [rate_set for rate_set in found if rate_set is not None]


def _rate_set(
    tracker: EventSource, rate_set_id: UUID, known_at: datetime | None
) -> RateSetExport | None:
    events = tracker.recorded_events(rate_set_id, known_at=known_at)
    if not events or not isinstance(events[0].event, RateSet.Established):
        return None
    rates: dict[tuple[str, date], ExportedRate] = {}
    for stored in events:
        e = stored.event
        if isinstance(e, RateSet.RatesPublished):
            for rate in e.rates:
                rates[rate.key] = ExportedRate(*rate.key, rate.units_per_usd, e.actor, e.source)
        elif isinstance(e, RateSet.RateCorrected):
            rates[e.rate.key] = ExportedRate(*e.rate.key, e.rate.units_per_usd, e.actor, e.source)
        elif isinstance(e, RateSet.RateWithdrawn):
            rates.pop((e.currency, e.rate_date), None)
    return RateSetExport(events[0], [rates[key] for key in sorted(rates)])
