"""The Portfolio aggregate: what was pledged at a forum, and how the pledge was restated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from tracker.domain.base import TrackedAggregate, envelope_fields
from tracker.domain.errors import N_, ValidationError
from tracker.domain.publisher import ReportingOrganisation, check_reporting_organisation
from tracker.domain.values import (
    Envelope,
    Money,
    Source,
    check_currency,
    check_effective_date,
    check_text,
)


@dataclass(frozen=True)
class Targets:
    """One statement of the pledge, in force from its effective date until restated."""

    version: int
    effective_date: date
    investment: Money
    jobs: int
    projects: int
    source: Source | None


#: A portfolio converts with at most this many rate sets.
MAX_RATE_SETS = 10
#: What a portfolio-level statement is about; the first five compare with tracked figures.
STATEMENT_MEASURES = (
    "portfolio",  # the whole portfolio: projects, investment, jobs
    "completed",  # projects done (operational or closed)
    "under_implementation",
    "in_development",  # announced, agreed or in preparation
    "documents_signed",  # documents signed: count and value
    "agreed",  # projects or contracts agreed at a meeting
    "launched",  # projects launched together
    "programme",  # a programme or plan announced
    "other",
)


@dataclass(frozen=True)
class Statement:
    """What an official said of the portfolio as a whole, with its source: compared with the
    tracked figures, never added to them."""

    version: int
    effective_date: date
    measure: str
    summary: str
    count: int | None
    amount: Money | None
    jobs: int | None
    source: Source | None


class Portfolio(TrackedAggregate):
    TOPIC: ClassVar[str] = "tracker:Portfolio"

    name: str
    forum: str
    established_on: date
    illustrative: bool
    targets: list[Targets]
    #: The rate sets that convert its figures, in order of preference (none before chosen).
    rate_sets: tuple[UUID, ...] = ()
    #: Sourced statements about the whole portfolio (none before the first).
    statements: tuple[Statement, ...] = ()
    #: Who publishes it to IATI, each setting in turn (the last in force; none before set).
    publishers: tuple[ReportingOrganisation, ...] = ()

    def __init__(self) -> None:
        """State is set by the ``Established`` event; annotations type the snapshots."""

    class Event(TrackedAggregate.Event):
        TOPIC: ClassVar[str] = "tracker:Portfolio.Event"
        KIND: ClassVar[str] = ""

    class Established(Event, Aggregate.Created):
        TOPIC: ClassVar[str] = "tracker:Portfolio.Established"
        KIND: ClassVar[str] = "established"
        name: str
        forum: str
        established_on: date
        illustrative: bool

        def fold_into(self, portfolio: Portfolio) -> None:
            portfolio.name = self.name
            portfolio.forum = self.forum
            portfolio.established_on = self.established_on
            portfolio.illustrative = self.illustrative
            portfolio.targets = []

    class TargetsRestated(Event):
        TOPIC: ClassVar[str] = "tracker:Portfolio.TargetsRestated"
        KIND: ClassVar[str] = "targets_restated"
        investment: Money
        jobs: int
        projects: int

        def fold_into(self, portfolio: Portfolio) -> None:
            portfolio.targets.append(
                Targets(
                    version=self.originator_version,
                    effective_date=self.effective_date,
                    investment=self.investment,
                    jobs=self.jobs,
                    projects=self.projects,
                    source=self.source,
                )
            )

    class RateSetsChosen(Event):
        TOPIC: ClassVar[str] = "tracker:Portfolio.RateSetsChosen"
        KIND: ClassVar[str] = "rate_sets_chosen"
        rate_sets: tuple[UUID, ...]

        def fold_into(self, portfolio: Portfolio) -> None:
            portfolio.rate_sets = self.rate_sets

    class StatementRecorded(Event):
        TOPIC: ClassVar[str] = "tracker:Portfolio.StatementRecorded"
        KIND: ClassVar[str] = "statement_recorded"
        measure: str
        summary: str
        count: int | None
        amount: Money | None
        jobs: int | None

        def fold_into(self, portfolio: Portfolio) -> None:
            portfolio.statements = (
                *portfolio.statements,
                Statement(
                    self.originator_version,
                    self.effective_date,
                    self.measure,
                    self.summary,
                    self.count,
                    self.amount,
                    self.jobs,
                    self.source,
                ),
            )

    class ReportingOrganisationSet(Event):
        TOPIC: ClassVar[str] = "tracker:Portfolio.ReportingOrganisationSet"
        KIND: ClassVar[str] = "reporting_organisation_set"
        ref: str
        name: str
        type: str
        flow_type: str

        def fold_into(self, portfolio: Portfolio) -> None:
            organisation = ReportingOrganisation(self.ref, self.name, self.type, self.flow_type)
            portfolio.publishers = (*portfolio.publishers, organisation)

    @classmethod
    def establish(
        cls,
        name: str,
        forum: str,
        established_on: date,
        envelope: Envelope,
        *,
        illustrative: bool = False,
        portfolio_id: UUID | None = None,
    ) -> Portfolio:
        return cls._create(
            cls.Established,
            id=portfolio_id or uuid4(),
            name=check_text(name, field="name"),
            forum=check_text(forum, field="forum"),
            established_on=check_effective_date(established_on, field="established_on"),
            illustrative=illustrative,
            **envelope_fields(envelope),
        )

    def restate_targets(
        self, investment: Money, jobs: int, projects: int, envelope: Envelope
    ) -> None:
        check_currency(investment.currency, field="investment")
        for field, value in (
            ("investment", investment.amount),
            ("jobs", jobs),
            ("projects", projects),
        ):
            if value < 0:
                raise ValidationError(N_("must not be negative"), field=field)
        self.emit(
            self.TargetsRestated, envelope, investment=investment, jobs=jobs, projects=projects
        )

    def choose_rate_sets(self, rate_sets: list[UUID], envelope: Envelope) -> None:
        """Convert with these rate sets, the first that has a rate for a currency winning."""
        if len(rate_sets) > MAX_RATE_SETS:
            raise ValidationError(
                N_("must name at most %(max_rate_sets)s rate sets"),
                max_rate_sets=MAX_RATE_SETS,
                field="rate_sets",
            )
        if len(set(rate_sets)) != len(rate_sets):
            raise ValidationError(N_("names a rate set twice"), field="rate_sets")
        self.emit(self.RateSetsChosen, envelope, rate_sets=tuple(rate_sets))

    def record_statement(
        self,
        measure: str,
        summary: str,
        envelope: Envelope,
        *,
        count: int | None = None,
        amount: Money | None = None,
        jobs: int | None = None,
    ) -> None:
        """Record what was said of the portfolio on the envelope's date; it needs a source."""
        if measure not in STATEMENT_MEASURES:
            raise ValidationError(
                N_("%(measure)r is not one of %(allowed)s"),
                measure=measure,
                allowed=", ".join(STATEMENT_MEASURES),
                field="measure",
            )
        if envelope.source is None:
            raise ValidationError(N_("a statement needs the source that made it"), field="source")
        if amount is not None:
            check_currency(amount.currency, field="amount")
        for field, value in (
            ("count", count),
            ("jobs", jobs),
            ("amount", amount.amount if amount else None),
        ):
            if value is not None and value < 0:
                raise ValidationError(N_("must not be negative"), field=field)
        self.emit(
            self.StatementRecorded,
            envelope,
            measure=measure,
            summary=check_text(summary, field="summary", max_length=1000),
            count=count,
            amount=amount,
            jobs=jobs,
        )

    def set_reporting_organisation(
        self, organisation: ReportingOrganisation, envelope: Envelope
    ) -> None:
        """Name the organisation that publishes the portfolio to IATI (checked against the
        IATI codelists); a later setting replaces it, and its activities then say which
        identifiers they had before."""
        checked = check_reporting_organisation(organisation)
        self.emit(
            self.ReportingOrganisationSet,
            envelope,
            ref=checked.ref,
            name=checked.name,
            type=checked.type,
            flow_type=checked.flow_type,
        )

    @property
    def reporting_organisation(self) -> ReportingOrganisation | None:
        """The publisher in force, or ``None`` before one is set."""
        return self.publishers[-1] if self.publishers else None

    @property
    def earlier_publisher_refs(self) -> tuple[str, ...]:
        """The identifiers earlier publishers had, other than the one in force, oldest first."""
        current = self.reporting_organisation
        earlier: list[str] = []
        for publisher in self.publishers[:-1]:
            if current and publisher.ref != current.ref and publisher.ref not in earlier:
                earlier.append(publisher.ref)
        return tuple(earlier)

    def targets_as_of(self, as_of: date | None = None) -> Targets | None:
        """The statement in force on ``as_of``: the latest effective by then."""
        in_force = [t for t in self.targets if as_of is None or t.effective_date <= as_of]
        if not in_force:
            return None
        return max(in_force, key=lambda t: (t.effective_date, t.version))
