"""One aggregate's stored events as a history reader sees them: each with its position in
the log and what corrected or retracted it (project histories, exports, offline checks)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from tracker.domain.project import Project


@dataclass(frozen=True)
class RecordedEvent:
    """One stored event with the position and marks a history reader needs."""

    event: Any
    position: int
    corrected_by: tuple[int, ...] = ()
    retracted_by: int | None = None

    @property
    def kind(self) -> str:
        return str(type(self.event).KIND)

    @property
    def version(self) -> int:
        return int(self.event.originator_version)

    @property
    def aggregate_id(self) -> UUID:
        return UUID(str(self.event.originator_id))


class EventSource(Protocol):
    """Where an export reads aggregates' events: the application, or an export's own signed
    events when it is verified offline (tracker/transfer/verify_export.py)."""

    def recorded_events(
        self, aggregate_id: UUID, *, known_at: datetime | None = None
    ) -> list[RecordedEvent]: ...


def marked(events: Iterable[Any], positions: dict[int, int]) -> list[RecordedEvent]:
    """One aggregate's events (in version order) with their positions and what corrected or
    retracted each."""
    events = list(events)
    corrected_by: dict[int, list[int]] = {}
    retracted_by: dict[int, int] = {}
    for event in events:
        if isinstance(event, Project.Corrected):
            corrected_by.setdefault(event.corrects, []).append(event.originator_version)
        elif isinstance(event, Project.Retracted):
            retracted_by[event.retracts] = event.originator_version
    return [
        RecordedEvent(
            event=e,
            position=positions[e.originator_version],
            corrected_by=tuple(corrected_by.get(e.originator_version, ())),
            retracted_by=retracted_by.get(e.originator_version),
        )
        for e in events
    ]
