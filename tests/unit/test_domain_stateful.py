"""The Project aggregate under random command sequences, valid and invalid.

Hypothesis drives one project through money, jobs, milestones, status moves, completions,
cancellations, corrections and retractions, many of them refused by the domain. After every
step the invariants must hold:

- a refused command raises a domain error and leaves the aggregate exactly as it was;
- the collected events carry versions 1..n, and the aggregate is at version n;
- the figures (now and as of a few dates), folded by the aggregate's ledger (its facts
  through the live aggregate's record of which corrections touched them), equal a fold of
  the collected events written here independently of the domain: unretracted facts,
  corrections applied, summed by currency;
- a closed or cancelled project stays so, and then takes only corrections and retractions;
- no correction or retraction ever names an event retracted before it;
- replaying the collected events (``event.mutate``) gives the same state (status, plan,
  corrections), and the ledger folded from them the same figures;
- the aggregate keeps, per fact, only versions: the corrections of each corrected fact that
  is not retracted and the retraction of each retracted one, nothing for other facts.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from tests.unit.factories import plan
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
)
from tracker.domain.errors import Conflict, TrackerError
from tracker.domain.ledger import ProjectLedger
from tracker.domain.project import Project
from tracker.domain.status import TERMINAL, Status
from tracker.domain.values import Envelope, Money

ANNOUNCED_ON = date(2024, 1, 10)
PROBES = (None, date(2024, 6, 30), date(2025, 6, 30))

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
# XYZ is not an ISO 4217 code; zero amounts are refused too.
money = st.builds(
    Money,
    st.integers(-5_000, 5_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    st.sampled_from(["USD", "KZT", "XYZ"]),
)
counts = st.integers(0, 50)
texts = st.sampled_from(["Groundbreaking", "Line 2 started", "  ", ""])
statuses = st.sampled_from(
    [
        "agreed",
        "in_preparation",
        "under_implementation",
        "operational",
        "suspended",
        "resumed",
        "closed",
        "cancelled",
        "announced",
        "bogus",
    ]
)
replacements = st.builds(
    Replacement,
    amount=st.none() | money,
    effective_date=st.none() | days,
    permanent=st.none() | counts,
    temporary=st.none() | counts,
    name=st.none() | texts,
    title=st.none() | st.sampled_from(["Copper plant, phase 2", " "]),
    regions=st.none() | st.sampled_from([("KZ-61",), ("UZ-SI", "KZ-61"), ("KZ-99",)]),
    planned_jobs=st.none() | counts,
)


@dataclass
class ModelFact:
    """A fact as the collected events say it is, folded here without the aggregate's code."""

    kind: str
    effective_date: date
    amount: Money | None = None
    permanent: int = 0
    temporary: int = 0
    name: str | None = None
    retracted: bool = False
    fields: dict[str, Any] = field(default_factory=dict)


def fold_facts(events: list[Any]) -> dict[int, ModelFact]:
    facts: dict[int, ModelFact] = {}
    for event in events:
        version = event.originator_version
        kind = type(event).KIND
        if kind in ("committed", "disbursed"):
            facts[version] = ModelFact(kind, event.effective_date, amount=event.amount)
        elif kind == "jobs_created":
            facts[version] = ModelFact(
                kind, event.effective_date, permanent=event.permanent, temporary=event.temporary
            )
        elif kind == "milestone":
            facts[version] = ModelFact(kind, event.effective_date, name=event.name)
        elif kind == "corrected" and event.corrects != 1:
            fact = facts[event.corrects]
            for name, value in event.replacement.given().items():
                setattr(fact, name, value)
        elif kind == "retracted":
            facts[event.retracts].retracted = True
    return facts


def expected_figures(facts: dict[int, ModelFact], as_of: date | None) -> dict[str, Any]:
    live = {
        version: fact
        for version, fact in facts.items()
        if not fact.retracted and (as_of is None or fact.effective_date <= as_of)
    }
    totals: dict[str, dict[str, Decimal]] = {"committed": defaultdict(Decimal)}
    totals["disbursed"] = defaultdict(Decimal)
    for fact in live.values():
        if fact.kind in totals and fact.amount is not None:
            totals[fact.kind][fact.amount.currency] += fact.amount.amount
    return {
        "committed": {c: a for c, a in totals["committed"].items()},
        "disbursed": {c: a for c, a in totals["disbursed"].items()},
        "permanent": sum(f.permanent for f in live.values() if f.kind == "jobs_created"),
        "temporary": sum(f.temporary for f in live.values() if f.kind == "jobs_created"),
        "milestones": [
            live[v].name
            for v in sorted(live, key=lambda v: (live[v].effective_date, v))
            if live[v].kind == "milestone"
        ],
    }


def live_ledger(project: Project, events: list[Any]) -> ProjectLedger:
    """The ledger with the live aggregate's record of corrections (not a refold): each fact
    folded with the corrections the aggregate names for it."""
    by_version = {e.originator_version: e for e in events}
    facts = {
        e.originator_version: project.current_fact(e, by_version)
        for e in events
        if isinstance(e, Project.FactEvent)
    }
    return ProjectLedger(project, facts)


def actual_figures(ledger: ProjectLedger, as_of: date | None) -> dict[str, Any]:
    figures = ledger.figures_as_of(as_of)
    return {
        "committed": {m.currency: m.amount for m in figures.committed},
        "disbursed": {m.currency: m.amount for m in figures.disbursed},
        "permanent": figures.jobs_permanent,
        "temporary": figures.jobs_temporary,
        "milestones": list(figures.milestones),
    }


def state_of(project: Project) -> tuple[Any, ...]:
    """Everything a command could change, deep-copied."""
    return copy.deepcopy(
        (
            project.version,
            project.status,
            project.before_suspension,
            project.plan,
            project.corrections,
            project.retracted,
            project.status_history,
        )
    )


class ProjectLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.project: Project
        self.events: list[Any] = []
        self.terminal: Status | None = None
        self.refused = 0

    @initialize(day=st.dates(min_value=ANNOUNCED_ON, max_value=ANNOUNCED_ON))
    def announce(self, day: date) -> None:
        self.project = Project.announce(uuid4(), plan(), Envelope("desk", day))
        self.events.extend(self.project.collect_events())

    def execute(self, command: ProjectCommand, day: date) -> TrackerError | None:
        """Run one command; return the domain error that refused it, if any."""
        before = state_of(self.project)
        named = getattr(command, "corrects", None) or getattr(command, "retracts", None)
        named_a_retracted_event = named is not None and self.retracted(named)
        # What the application reads from the store: the events it needs that exist.
        needed = set(self.project.needs(command))
        handed = {e.originator_version: e for e in self.events if e.originator_version in needed}
        try:
            self.project.execute(command, Envelope("desk", day), events=handed)
        except TrackerError as error:
            self.refused += 1
            assert self.project.collect_events() == [], f"{command} left pending events"
            assert state_of(self.project) == before, f"refused {command} changed the project"
            self.expect_refused(command, error)
            return error
        assert not named_a_retracted_event, f"{command} named a retracted event"
        if self.terminal is not None:
            assert isinstance(command, Correct | Retract), f"{command} after {self.terminal}"
        new = self.project.collect_events()
        assert len(new) == 1, new
        self.events.extend(new)
        return None

    def expect_refused(self, command: ProjectCommand, error: TrackerError) -> None:
        if self.terminal is not None and not isinstance(command, Correct | Retract):
            assert isinstance(error, Conflict)

    def retracted(self, version: int) -> bool:
        return any(type(e).KIND == "retracted" and e.retracts == version for e in self.events)

    def some_version(self, data: st.DataObject) -> int:
        # Mostly existing events, sometimes one past the end or 0.
        return data.draw(st.integers(0, len(self.events) + 1))

    @rule(amount=money, day=days)
    def commit(self, amount: Money, day: date) -> None:
        self.execute(CommitInvestment(amount), day)

    @rule(amount=money, day=days)
    def disburse(self, amount: Money, day: date) -> None:
        self.execute(DisburseFunds(amount), day)

    @rule(permanent=counts, temporary=counts, day=days)
    def create_jobs(self, permanent: int, temporary: int, day: date) -> None:
        self.execute(CreateJobs(permanent, temporary), day)

    @rule(name=texts, day=days)
    def reach_milestone(self, name: str, day: date) -> None:
        self.execute(ReachMilestone(name), day)

    @rule(status=statuses, day=days)
    def change_status(self, status: str, day: date) -> None:
        self.execute(ChangeStatus(status), day)

    @rule(day=days)
    def complete(self, day: date) -> None:
        self.execute(Complete(), day)

    @rule(reason=texts, day=days)
    def cancel(self, reason: str, day: date) -> None:
        self.execute(Cancel(reason), day)

    @rule(data=st.data(), replacement=replacements, reason=texts, day=days)
    def correct(
        self, data: st.DataObject, replacement: Replacement, reason: str, day: date
    ) -> None:
        version = self.some_version(data)
        was_retracted = self.retracted(version)
        error = self.execute(Correct(version, reason, replacement), day)
        if was_retracted:
            assert isinstance(error, Conflict), error

    @rule(data=st.data(), reason=texts, day=days)
    def retract(self, data: st.DataObject, reason: str, day: date) -> None:
        version = self.some_version(data)
        was_retracted = self.retracted(version)
        error = self.execute(Retract(version, reason), day)
        if was_retracted:
            assert isinstance(error, Conflict), error

    @precondition(lambda self: any(type(e).KIND in ("committed", "disbursed") for e in self.events))
    @rule(data=st.data(), day=days)
    def retract_a_money_fact_twice(self, data: st.DataObject, day: date) -> None:
        money_facts = [
            e.originator_version for e in self.events if type(e).KIND in ("committed", "disbursed")
        ]
        version = data.draw(st.sampled_from(money_facts))
        self.execute(Retract(version, "duplicate"), day)
        # Whether it was already retracted or has just been: now it cannot be touched again.
        assert self.retracted(version)
        again = self.execute(Retract(version, "again"), day)
        fix = self.execute(
            Correct(version, "fix", Replacement(amount=Money(Decimal(1), "USD"))), day
        )
        assert isinstance(again, Conflict) and isinstance(fix, Conflict), (again, fix)

    @invariant()
    def versions_are_contiguous(self) -> None:
        versions = [e.originator_version for e in self.events]
        assert versions == list(range(1, len(versions) + 1))
        assert self.project.version == len(versions)

    @invariant()
    def figures_are_the_fold_of_unretracted_facts(self) -> None:
        facts = fold_facts(self.events)
        ledger = live_ledger(self.project, self.events)
        for as_of in PROBES:
            assert actual_figures(ledger, as_of) == expected_figures(facts, as_of), as_of

    @invariant()
    def only_versions_of_corrected_or_retracted_facts_are_kept(self) -> None:
        retracted: dict[int, int] = {}
        corrections: dict[int, tuple[int, ...]] = {}
        for event in self.events:
            kind = type(event).KIND
            if kind == "retracted":
                retracted[event.retracts] = event.originator_version
                corrections.pop(event.retracts, None)
            elif kind == "corrected" and event.corrects != 1:
                earlier = corrections.get(event.corrects, ())
                corrections[event.corrects] = (*earlier, event.originator_version)
        assert self.project.retracted == retracted
        assert self.project.corrections == corrections

    @invariant()
    def terminal_states_stay_terminal(self) -> None:
        status = self.project.status
        if self.terminal is not None:
            assert status is self.terminal
        elif status in TERMINAL:
            self.terminal = status

    @invariant()
    def nothing_names_an_event_retracted_before_it(self) -> None:
        retracted: set[int] = set()
        for event in self.events:
            kind = type(event).KIND
            named = event.corrects if kind == "corrected" else getattr(event, "retracts", None)
            if named is not None:
                assert named not in retracted, f"event {event.originator_version} names {named}"
            if kind == "retracted":
                retracted.add(event.retracts)

    @invariant()
    def replaying_the_events_gives_the_same_project(self) -> None:
        replayed: Any = None
        for event in self.events:
            replayed = event.mutate(replayed)
        assert isinstance(replayed, Project)
        assert replayed.version == self.project.version
        assert replayed.status is self.project.status
        assert replayed.plan == self.project.plan
        assert replayed.corrections == self.project.corrections
        assert replayed.retracted == self.project.retracted
        folded = ProjectLedger.of(self.events)
        live = live_ledger(self.project, self.events)
        for as_of in PROBES:
            assert folded.figures_as_of(as_of) == live.figures_as_of(as_of)
        assert replayed.status_as_of(date(2025, 1, 1)) == self.project.status_as_of(
            date(2025, 1, 1)
        )


ProjectLife.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_project_life = ProjectLife.TestCase


def test_the_state_machine_reaches_terminal_states_and_refusals() -> None:
    """The random walk is not vacuous: a fixed walk through it hits both kinds of step."""
    machine = ProjectLife()
    machine.announce(ANNOUNCED_ON)
    day = ANNOUNCED_ON + timedelta(days=30)
    machine.commit(Money(Decimal("10.00"), "USD"), day)
    machine.commit(Money(Decimal("0.00"), "USD"), day)  # refused: zero
    machine.change_status("under_implementation", day)
    machine.complete(day)
    machine.commit(Money(Decimal("5.00"), "USD"), day)  # refused: closed
    machine.terminal_states_stay_terminal()
    machine.retract(_Fixed(2), "duplicate", day)
    machine.figures_are_the_fold_of_unretracted_facts()
    machine.replaying_the_events_gives_the_same_project()
    assert machine.terminal is Status.CLOSED
    assert machine.refused == 2
    assert ProjectLedger.of(machine.events).figures_as_of().committed == ()
    machine.teardown()


class _Fixed:
    """Stands in for ``st.data()`` in the fixed walk: always draws the same value."""

    def __init__(self, value: int) -> None:
        self.value = value

    def draw(self, _: Any) -> int:
        return self.value
