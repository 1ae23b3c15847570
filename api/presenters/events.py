"""Events: a project's history and the global feed show an event alike."""

from __future__ import annotations

import dataclasses
from typing import Any

from api import schemas as s
from api.presenters.values import as_recorded, source_out
from tracker.domain import commands as c
from tracker.domain.base import payload_of
from tracker.domain.document import Document
from tracker.domain.indicator import Indicator
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.rate_set import RateSet
from tracker.domain.values import Money
from tracker.history import RecordedEvent


def _plain(value: Any) -> Any:
    """Domain values as JSON-friendly data (amounts stay decimal strings)."""
    if isinstance(value, Money):
        return {"amount": as_recorded(value.amount), "currency": value.currency}
    if isinstance(value, c.Replacement):
        return {k: _plain(v) for k, v in value.given().items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def event_payload(event: Any) -> dict[str, Any]:
    """What an event says besides its envelope."""
    return {k: _plain(v) for k, v in payload_of(event).items()}


def event_out(recorded: RecordedEvent) -> s.EventOut:
    """An event in its project's history, with the corrections and retraction aimed at it."""
    e = recorded.event
    payload = event_payload(e)
    return s.EventOut(
        type=type(e).KIND,
        version=e.originator_version,
        position=recorded.position,
        effective_date=e.effective_date,
        recorded_at=e.timestamp,
        actor=e.actor,
        source=source_out(e.source),
        payload=payload,
        corrected_by=list(recorded.corrected_by),
        retracted_by=recorded.retracted_by,
        recorded_at_simulated=e.simulated,
    )


def aggregate_type(event: Any) -> str:
    if isinstance(event, Project.Event):
        return "project"
    if isinstance(event, Portfolio.Event):
        return "portfolio"
    if isinstance(event, RateSet.Event):
        return "rate_set"
    if isinstance(event, Document.Event):
        return "document"
    if isinstance(event, Indicator.Event):
        return "indicator"
    return type(event).__name__.lower()  # pragma: no cover - every aggregate is named above


def feed_event_out(position: int, event: Any) -> s.FeedEventOut:
    """An event in the global feed, at its position in the log."""
    return s.FeedEventOut(
        position=position,
        aggregate_type=aggregate_type(event),
        aggregate_id=event.originator_id,
        type=type(event).KIND,
        version=event.originator_version,
        effective_date=event.effective_date,
        recorded_at=event.timestamp,
        actor=event.actor,
        source=source_out(event.source),
        payload=event_payload(event),
        recorded_at_simulated=event.simulated,
    )
