"""Random portfolios and histories for the oracle tests (``test_reports_match_the_oracle``,
``test_changes_match_the_oracle``), on fresh databases, one per Hypothesis example.

Hypothesis builds a portfolio of several projects and drives a random history through
``TrackerApplication``: commitments and disbursements (decreases too) in USD, KZT, UZS and EUR
(which has no rate, so some amounts stay unconverted), jobs, milestones, every status move
(suspension and resumption, completion, cancellation), corrections of amounts, dates and
plans, retractions (some long after the fact), restated targets, and a second portfolio whose
figures must not leak in. The portfolio converts with two rate sets of random rates, a
preferred one and a fallback; along the history rates are published, corrected and withdrawn
and the portfolio's choice of sets changes, while the second portfolio's own rate set (which
has a EUR rate) must not leak in either. ``History`` keeps the moments taken between
commands, for ``known_at``.

Rates are products of powers of 2 and 5 (e.g. 512 KZT, 12 800 UZS per USD), so every
conversion is an exact decimal and the sums cannot differ by the order they were added in."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from tests.databases import MigrationScript, copy_sqlite, migrated_postgres
from tracker.application import TrackerApplication
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
from tracker.domain.errors import InvalidTransition
from tracker.domain.ledger import ProjectLedger
from tracker.domain.project import Plan, Project
from tracker.domain.rate_set import PublishedRate
from tracker.domain.status import COMPLETABLE, RESUMED, STAGES, TERMINAL, Status, next_status
from tracker.domain.values import Envelope, Money
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.settings import Settings

FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2025, 12, 31)
CURRENCIES = ("USD", "KZT", "UZS", "EUR")  # EUR never has a rate
EXACT_RATES = {
    "KZT": ("400", "500", "512", "625", "640.00"),
    "UZS": ("10000", "12500", "12800", "16000.0"),
}
SECTORS = ("energy", "metallurgy", "agriculture")
REGIONS = ("KZ-61", "KZ-75", "KZ-71", "UZ-SI", "UZ-TK", "UZ-TO")
EXTRA_COUNTRIES = ("CN", "RU", "TR")
MAX_PROJECTS = 5


PROPERTY = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


# Fresh databases, one per example


@contextmanager
def fresh_sqlite(migrated: Path) -> Iterator[Settings]:
    """A new copy of the ``migrated_sqlite`` file (tests/databases.py)."""
    with tempfile.TemporaryDirectory(prefix="oracle-") as directory:
        path = Path(directory) / "tracker.db"
        copy_sqlite(migrated, path)
        yield Settings(database_url=f"sqlite:///{path}", snapshot_interval=5)


@contextmanager
def fresh_postgres(url: str, migration: MigrationScript) -> Iterator[Settings]:
    """A new schema made by the recorded migrations (tests/databases.py), dropped afterwards."""
    with migrated_postgres(url, migration, prefix="o_") as schema:
        yield Settings(database_url=url, db_schema=schema, snapshot_interval=5, pool_size=4)


@contextmanager
def opened(fresh: Settings) -> Iterator[tuple[TrackerApplication, Engine]]:
    tracker = TrackerApplication(fresh)
    engine = create_readmodel_engine(fresh, pool_size=2)
    try:
        yield tracker, engine
    finally:
        engine.dispose()
        tracker.close()


# A random history


@dataclass
class History:
    """What the test did, so that it can pick valid next moves and query points."""

    tracker: TrackerApplication
    engine: Engine
    data: st.DataObject
    portfolio: UUID = field(default_factory=uuid.uuid4)
    other_portfolio: UUID = field(default_factory=uuid.uuid4)
    projects: list[UUID] = field(default_factory=list)
    #: The rate sets the portfolio may choose from: preferred, fallback.
    rate_sets: list[UUID] = field(default_factory=list)
    #: Each set's rates in force, by (currency, date), as recorded so far.
    published: dict[UUID, dict[tuple[str, date], Decimal]] = field(default_factory=dict)
    checkpoints: list[datetime] = field(default_factory=list)
    #: Days worth landing on: rate dates and the days next to them.
    edges: list[date] = field(default_factory=list)

    def draw(self, strategy: st.SearchStrategy[Any], label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def day(self, label: str) -> date:
        days = st.dates(FIRST_DAY, LAST_DAY)
        if self.edges:
            days = st.one_of(days, st.sampled_from(self.edges))
        return self.draw(days, label)  # type: ignore[no-any-return]

    def envelope(self, label: str) -> Envelope:
        return Envelope("oracle", self.day(f"{label} effective"))

    def checkpoint(self) -> None:
        """A moment after everything recorded so far and before whatever comes next."""
        self.checkpoints.append(datetime.now(UTC))


def amount(history: History, label: str, *, positive: bool = False) -> Money:
    cents = history.draw(st.integers(1, 5 * 10**11), f"{label} cents")
    if not positive and history.draw(st.integers(0, 4), f"{label} sign") == 0:
        cents = -cents  # a decrease
    currency = history.draw(st.sampled_from(CURRENCIES), f"{label} currency")
    return Money(Decimal(cents).scaleb(-2), currency)


def plan(history: History, label: str) -> Plan:
    regions = tuple(history.draw(st.lists(st.sampled_from(REGIONS), max_size=3), label))
    countries = tuple(
        history.draw(
            st.lists(st.sampled_from(EXTRA_COUNTRIES), min_size=0 if regions else 1, max_size=2),
            f"{label} countries",
        )
    )
    return Plan(
        title=f"Project {label}",
        sector=history.draw(st.sampled_from(SECTORS), f"{label} sector"),
        regions=regions,  # duplicates allowed: a project counts once per slice
        countries=tuple(sorted(set(countries))),
        parties=("KazInvest", "UzIndustry"),
        planned_investment=amount(history, f"{label} planned", positive=True),
        planned_jobs=history.draw(st.integers(0, 2000), f"{label} planned jobs"),
        planned_start=None,
        planned_end=None,
    )


def random_rates(history: History, label: str) -> list[PublishedRate]:
    rates = []
    for currency, choices in EXACT_RATES.items():
        days = history.draw(
            st.lists(st.dates(FIRST_DAY, LAST_DAY), max_size=3, unique=True),
            f"{label} {currency} days",
        )
        for day in days:
            units = Decimal(history.draw(st.sampled_from(choices), f"{label} {currency} rate"))
            rates.append(PublishedRate(currency, day, units))
            history.edges += [day, day - timedelta(days=1)]
    return rates


def publish(history: History, rate_set: UUID, rates: list[PublishedRate]) -> None:
    envelope = history.envelope("rates")
    history.tracker.change_rate_set(rate_set, lambda s: s.publish(rates, envelope), envelope)
    history.published[rate_set].update({r.key: r.units_per_usd for r in rates})


def new_rate_set(history: History, name: str, rates: list[PublishedRate]) -> UUID:
    rate_set = history.tracker.establish_rate_set(name, Envelope("oracle", FIRST_DAY)).id
    history.published[rate_set] = {}
    if rates:
        publish(history, rate_set, rates)
    return rate_set


def put_random_rates(history: History) -> None:
    """Two sets of random rates for the portfolio, preferred first; a set of the second
    portfolio's own, whose rates (EUR among them) must never convert the first's amounts."""
    preferred = new_rate_set(history, "Preferred", random_rates(history, "preferred"))
    fallback = new_rate_set(history, "Fallback", random_rates(history, "fallback"))
    history.rate_sets = [preferred, fallback]
    opening = Envelope("oracle", FIRST_DAY)
    history.tracker.choose_rate_sets(history.portfolio, history.rate_sets, opening)
    others = [
        PublishedRate("EUR", FIRST_DAY, Decimal("0.8")),
        PublishedRate("KZT", FIRST_DAY, Decimal("1")),
    ]
    other = new_rate_set(history, "The other portfolio's", others)
    history.tracker.choose_rate_sets(history.other_portfolio, [other], opening)


def change_rates(history: History) -> None:
    """Publish, correct or withdraw a rate of one of the portfolio's sets, or choose again."""
    tracker = history.tracker
    kind = history.draw(st.sampled_from(["publish", "correct", "withdraw", "choose"]), "rates")
    if kind == "choose":
        preferred, fallback = history.rate_sets
        choices = [[], [preferred], [fallback], [preferred, fallback], [fallback, preferred]]
        chosen = history.draw(st.sampled_from(choices), "rate sets chosen")
        tracker.choose_rate_sets(history.portfolio, chosen, history.envelope("choice"))
        event(f"rate sets chosen: {len(chosen)}")
        return
    rate_set = history.draw(st.sampled_from(history.rate_sets), "rate set")
    rates = history.published[rate_set]
    if kind == "publish":
        currency = history.draw(st.sampled_from(sorted(EXACT_RATES)), "currency published")
        day = history.day("rate published")
        units = rates.get((currency, day))  # published again with the same value: no event
        if units is None:
            units = Decimal(history.draw(st.sampled_from(EXACT_RATES[currency]), "units"))
        history.edges += [day, day - timedelta(days=1)]
        publish(history, rate_set, [PublishedRate(currency, day, units)])
        event("rate publish")
        return
    if not rates:
        return
    currency, day = history.draw(st.sampled_from(sorted(rates)), f"rate {kind}")
    envelope = history.envelope(kind)
    if kind == "correct":
        others = [u for u in map(Decimal, EXACT_RATES[currency]) if u != rates[(currency, day)]]
        units = history.draw(st.sampled_from(others), "corrected units")
        rate = PublishedRate(currency, day, units)
        tracker.change_rate_set(
            rate_set, lambda s: s.correct(rate, "a better source", envelope), envelope
        )
        rates[(currency, day)] = units
    else:
        tracker.change_rate_set(
            rate_set,
            lambda s: s.withdraw(currency, day, "not published after all", envelope),
            envelope,
        )
        del rates[(currency, day)]
    event(f"rate {kind}")


def status_moves(project: Project) -> list[str]:
    """The status_changed requests the status machine allows now."""
    moves = []
    for requested in [*STAGES, Status.SUSPENDED, RESUMED]:
        try:
            next_status(project.status, str(requested), project.before_suspension)
        except InvalidTransition:
            continue
        moves.append(str(requested))
    return moves


def replacement(history: History, project: ProjectLedger, version: int) -> Replacement:
    """New values for event ``version``: one or more of the values its type can correct."""
    label = f"correction of {version}"
    if version == 1:
        values: dict[str, Any] = {}
        while not values:
            if history.draw(st.booleans(), f"{label} investment"):
                values["planned_investment"] = amount(history, label, positive=True)
            if history.draw(st.booleans(), f"{label} sector"):
                values["sector"] = history.draw(st.sampled_from(SECTORS), f"{label} sector")
            if history.draw(st.booleans(), f"{label} regions"):
                values["regions"] = tuple(
                    history.draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2), label)
                )
            if history.draw(st.booleans(), f"{label} jobs"):
                values["planned_jobs"] = history.draw(st.integers(0, 2000), f"{label} jobs")
        return Replacement(**values)
    fact = project.facts[version]
    new_date = history.day(f"{label} date") if history.draw(st.booleans(), label) else None
    if fact.kind in ("committed", "disbursed"):
        keep = new_date is not None and history.draw(st.booleans(), f"{label} keep amount")
        money = None if keep else amount(history, label)
        return Replacement(amount=money, effective_date=new_date)
    if fact.kind == "jobs_created":
        if new_date is not None and history.draw(st.booleans(), f"{label} only the date"):
            return Replacement(effective_date=new_date)
        permanent = history.draw(st.integers(1, 500), f"{label} permanent")
        temporary = history.draw(st.integers(0, 500), f"{label} temporary")
        return Replacement(permanent=permanent, temporary=temporary, effective_date=new_date)
    return Replacement(name=f"{fact.name} (renamed)", effective_date=new_date)


def project_command(history: History, project: ProjectLedger) -> ProjectCommand | None:
    """A random command the project accepts now (``None``: nothing fits the drawn kind)."""
    live = sorted(v for v, f in project.facts.items() if f.retracted_by is None)
    kind = history.draw(
        st.sampled_from(
            [
                "committed",
                "committed",
                "disbursed",
                "disbursed",
                "jobs",
                "milestone",
                "status",
                "status",
                "complete",
                "cancel",
                "correct",
                "correct",
                "retract",
                "retract",
            ]
        ),
        "command",
    )
    if kind == "correct":
        version = history.draw(st.sampled_from([1, *live]), "corrects")
        return Correct(version, "a better source", replacement(history, project, version))
    if kind == "retract":
        if not live:
            return None
        return Retract(history.draw(st.sampled_from(live), "retracts"), "recorded in error")
    if project.status in TERMINAL:
        return None
    if kind == "committed":
        return CommitInvestment(amount(history, "commitment"))
    if kind == "disbursed":
        return DisburseFunds(amount(history, "disbursement"))
    if kind == "jobs":
        permanent = history.draw(st.integers(0, 500), "permanent")
        temporary = history.draw(st.integers(0 if permanent else 1, 500), "temporary")
        return CreateJobs(permanent, temporary)
    if kind == "milestone":
        return ReachMilestone(f"milestone {len(project.facts) + 1}")
    if kind == "status":
        moves = status_moves(project.project)
        return ChangeStatus(history.draw(st.sampled_from(moves), "status")) if moves else None
    if kind == "complete":
        return Complete() if project.status in COMPLETABLE else None
    return Cancel("the investor withdrew")


def make_history(history: History) -> None:
    tracker = history.tracker
    history.checkpoint()  # before anything was recorded
    opening = Envelope("oracle", FIRST_DAY)
    history.portfolio = tracker.establish_portfolio("KZ-UZ", "Forum", FIRST_DAY, opening).id
    history.other_portfolio = tracker.establish_portfolio("Other", "Forum", FIRST_DAY, opening).id
    history.checkpoint()
    put_random_rates(history)
    stray = tracker.announce_project(history.other_portfolio, plan(history, "stray"), opening).id
    tracker.record(stray, CommitInvestment(Money(Decimal("7.00"), "USD")), opening)
    history.checkpoint()
    steps = history.draw(st.integers(6, 45), "steps")
    for step in range(steps):
        action = history.draw(
            st.sampled_from(
                ["announce", "targets", "rates", "catch_up", "project", "project", "project"]
            )
            if history.projects and len(history.projects) < MAX_PROJECTS
            else st.sampled_from(["targets", "rates", "project", "project", "project", "catch_up"])
            if history.projects
            else st.just("announce"),
            f"step {step}",
        )
        if action == "announce":
            label = f"P{len(history.projects) + 1}"
            recorded = tracker.announce_project(
                history.portfolio, plan(history, label), history.envelope(label)
            )
            history.projects.append(recorded.id)
        elif action == "targets":
            tracker.restate_targets(
                history.portfolio,
                Money(
                    Decimal(history.draw(st.integers(1, 5 * 10**9), "target")),
                    history.draw(st.sampled_from(["USD", "USD", "KZT"]), "target currency"),
                ),
                history.draw(st.integers(0, 20_000), "target jobs"),
                history.draw(st.integers(0, 80), "target projects"),
                history.envelope("targets"),
            )
        elif action == "rates":
            change_rates(history)
        elif action == "catch_up":
            Projector(tracker, history.engine).catch_up()
            continue
        else:
            project_id = history.draw(st.sampled_from(history.projects), "project")
            project = tracker.project_ledger(project_id)
            command = project_command(history, project)
            if command is None:
                continue
            envelope = history.envelope(type(command).__name__)
            if isinstance(command, ChangeStatus | Complete | Cancel):
                # Status changes are recorded in date order (a backdated one is a 409).
                latest = max(entry.effective_date for entry in project.status_history)
                envelope = replace(envelope, effective_date=max(envelope.effective_date, latest))
            tracker.record(project_id, command, envelope)
            event(type(command).__name__)
        history.checkpoint()
