"""Group commit: the project writes of concurrent requests, saved in one transaction.

Each ``record`` waits for one writer thread, which takes every command queued meanwhile,
applies each to its project (one load per project per batch), saves them all in one
transaction (one fsync) and projects them once. A write is answered only after that
transaction committed, so an acknowledged write is as durable as one saved alone.

The writer keeps the projects it saved (:data:`KEPT_PROJECTS`, the most recently written):
the next batch brings a kept one up to date with the events recorded after it, usually none,
instead of loading it from its snapshot and the events after that (a third of a write's work
on SQLite, docs/BENCHMARKS.md). A project whose batch was not saved, or whose command was
refused, is not kept: only a project exactly as stored is.

A command the domain refuses fails alone. When the batch cannot be saved because another
process wrote one of its projects meanwhile (or two commands share an idempotency key), each
of its commands is recorded again on its own, through :meth:`TrackerApplication.record`, with
its usual retries: the answers are those of writes made one by one.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Collection
from concurrent.futures import Future
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from tracker.application import TrackerApplication, check_scope
from tracker.domain.commands import ProjectCommand
from tracker.domain.errors import VersionMismatch
from tracker.domain.project import Project
from tracker.domain.values import Envelope
from tracker.recording import Recorded

#: At most this many commands per transaction.
MAX_BATCH = 256
#: Projects the writer keeps in memory between batches (a few kB each).
KEPT_PROJECTS = 1000


@dataclass
class _Write:
    project_id: UUID
    command: ProjectCommand
    envelope: Envelope
    expected_version: Collection[int] | None
    scope: UUID | None
    answer: Future[Recorded] = field(default_factory=Future)

    def record_alone(self, tracker: TrackerApplication) -> None:
        try:
            recorded = tracker.record(
                self.project_id,
                self.command,
                self.envelope,
                expected_version=self.expected_version,
                scope=self.scope,
            )
        except Exception as error:  # noqa: BLE001 - the waiting request raises it
            self.answer.set_exception(error)
        else:
            self.answer.set_result(recorded)


class GroupCommit:
    """One writer thread per process; ``record`` has the signature and the answers of
    :meth:`TrackerApplication.record` (``submit`` hands back a future instead)."""

    def __init__(
        self, tracker: TrackerApplication, *, max_batch: int = MAX_BATCH, start: bool = True
    ) -> None:
        self.tracker = tracker
        self.max_batch = max_batch
        #: Transactions committed so far, and the writes they carried.
        self.batches = 0
        self.writes = 0
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        #: Projects as saved by the last batches that wrote them (the writer thread's own).
        self._kept: OrderedDict[UUID, Project] = OrderedDict()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        """Start the writer thread (``start=False`` lets writes queue up first)."""
        self._thread.start()

    def submit(
        self,
        project_id: UUID,
        command: ProjectCommand,
        envelope: Envelope,
        *,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
    ) -> Future[Recorded]:
        """Queue the write; the future holds its answer once its batch is committed."""
        write = _Write(project_id, command, envelope, expected_version, scope)
        self._queue.put(write)
        return write.answer

    def record(
        self,
        project_id: UUID,
        command: ProjectCommand,
        envelope: Envelope,
        *,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
    ) -> Recorded:
        return self.submit(
            project_id, command, envelope, expected_version=expected_version, scope=scope
        ).result()

    def close(self) -> None:
        """Finish what is queued, then stop the writer thread."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch and not self._queue.empty():
                write = self._queue.get()
                if write is None:
                    stop = True
                    break
                batch.append(write)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Write]) -> None:
        projects: dict[UUID, Project] = {}
        staged: list[tuple[_Write, int]] = []
        refused: set[UUID] = set()
        for write in batch:
            try:
                version = self._stage(write, projects)
            except Exception as error:  # noqa: BLE001 - its request raises it (404, 409, 422…)
                write.answer.set_exception(error)
                refused.add(write.project_id)
                continue
            if version is not None:
                staged.append((write, version))
        if not staged:
            self._keep(projects, refused)
            return
        changed = [project for project in projects.values() if project.pending_events]
        try:
            recordings = self.tracker.save_many(changed)
        except IntegrityError:
            for write, _ in staged:
                write.record_alone(self.tracker)
            return
        except Exception as error:  # noqa: BLE001 - e.g. the database is down: each request raises it
            for write, _ in staged:
                write.answer.set_exception(error)
            return
        self._keep(projects, refused)
        self.batches += 1
        self.writes += len(staged)
        positions = {
            (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
            for r in recordings
        }
        for write, version in staged:
            position = positions[(write.project_id, version)]
            write.answer.set_result(Recorded(write.project_id, version, position))

    def _keep(self, projects: dict[UUID, Project], refused: set[UUID]) -> None:
        """Keep a batch's projects once it is saved (or had nothing to save), but those a
        command was refused on (it may have changed one before it was refused)."""
        for project_id, project in projects.items():
            if project_id not in refused and not project.pending_events:
                self._kept[project_id] = project
        while len(self._kept) > KEPT_PROJECTS:
            self._kept.popitem(last=False)

    def _stage(self, write: _Write, projects: dict[UUID, Project]) -> int | None:
        """Apply the command to its project in memory; the version it made, or ``None``
        when its answer is already given (an idempotent replay)."""
        project = projects.get(write.project_id)
        if project is None:
            kept = self._kept.pop(write.project_id, None)
            project = projects[write.project_id] = (
                self.tracker.project(write.project_id)
                if kept is None
                else self.tracker.caught_up(kept)
            )
        check_scope(write.scope, project.portfolio_id)  # before a replay is answered
        earlier = self.tracker.earlier_answer(write.project_id, write.envelope)
        if earlier is not None:
            write.answer.set_result(earlier)
            return None
        if write.expected_version is not None and project.version not in write.expected_version:
            raise VersionMismatch(write.expected_version, project.version)
        self.tracker.apply_command(project, write.command, write.envelope, scope=write.scope)
        return project.version
