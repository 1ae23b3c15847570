"""The Project aggregate: a joint project's life, told as immutable events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from tracker.domain.amendments import check_is_own, check_retractable, checked_replacement, named
from tracker.domain.base import TrackedAggregate, envelope_fields
from tracker.domain.commands import (
    Cancel,
    ChangeStatus,
    CommitInvestment,
    Complete,
    Correct,
    CreateJobs,
    DisburseFunds,
    ProjectCommand,
    ReachMilestone,
    Replacement,
    Retract,
    TranslateTitle,
    target_version,
)
from tracker.domain.errors import N_, Conflict, InvalidTransition
from tracker.domain.facts import Fact, check_jobs, nonzero
from tracker.domain.plan import Plan, check_plan, check_title_language
from tracker.domain.status import COMPLETABLE, TERMINAL, Status, next_status
from tracker.domain.values import (
    Envelope,
    Money,
    check_optional_text,
    check_text,
)

#: No stored events: what commands other than corrections and retractions are handed.
NO_EVENTS: Mapping[int, Any] = MappingProxyType({})


@dataclass(frozen=True)
class StatusEntry:
    effective_date: date
    status: Status
    version: int


class Project(TrackedAggregate):
    """A joint project. Every change is an event; corrections point at what they correct."""

    TOPIC: ClassVar[str] = "tracker:Project"

    portfolio_id: UUID
    illustrative: bool
    plan: Plan
    status: Status
    before_suspension: Status | None
    status_history: list[StatusEntry]
    #: Fact version -> the version of the event that retracted it.
    retracted: dict[int, int]
    #: Fact version -> the versions of the corrections made to it (while it is not retracted).
    corrections: dict[int, tuple[int, ...]]

    def __init__(self) -> None:
        """State is set by the ``Announced`` event; annotations above type the snapshots."""

    class Event(TrackedAggregate.Event):
        TOPIC: ClassVar[str] = "tracker:Project.Event"
        KIND: ClassVar[str] = ""
        #: Whether the event is news of the project (its latest news dates its silence).
        NEWS: ClassVar[bool] = True

    class Announced(Event, Aggregate.Created):
        TOPIC: ClassVar[str] = "tracker:Project.Announced"
        KIND: ClassVar[str] = "announced"
        portfolio_id: UUID
        illustrative: bool
        title: str
        sector: str
        regions: tuple[str, ...]
        countries: tuple[str, ...]
        parties: tuple[str, ...]
        planned_investment: Money
        planned_jobs: int
        planned_start: date | None
        planned_end: date | None

        def fold_into(self, project: Project) -> None:
            project.portfolio_id = self.portfolio_id
            project.illustrative = self.illustrative
            project.plan = Plan(
                title=self.title,
                sector=self.sector,
                regions=self.regions,
                countries=self.countries,
                parties=self.parties,
                planned_investment=self.planned_investment,
                planned_jobs=self.planned_jobs,
                planned_start=self.planned_start,
                planned_end=self.planned_end,
            )
            project.status = Status.ANNOUNCED
            project.before_suspension = None
            project.status_history = [StatusEntry(self.effective_date, Status.ANNOUNCED, 1)]
            project.retracted = {}
            project.corrections = {}

    class FactEvent(Event):
        """An event that adds a fact to the project's ledger."""

        TOPIC: ClassVar[str] = "tracker:Project.FactEvent"

        def fold_into(self, project: Project) -> None:
            """The fact itself is not kept: only the ledger folds facts."""

        def to_fact(self) -> Fact:
            raise NotImplementedError

    class MoneyEvent(FactEvent):
        """A fact that is an amount of money."""

        TOPIC: ClassVar[str] = "tracker:Project.MoneyEvent"
        amount: Money

        def to_fact(self) -> Fact:
            return Fact(self.KIND, self.originator_version, self.effective_date, self.amount)

    class InvestmentCommitted(MoneyEvent):
        TOPIC: ClassVar[str] = "tracker:Project.InvestmentCommitted"
        KIND: ClassVar[str] = "committed"

    class FundsDisbursed(MoneyEvent):
        TOPIC: ClassVar[str] = "tracker:Project.FundsDisbursed"
        KIND: ClassVar[str] = "disbursed"

    class JobsCreated(FactEvent):
        TOPIC: ClassVar[str] = "tracker:Project.JobsCreated"
        KIND: ClassVar[str] = "jobs_created"
        permanent: int
        temporary: int

        def to_fact(self) -> Fact:
            return Fact(
                self.KIND,
                self.originator_version,
                self.effective_date,
                permanent=self.permanent,
                temporary=self.temporary,
            )

    class MilestoneReached(FactEvent):
        TOPIC: ClassVar[str] = "tracker:Project.MilestoneReached"
        KIND: ClassVar[str] = "milestone"
        name: str
        description: str | None

        def to_fact(self) -> Fact:
            return Fact(self.KIND, self.originator_version, self.effective_date, name=self.name)

    class StatusEvent(Event):
        """An event that moves the status machine."""

        TOPIC: ClassVar[str] = "tracker:Project.StatusEvent"
        status: Status
        reason: str | None

        def fold_into(self, project: Project) -> None:
            if self.status is Status.SUSPENDED:
                project.before_suspension = project.status
            elif project.status is Status.SUSPENDED:
                project.before_suspension = None
            project.status = self.status
            project.status_history.append(
                StatusEntry(self.effective_date, self.status, self.originator_version)
            )

    class StatusChanged(StatusEvent):
        TOPIC: ClassVar[str] = "tracker:Project.StatusChanged"
        KIND: ClassVar[str] = "status_changed"

    class Completed(StatusEvent):
        TOPIC: ClassVar[str] = "tracker:Project.Completed"
        KIND: ClassVar[str] = "completed"

    class Cancelled(StatusEvent):
        TOPIC: ClassVar[str] = "tracker:Project.Cancelled"
        KIND: ClassVar[str] = "cancelled"

    class TitleTranslated(Event):
        """The title in one reader's language; a later one for the same language replaces
        it. Not news of the project, and not part of its plan: the ledger folds it."""

        TOPIC: ClassVar[str] = "tracker:Project.TitleTranslated"
        KIND: ClassVar[str] = "title_translated"
        NEWS: ClassVar[bool] = False
        language: str
        title: str

    class Corrected(Event):
        TOPIC: ClassVar[str] = "tracker:Project.Corrected"
        KIND: ClassVar[str] = "corrected"
        corrects: int
        reason: str
        replacement: Replacement

        def fold_into(self, project: Project) -> None:
            if self.corrects == 1:
                project.plan = replace(project.plan, **self.replacement.given())
                return
            # Only the version: the values stay in this event, handed back when needed.
            earlier = project.corrections.get(self.corrects, ())
            project.corrections[self.corrects] = (*earlier, self.originator_version)

    class Retracted(Event):
        TOPIC: ClassVar[str] = "tracker:Project.Retracted"
        KIND: ClassVar[str] = "retracted"
        retracts: int
        reason: str

        def fold_into(self, project: Project) -> None:
            # A retracted fact can no longer be corrected: its corrections are not needed.
            project.corrections.pop(self.retracts, None)
            project.retracted[self.retracts] = self.originator_version

    @classmethod
    def announce(
        cls,
        portfolio_id: UUID,
        plan: Plan,
        envelope: Envelope,
        *,
        illustrative: bool = False,
        project_id: UUID | None = None,
    ) -> Project:
        plan = check_plan(plan)
        return cls._create(
            cls.Announced,
            id=project_id or uuid4(),
            portfolio_id=portfolio_id,
            illustrative=illustrative,
            title=plan.title,
            sector=plan.sector,
            regions=plan.regions,
            countries=plan.countries,
            parties=plan.parties,
            planned_investment=plan.planned_investment,
            planned_jobs=plan.planned_jobs,
            planned_start=plan.planned_start,
            planned_end=plan.planned_end,
            **envelope_fields(envelope),
        )

    def needs(self, command: ProjectCommand) -> tuple[int, ...]:
        """The versions of the stored events ``command`` must be handed (``execute(events=)``).

        A correction or retraction needs the event it names and the corrections made to it so
        far (the aggregate keeps their versions, not their values); other commands need none.
        """
        version = target_version(command)
        return () if version is None else self.history_of(version)

    def history_of(self, version: int) -> tuple[int, ...]:
        """The versions that say what event ``version`` now records: the event and the
        corrections made to it so far (none if the project has no such event)."""
        if not 1 <= version <= self.version:
            return ()
        return (version, *self.corrections.get(version, ()))

    def execute(
        self,
        command: ProjectCommand,
        envelope: Envelope,
        *,
        events: Mapping[int, Project.Event] = NO_EVENTS,
    ) -> None:
        """Apply one recorder command, or raise the domain error that forbids it.

        ``events`` holds, by version, the stored events :meth:`needs` names for ``command``
        (the caller reads them from the store; a version with no event is simply missing).
        """
        if isinstance(command, Correct):
            self._correct(command, envelope, events)
        elif isinstance(command, Retract):
            self._retract(command, envelope, events)
        elif isinstance(command, TranslateTitle):
            # A closed or cancelled project is still read, so it may still be named.
            self.emit(
                self.TitleTranslated,
                envelope,
                language=check_title_language(command.language),
                title=check_text(command.title, field="title"),
            )
        elif self.status in TERMINAL:
            raise Conflict(
                N_(
                    "the project is %(status)s; only corrections and retractions can still be "
                    "recorded"
                ),
                status=self.status,
            )
        elif isinstance(command, CommitInvestment):
            self.emit(self.InvestmentCommitted, envelope, amount=nonzero(command.amount))
        elif isinstance(command, DisburseFunds):
            self.emit(self.FundsDisbursed, envelope, amount=nonzero(command.amount))
        elif isinstance(command, CreateJobs):
            check_jobs(command.permanent, command.temporary)
            self.emit(
                self.JobsCreated,
                envelope,
                permanent=command.permanent,
                temporary=command.temporary,
            )
        elif isinstance(command, ReachMilestone):
            self.emit(
                self.MilestoneReached,
                envelope,
                name=check_text(command.name, field="name"),
                description=check_optional_text(
                    command.description, field="description", max_length=5000, free=True
                ),
            )
        elif isinstance(command, ChangeStatus):
            status = next_status(self.status, command.status, self.before_suspension)
            self._check_status_date(envelope)
            self.emit(self.StatusChanged, envelope, status=status, reason=_reason(command.reason))
        elif isinstance(command, Complete):
            if self.status not in COMPLETABLE:
                raise InvalidTransition(
                    N_(
                        "only a project under implementation or operational can be completed; it "
                        "is %(status)s"
                    ),
                    status=self.status,
                )
            self._check_status_date(envelope)
            self.emit(
                self.Completed, envelope, status=Status.CLOSED, reason=_reason(command.reason)
            )
        elif isinstance(command, Cancel):
            reason = check_text(command.reason, field="reason", free=True)
            self._check_status_date(envelope)
            self.emit(self.Cancelled, envelope, status=Status.CANCELLED, reason=reason)
        else:  # pragma: no cover - the union above is exhaustive
            raise TypeError(f"unknown command {command!r}")

    def _check_status_date(self, envelope: Envelope) -> None:
        """A status holds from its date until the next one: a status dated before the one in
        force (or before the announcement) would make the current status, the status as of a
        date and the IATI dates disagree."""
        latest = max(self.status_history, key=lambda e: (e.effective_date, e.version))
        if envelope.effective_date < latest.effective_date:
            raise Conflict(
                N_(
                    "a status change dated %(effective_date)s is before the project's %(status)s "
                    "status of %(effective_date2)s (version %(version)s); status changes are "
                    "recorded in date order"
                ),
                effective_date=envelope.effective_date,
                status=latest.status,
                effective_date2=latest.effective_date,
                version=latest.version,
                field="effective_date",
            )

    def _correct(self, command: Correct, envelope: Envelope, events: Mapping[int, Event]) -> None:
        kind, target = named(self, command.corrects, events, field="corrects")

        def current() -> Fact:
            assert isinstance(target, Project.FactEvent)  # every correctable kind but one
            return self.current_fact(target, events)

        replacement = checked_replacement(self, command, kind, envelope, current)
        self.emit(
            self.Corrected,
            envelope,
            corrects=command.corrects,
            reason=check_text(command.reason, field="reason", free=True),
            replacement=replacement,
        )

    def _retract(self, command: Retract, envelope: Envelope, events: Mapping[int, Event]) -> None:
        kind, _ = named(self, command.retracts, events, field="retracts")
        check_retractable(kind)
        self.emit(
            self.Retracted,
            envelope,
            retracts=command.retracts,
            reason=check_text(command.reason, field="reason", free=True),
        )

    def current_fact(self, target: FactEvent, events: Mapping[int, Event]) -> Fact:
        """The fact ``target`` recorded as now believed, folded with the corrections made to
        it, which ``events`` must hold (:meth:`needs` names them)."""
        corrections = []
        for version in self.corrections.get(target.originator_version, ()):
            correction = events.get(version)
            if not isinstance(correction, Project.Corrected):
                raise ValueError(f"correction {version} of project {self.id} was not handed")
            check_is_own(self, correction, version)
            corrections.append(correction)
        return self.fact_of(target, corrections)

    def fact_of(self, event: FactEvent, corrections: Iterable[Corrected] = ()) -> Fact:
        """The fact ``event`` recorded, with ``corrections`` (the corrections made to it, in
        version order) folded in and the retraction this project knows of."""
        fact = event.to_fact()
        for correction in corrections:
            if correction.corrects != fact.version:
                raise ValueError(f"{correction!r} does not correct event {fact.version}")
            for name, value in correction.replacement.given().items():
                setattr(fact, name, value)
            fact.corrected_by.append(correction.originator_version)
        fact.retracted_by = self.retracted.get(fact.version)
        return fact

    def announced_on(self) -> date:
        return self.status_history[0].effective_date

    def status_as_of(self, as_of: date | None) -> Status:
        if as_of is None:
            return self.status
        known = [e for e in self.status_history if e.effective_date <= as_of]
        return max(known, key=lambda e: (e.effective_date, e.version)).status


def _reason(reason: str | None) -> str | None:
    return check_optional_text(reason, field="reason", free=True)
