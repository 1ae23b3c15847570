"""The indicators a portfolio's export carries, as known at ``known_at``.

Each indicator the portfolio had defined by ``known_at`` is folded from its events recorded
by then (the domain's own fold, as projects are): its observations in force (as corrected,
without retracted ones) and every statement of its target, each with its source and who
recorded it. With ``as_of`` only observations and statements effective by then are kept.
The read model only lists which indicators belong to the portfolio
(:func:`tracker.readmodel.indicators.indicator_ids`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tracker.domain.indicator import Indicator, Observation, PeriodKind, Quantity
from tracker.domain.values import Source
from tracker.history import EventSource, RecordedEvent


@dataclass(frozen=True)
class ExportedObservation:
    """An observation in force, with the source and actor of the event that gave its value."""

    observation: Observation
    source: Source | None
    actor: str
    #: Why it was corrected, when a correction gave its value.
    correction_reason: str | None


@dataclass(frozen=True)
class ExportedTarget:
    version: int
    value: Quantity
    target_date: date
    per: PeriodKind | None
    effective_date: date
    source: Source | None
    actor: str


@dataclass(frozen=True)
class IndicatorExport:
    indicator: Indicator
    defined: RecordedEvent
    observations: list[ExportedObservation]
    targets: list[ExportedTarget]
    events: list[RecordedEvent]

    @property
    def id(self) -> UUID:
        return self.defined.aggregate_id


def portfolio_indicators(
    tracker: EventSource,
    indicator_ids: Sequence[str],
    as_of: date | None,
    known_at: datetime | None,
) -> list[IndicatorExport]:
    """Those of the portfolio's indicators that were defined by ``known_at``, in order."""
    found = []
    for indicator_id in indicator_ids:
        events = tracker.recorded_events(UUID(indicator_id), known_at=known_at)
        if events and isinstance(events[0].event, Indicator.Defined):
            found.append(_folded(events, as_of))
    return found


def _folded(events: Sequence[RecordedEvent], as_of: date | None) -> IndicatorExport:
    indicator: Any = None
    #: Per period: the source (a correction without one keeps the observation's), the actor
    #: and the correction's reason of the event that gave the value in force.
    given: dict[str, tuple[Source | None, str, str | None]] = {}
    targets: list[ExportedTarget] = []
    for stored in events:
        event = stored.event
        indicator = event.mutate(indicator)
        if isinstance(event, Indicator.Observed):
            given[event.period.key] = (event.source, event.actor, None)
        elif isinstance(event, Indicator.ObservationCorrected):
            source = event.source or given[event.period.key][0]
            given[event.period.key] = (source, event.actor, event.reason)
        elif isinstance(event, Indicator.TargetRestated) and (
            as_of is None or event.effective_date <= as_of
        ):
            targets.append(
                ExportedTarget(
                    event.originator_version,
                    event.value,
                    event.target_date,
                    event.per,
                    event.effective_date,
                    event.source,
                    event.actor,
                )
            )
    observations = [
        ExportedObservation(o, *given[key])
        for key, o in sorted(
            indicator.observations.items(), key=lambda kv: (kv[1].period.end, kv[1].period.start)
        )
        if as_of is None or o.effective_date <= as_of
    ]
    return IndicatorExport(indicator, events[0], observations, targets, list(events))
