"""How indicator events change the read model: definitions, observations, target statements.

Like rates, observations are few beside project facts, and a batch applies them in memory:
an observation made in this batch and corrected in the same batch is closed before it is
written; one already stored is closed by its key (indicator, period start, period end)
before the batch's new rows are inserted, so the statement never touches a row of this
batch. The row that replaces a stored one is built from the event alone: a correction names
its period, and the observation's effective date and version travel with the closed row's
key, fetched in one ``SELECT … IN`` when the batch starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, tuple_, update

from tracker.domain.indicator import Indicator, Period
from tracker.readmodel.views import Views

Row = dict[str, Any]
ObservationKey = tuple[str, date, date]
#: How many keys one ``IN (…)`` carries at most.
IN_CHUNK = 500


@cache
def _close_stored(views: Views) -> Any:
    rows = views.observations
    return (
        update(rows)
        .where(rows.c.indicator_id == bindparam("indicator"))
        .where(rows.c.period_start == bindparam("start"))
        .where(rows.c.period_end == bindparam("end"))
        .where(rows.c.superseded_position.is_(None))
        .values(superseded_at=bindparam("at"), superseded_position=bindparam("position"))
    )


@cache
def _select_open(views: Views) -> Any:
    rows = views.observations
    return select(rows).where(
        tuple_(rows.c.indicator_id, rows.c.period_start, rows.c.period_end).in_(
            bindparam("keys", expanding=True)
        ),
        rows.c.superseded_position.is_(None),
    )


def _key(indicator_id: str, period: Period) -> ObservationKey:
    return indicator_id, period.start, period.end


class IndicatorRows:
    """The indicator, observation and target rows one batch creates and closes."""

    def __init__(self, views: Views) -> None:
        self.views = views
        self.new_indicators: list[Row] = []
        self.new_targets: list[Row] = []
        self.new_observations: list[Row] = []
        #: The open row of each observation, by key: fetched (to be closed by key) or new.
        self.open: dict[ObservationKey, Row] = {}
        #: The portfolio of each indicator this batch touches.
        self.portfolios: dict[str, str] = {}
        #: Stored rows to close, by key.
        self.closed: list[Row] = []

    def fetch(self, conn: Connection, events: Sequence[tuple[int, Any]]) -> None:
        """The stored open rows the batch's corrections and retractions will close."""
        wanted = sorted(
            {
                _key(str(e.originator_id), e.period)
                for _, e in events
                if isinstance(e, Indicator.ObservationCorrected | Indicator.ObservationRetracted)
            }
        )
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            for found in conn.execute(_select_open(self.views), {"keys": chunk}):
                row = {k: v for k, v in found._mapping.items() if k != "id"}
                row["stored"] = True
                self.open[(row["indicator_id"], row["period_start"], row["period_end"])] = row

    def apply(self, event: Any, position: int, recorded_at: datetime) -> bool:
        """Apply ``event`` if it is an indicator's; say whether it was."""
        if not isinstance(event, Indicator.Event):
            return False
        indicator_id = str(event.originator_id)
        stamp = {"recorded_at": recorded_at, "recorded_position": position}
        if isinstance(event, Indicator.Defined):
            self.portfolios[indicator_id] = str(event.portfolio_id)
            self.new_indicators.append(
                {
                    "indicator_id": indicator_id,
                    "portfolio_id": str(event.portfolio_id),
                    "name": event.name,
                    "currency": event.currency,
                    "unit": event.unit,
                    "description": event.description,
                    **stamp,
                }
            )
        elif isinstance(event, Indicator.Observed):
            self._open(
                {
                    "indicator_id": indicator_id,
                    "portfolio_id": self._portfolio_of(indicator_id),
                    "period_start": event.period.start,
                    "period_end": event.period.end,
                    "period_kind": event.period.kind.value,
                    "effective_date": event.effective_date,
                    "observed_version": event.originator_version,
                    "correction_reason": None,
                    **_value(event),
                    **_source(event),
                    **stamp,
                }
            )
        elif isinstance(event, Indicator.ObservationCorrected):
            old = self._close(_key(indicator_id, event.period), position, recorded_at)
            kept = {k: v for k, v in old.items() if k != "stored"}
            source = _source(event) if event.source else {}
            reason = {"correction_reason": event.reason}
            self._open({**kept, **_value(event), **source, **reason, **stamp})
        elif isinstance(event, Indicator.ObservationRetracted):
            self._close(_key(indicator_id, event.period), position, recorded_at)
        elif isinstance(event, Indicator.TargetRestated):
            self.new_targets.append(
                {
                    "indicator_id": indicator_id,
                    "version": event.originator_version,
                    "portfolio_id": self._portfolio_of(indicator_id),
                    "target_date": event.target_date,
                    "per": event.per.value if event.per else None,
                    "effective_date": event.effective_date,
                    **_value(event),
                    **_source(event),
                    **stamp,
                }
            )
        return True

    def _portfolio_of(self, indicator_id: str) -> str:
        """The indicator's portfolio when this batch defined it; else blank, filled in from
        ``rm_indicators`` when the batch is written (the event does not carry it)."""
        return self.portfolios.get(indicator_id, "")

    def _open(self, row: Row) -> None:
        row.update(superseded_at=None, superseded_position=None)
        self.open[(row["indicator_id"], row["period_start"], row["period_end"])] = row
        self.new_observations.append(row)

    def _close(self, key: ObservationKey, position: int, recorded_at: datetime) -> Row:
        row = self.open.pop(key, None)
        if row is None:
            raise LookupError(f"the read model has no open observation for {key}")
        if row.get("stored"):
            self.closed.append(
                {
                    "indicator": key[0],
                    "start": key[1],
                    "end": key[2],
                    "at": recorded_at,
                    "position": position,
                }
            )
        else:
            row.update(superseded_at=recorded_at, superseded_position=position)
        return row

    def write(self, conn: Connection) -> None:
        if self.new_indicators:
            conn.execute(insert(self.views.indicators), self.new_indicators)
        self._fill_portfolios(conn)
        if self.closed:
            conn.execute(_close_stored(self.views), self.closed)
        for table, rows in (
            (self.views.observations, self.new_observations),
            (self.views.indicator_targets, self.new_targets),
        ):
            if rows:
                conn.execute(insert(table), rows)

    def _fill_portfolios(self, conn: Connection) -> None:
        """Rows of indicators defined in an earlier batch name their portfolio from there."""
        rows = [r for r in (*self.new_observations, *self.new_targets) if not r["portfolio_id"]]
        if not rows:
            return
        indicators = self.views.indicators
        wanted = sorted({r["indicator_id"] for r in rows})
        found = {
            indicator_id: portfolio_id
            for indicator_id, portfolio_id in conn.execute(
                select(indicators.c.indicator_id, indicators.c.portfolio_id).where(
                    indicators.c.indicator_id.in_(wanted)
                )
            )
        }
        for row in rows:
            row["portfolio_id"] = found[row["indicator_id"]]


def _value(event: Any) -> Row:
    return {"amount": event.value.amount, "currency": event.value.currency}


def _source(event: Any) -> Row:
    source = event.source
    return {
        "source_title": source.title if source else None,
        "source_url": source.url if source else None,
    }
