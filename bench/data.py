"""Synthetic portfolios for the benchmarks, written fast with batched saves.

Aggregates are built in memory through the domain (every rule applies, events are real), then
saved many at a time (``TrackerApplication.save_many``: one transaction per batch, snapshots
taken from memory), which is how ``tracker import`` records too. Generation is deterministic
for a given seed, apart from ids and recorded times. The portfolios convert with one rate set
of monthly rates, established and published through the application before them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from tracker.application import TrackerApplication
from tracker.domain.commands import (
    ChangeStatus,
    CommitInvestment,
    Correct,
    CreateJobs,
    DisburseFunds,
    ProjectCommand,
    ReachMilestone,
    Replacement,
    Retract,
)
from tracker.domain.plan import Plan
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Envelope, Money

SECTORS = ("energy", "metallurgy", "agriculture", "logistics", "chemicals", "textiles")
REGIONS = (("KZ-61", "UZ-SI"), ("KZ-75",), ("UZ-TK", "UZ-TO"), ("KZ-79", "UZ-NW"))
CURRENCIES = ("USD", "USD", "KZT", "UZS", "EUR")
FIRST_DAY = date(2023, 1, 1)
DAYS = 3 * 365
#: Events per transaction while generating.
BATCH_EVENTS = 5000


def envelope(day: date) -> Envelope:
    return Envelope("bench", day)


def rates() -> list[PublishedRate]:
    """Monthly KZT, UZS and EUR rates over the generated period (so reports convert)."""
    found = []
    for month in range(DAYS // 30 + 2):
        day = FIRST_DAY + timedelta(days=30 * month)
        found += [
            PublishedRate("KZT", day, Decimal(450 + month)),
            PublishedRate("UZS", day, Decimal(11000 + 50 * month)),
            PublishedRate("EUR", day, Decimal("0.92")),
        ]
    return found


def bench_rate_set(tracker: TrackerApplication) -> tuple[UUID, int]:
    """A rate set with :func:`rates`, through the application: its id and its events."""
    opening = envelope(FIRST_DAY)
    rate_set = tracker.establish_rate_set("Bench rates", opening).id
    published = tracker.change_rate_set(
        rate_set, lambda aggregate: aggregate.publish(rates(), opening), opening
    )
    return rate_set, published.version


def new_portfolio(name: str = "Bench portfolio", rate_set: UUID | None = None) -> Portfolio:
    portfolio = Portfolio.establish(name, "Bench forum", FIRST_DAY, envelope(FIRST_DAY))
    if rate_set is not None:
        portfolio.choose_rate_sets([rate_set], envelope(FIRST_DAY))
    portfolio.restate_targets(
        Money(Decimal("3400000000"), "USD"), 14_600, 74, envelope(FIRST_DAY + timedelta(days=1))
    )
    return portfolio


def new_project(portfolio_id: UUID, n: int, rng: random.Random) -> Project:
    currency = CURRENCIES[n % len(CURRENCIES)]
    plan = Plan(
        title=f"Bench plant {n}",
        sector=SECTORS[n % len(SECTORS)],
        regions=REGIONS[n % len(REGIONS)],
        countries=(),
        parties=("Bench",),
        planned_investment=Money(Decimal(rng.randrange(1, 500) * 100_000), currency),
        planned_jobs=rng.randrange(10, 1000),
        planned_start=None,
        planned_end=None,
    )
    day = FIRST_DAY + timedelta(days=rng.randrange(0, 60))
    project = Project.announce(portfolio_id, plan, envelope(day))
    project.execute(
        ChangeStatus("under_implementation"), envelope(day + timedelta(days=rng.randrange(1, 30)))
    )
    return project


def add_events(project: Project, count: int, rng: random.Random) -> None:
    """``count`` more events: money and jobs facts, milestones, corrections and retractions.

    The project is built in memory (its events are saved later, in batches), so a correction
    or retraction is handed the events it needs (the money fact it names and the corrections
    made to it) from those kept here, as the application hands it the stored events.
    """
    currency = project.plan.planned_investment.currency
    last = project.version
    money_facts: dict[int, Any] = {}
    corrections: dict[int, Any] = {}
    for _ in range(count):
        last_day = FIRST_DAY + timedelta(days=rng.randrange(60, DAYS))
        env = envelope(last_day)
        roll = rng.random()
        if roll < 0.06 and money_facts:
            version = rng.choice(list(money_facts))
            if roll < 0.04:
                amount = Money(Decimal(rng.randrange(1, 900) * 1000), currency)
                command: ProjectCommand = Correct(
                    version, "bench correction", Replacement(amount=amount)
                )
            else:
                command = Retract(version, "bench retraction")
            needed = {v: money_facts.get(v) or corrections[v] for v in project.needs(command)}
            project.execute(command, env, events=needed)
            if isinstance(command, Correct):
                corrections[project.version] = project.pending_events[-1]
            else:
                money_facts.pop(version)
            continue
        if roll < 0.40:
            command = CommitInvestment(Money(Decimal(rng.randrange(1, 900) * 1000), currency))
        elif roll < 0.75:
            command = DisburseFunds(Money(Decimal(rng.randrange(1, 300) * 1000), currency))
        elif roll < 0.95:
            command = CreateJobs(rng.randrange(1, 20), rng.randrange(0, 20))
        else:
            command = ReachMilestone(f"milestone {project.version - last}")
        project.execute(command, env)
        if isinstance(command, CommitInvestment | DisburseFunds):
            money_facts[project.version] = project.pending_events[-1]


@dataclass
class Generated:
    portfolio_ids: list[UUID] = field(default_factory=list)
    #: The rate set the portfolios convert with (:func:`bench_rate_set`).
    rate_set_id: UUID | None = None
    project_ids: list[UUID] = field(default_factory=list)
    events: int = 0
    seconds: float = 0.0
    #: Recorded time at (about) the middle of the generation: a ``known_at`` that cuts it.
    middle: datetime | None = None

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def generate(
    tracker: TrackerApplication,
    *,
    portfolios: int,
    projects: int,
    events_per_project: int,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
    deadline: float | None = None,
) -> Generated:
    """Portfolios with ``projects`` projects in all, each with about ``events_per_project``
    events, saved ``BATCH_EVENTS`` at a time; the portfolios convert with a rate set of
    their own (:func:`bench_rate_set`). Stops early (saying so through the count) when
    ``deadline`` (a ``time.monotonic()`` value) passes."""
    rng = random.Random(seed)
    result = Generated()
    started = time.perf_counter()
    rate_set, rate_set_events = bench_rate_set(tracker)
    result.rate_set_id = rate_set
    owners = [new_portfolio(f"Bench portfolio {n + 1}", rate_set) for n in range(portfolios)]
    tracker.save_many(owners)
    result.portfolio_ids = [p.id for p in owners]
    result.events = rate_set_events + sum(p.version for p in owners)
    per_batch = max(1, BATCH_EVENTS // max(events_per_project, 1))
    total_batches = (projects + per_batch - 1) // per_batch
    for index, numbers in enumerate(_batches(list(range(projects)), per_batch)):
        if deadline is not None and time.monotonic() > deadline:
            break
        batch = []
        for n in numbers:
            project = new_project(result.portfolio_ids[n % portfolios], n, rng)
            add_events(project, events_per_project - project.version, rng)
            batch.append(project)
        tracker.save_many(batch)
        result.project_ids += [p.id for p in batch]
        result.events += sum(p.version for p in batch)
        if index == total_batches // 2:
            result.middle = datetime.now(UTC)
        if progress:
            progress(result.events)
    result.seconds = time.perf_counter() - started
    return result


def long_history(tracker: TrackerApplication, portfolio_id: UUID, events: int) -> UUID:
    """One project with ``events`` events, saved in batches (snapshots every interval)."""
    rng = random.Random(events)
    project = new_project(portfolio_id, events, rng)
    remaining = events - project.version
    while remaining > 0:
        step = min(BATCH_EVENTS, remaining)
        add_events(project, step, rng)
        tracker.save_many([project])
        remaining -= step
    if project.version < events:  # pragma: no cover - add_events adds exactly what it is asked
        raise RuntimeError("short history")
    return project.id
