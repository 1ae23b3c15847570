"""How rate-set events and portfolios' choices of rate sets change the read model.

Rates are few beside project facts, and a batch applies them in memory like the rest: a
rate published in this batch and corrected in the same batch is closed before it is written;
a rate already stored is closed by its key (set, currency, date) before the batch's new rows
are inserted, so the statement never touches a row of this batch.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from tracker.domain.portfolio import Portfolio
from tracker.domain.rate_set import PublishedRate, RateSet
from tracker.readmodel.views import Views

Row = dict[str, Any]
RateKey = tuple[str, str, date]


@cache
def _close_stored(views: Views) -> Any:
    rates = views.rates
    return (
        update(rates)
        .where(rates.c.rate_set_id == bindparam("set_id"))
        .where(rates.c.currency == bindparam("cur"))
        .where(rates.c.rate_date == bindparam("day"))
        .where(rates.c.superseded_position.is_(None))
        .values(superseded_at=bindparam("at"), superseded_position=bindparam("position"))
    )


@cache
def _mark_changed(views: Views) -> Any:
    rate_sets = views.rate_sets
    return (
        update(rate_sets)
        .where(rate_sets.c.rate_set_id == bindparam("set_id"))
        .values(rates_position=bindparam("position"))
    )


class RateRows:
    """The rate-set, rate and rate-choice rows one batch creates and closes."""

    def __init__(self, views: Views) -> None:
        self.views = views
        #: The sets this batch established, by id.
        self.new_sets: dict[str, Row] = {}
        self.new_choices: list[Row] = []
        self.new_rates: list[Row] = []
        #: The open row of each rate this batch published, by key.
        self.open: dict[RateKey, Row] = {}
        #: Stored rows to close, by key.
        self.closed: list[Row] = []
        #: The position of the last event of this batch that changed each stored set's rates
        #: (a set this batch established carries its own in its row).
        self.changed: dict[str, int] = {}

    def apply(self, event: Any, position: int, recorded_at: datetime) -> bool:
        """Apply ``event`` if it is a rate set's or a choice of rate sets; say whether it was."""
        if isinstance(event, Portfolio.RateSetsChosen):
            self.new_choices.append(
                {
                    "portfolio_id": str(event.originator_id),
                    "version": event.originator_version,
                    "rate_sets": " ".join(str(i) for i in event.rate_sets),
                    "recorded_at": recorded_at,
                    "recorded_position": position,
                }
            )
            return True
        if not isinstance(event, RateSet.Event):
            return False
        set_id = str(event.originator_id)
        if isinstance(event, RateSet.Established):
            self.new_sets[set_id] = {
                "rate_set_id": set_id,
                "name": event.name,
                "illustrative": event.illustrative,
                "recorded_at": recorded_at,
                "rates_position": 0,
            }
            return True
        if set_id in self.new_sets:
            self.new_sets[set_id]["rates_position"] = position
        else:
            self.changed[set_id] = position
        if isinstance(event, RateSet.RatesPublished):
            for rate in event.rates:
                self._open(set_id, rate, event, position, recorded_at)
        elif isinstance(event, RateSet.RateCorrected):
            self._close(set_id, event.rate.currency, event.rate.rate_date, position, recorded_at)
            self._open(set_id, event.rate, event, position, recorded_at)
        elif isinstance(event, RateSet.RateWithdrawn):
            self._close(set_id, event.currency, event.rate_date, position, recorded_at)
        return True

    def _open(
        self, set_id: str, rate: PublishedRate, event: Any, position: int, recorded_at: datetime
    ) -> None:
        row = {
            "rate_set_id": set_id,
            "currency": rate.currency,
            "rate_date": rate.rate_date,
            "units_per_usd": rate.units_per_usd,
            "source_title": event.source.title if event.source else None,
            "source_url": event.source.url if event.source else None,
            "recorded_at": recorded_at,
            "recorded_position": position,
            "superseded_at": None,
            "superseded_position": None,
        }
        self.open[(set_id, rate.currency, rate.rate_date)] = row
        self.new_rates.append(row)

    def _close(
        self, set_id: str, currency: str, day: date, position: int, recorded_at: datetime
    ) -> None:
        row = self.open.pop((set_id, currency, day), None)
        if row is not None:
            row.update(superseded_at=recorded_at, superseded_position=position)
            return
        self.closed.append(
            {"set_id": set_id, "cur": currency, "day": day, "at": recorded_at, "position": position}
        )

    def write(self, conn: Connection) -> None:
        if self.closed:
            conn.execute(_close_stored(self.views), self.closed)
        for table, rows in (
            (self.views.rate_sets, list(self.new_sets.values())),
            (self.views.rates, self.new_rates),
            (self.views.rate_choices, self.new_choices),
        ):
            if rows:
                conn.execute(insert(table), rows)
        if self.changed:
            changed = [{"set_id": i, "position": p} for i, p in self.changed.items()]
            conn.execute(_mark_changed(self.views), changed)
