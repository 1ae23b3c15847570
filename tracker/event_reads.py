"""Reads of stored events beyond loading an aggregate: a project's events by version (for
the rules of corrections), events by global position, the log a page at a time, an
aggregate's recorded history, and a project's ledger folded from its events."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tracker.domain.errors import N_, NotFound
from tracker.domain.ledger import ProjectLedger
from tracker.domain.project import Project
from tracker.history import RecordedEvent, marked
from tracker.recording import RecordingApplication

log = logging.getLogger("tracker.events")


@dataclass(frozen=True)
class LogPage:
    """Events read from the log after a position: the readable ones, by position; the last
    position read (the next page starts after it); whether as many were read as asked (more
    may follow at once)."""

    events: list[tuple[int, Any]]
    last: int
    full: bool


class EventReads(RecordingApplication):
    """The application's reads of stored events (:class:`~tracker.application.TrackerApplication`
    inherits them)."""

    def project_ledger(
        self, project_id: UUID, *, known_at: datetime | None = None, version: int | None = None
    ) -> ProjectLedger:
        """The project with every fact it recorded (by ``known_at``, up to ``version``): a
        fold of its events."""
        events: Iterable[Any] = self.events.get(project_id, lte=version)
        if known_at is not None:
            events = [e for e in events if e.timestamp <= known_at]
        try:
            return ProjectLedger.of(events)
        except ValueError:
            if known_at is not None:
                raise NotFound(
                    N_("there is no project %(project_id)s recorded by %(known_at)s"),
                    project_id=project_id,
                    known_at=known_at,
                ) from None
            raise NotFound(
                N_("there is no project %(project_id)s"), project_id=project_id
            ) from None

    def events_at(self, project: Project, versions: Collection[int]) -> dict[int, Project.Event]:
        """The project's events at ``versions``, by version: those not saved yet from
        memory, the others in one indexed read; a version with no event is missing."""
        found = _unsaved_events_at(project, versions)
        wanted = [v for v in versions if v not in found]
        for stored in self.store.select_events_at(project.id, wanted):
            event = self.mapper.to_domain_event(stored)
            if isinstance(event, Project.Event):
                found[stored.originator_version] = event
        return found

    def events_at_positions(self, positions: Iterable[int]) -> dict[int, Any]:
        """The events at these global positions of the notification log, by position (one
        indexed read each; a position with no event is left out)."""
        found: dict[int, Any] = {}
        for position in sorted(set(positions)):
            for notification in self.store.stored_after(position - 1, 1):
                if notification.id == position:
                    found[position] = self.mapper.to_domain_event(notification)
        return found

    def events_after(self, position: int, limit: int) -> LogPage:
        """The log after ``position``, ``limit`` stored events at most. An event that no
        code can turn back into one (a class renamed, a row damaged by hand) is left out
        and logged, so that it does not stop the log's readers; the read model sets it
        aside, and ``/ready`` names it."""
        stored = self.store.stored_after(position, limit)
        events: list[tuple[int, Any]] = []
        for notification in stored:
            try:
                events.append((notification.id, self.mapper.to_domain_event(notification)))
            except Exception as error:  # noqa: BLE001 - any decoding fault of the one event
                log.warning(
                    "event %s of the log cannot be read and is left out: %s",
                    notification.id,
                    error,
                )
        last = stored[-1].id if stored else position
        return LogPage(events, last, len(stored) == limit)

    def project_history(self, project_id: UUID) -> list[RecordedEvent]:
        history = self.recorded_events(project_id)
        if not history:
            raise NotFound(N_("there is no project %(project_id)s"), project_id=project_id)
        return history

    def recorded_events(
        self, aggregate_id: UUID, *, known_at: datetime | None = None
    ) -> list[RecordedEvent]:
        """An aggregate's events recorded by ``known_at``, marked with what corrected them."""
        recorded: list[Any] = list(self.events.get(aggregate_id))
        events = [e for e in recorded if known_at is None or e.timestamp <= known_at]
        if not events:
            return []
        return marked(events, self.store.event_positions(aggregate_id))


def _unsaved_events_at(project: Project, versions: Collection[int]) -> dict[int, Project.Event]:
    """Those of ``versions`` that are among the project's pending (contiguous) events."""
    pending = project.pending_events
    if not pending:
        return {}
    first = pending[0].originator_version
    found: dict[int, Project.Event] = {}
    for version in versions:
        if first <= version < first + len(pending):
            event = pending[version - first]
            if isinstance(event, Project.Event):
                found[version] = event
    return found
