"""Checkpoints of the ledger's sums (rm_fact_checkpoints, tracker/readmodel/fact_checkpoints.py)
hold exactly what was known at their moment, however the projector met the events (batch by
batch, rebuilt, or an event recorded with a time before a checkpoint already made), and a
report as known at any moment reads from them the same figures as the ledger summed whole."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, cast, func, literal, select

from tests.integration.busy_history import busy_history, establish, money, on
from tracker.application import TrackerApplication
from tracker.domain.commands import (
    CommitInvestment,
    Correct,
    CreateJobs,
    DisburseFunds,
    Replacement,
    Retract,
)
from tracker.domain.project import Plan, Project
from tracker.readmodel import fact_checkpoints
from tracker.readmodel import projector as projector_module
from tracker.readmodel import tables as t
from tracker.readmodel.database import Amount, known_rows, naive_utc, negated
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import rebuild
from tracker.readmodel.reports import ReportQuery, _fact_groups, portfolio_fact_groups

Sums = dict[tuple[Any, ...], tuple[Any, ...]]


@pytest.fixture
def often(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint every few positions, and small batches, so a short history makes many."""
    monkeypatch.setattr(fact_checkpoints, "EVERY", 5)
    monkeypatch.setattr(fact_checkpoints, "spacing", lambda conn, views: 5)
    monkeypatch.setattr(projector_module, "BATCH", 3)


def known_sums(engine: Engine, moment: datetime) -> Sums:
    """The ledger rows known at ``moment`` summed per checkpoint key, straight from the ledger."""
    facts, projects = t.facts.c, t.projects.c
    sums: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [None, 0, 0, 0])
    query = (
        select(t.facts, projects.illustrative)
        .join(t.projects, projects.project_id == facts.project_id)
        .where(*known_rows(t.facts, moment))
    )
    with engine.connect() as conn:
        for row in conn.execute(query):
            key = (row.portfolio_id, row.illustrative, row.kind, row.currency or "")
            entry = sums[(*key, row.effective_date)]
            if row.amount is not None:
                entry[0] = (entry[0] or Decimal(0)) + row.amount
            entry[1] += row.permanent
            entry[2] += row.temporary
            entry[3] += 1
    return {key: tuple(value) for key, value in sums.items()}


def checkpoints(engine: Engine) -> dict[datetime, Sums]:
    kept: dict[datetime, Sums] = {}
    with engine.connect() as conn:
        for end in conn.scalars(select(t.fact_checkpoints.c.ends_at)):
            kept[end] = {}
        for r in conn.execute(select(t.fact_checkpoint_sums)):
            if r.count:  # a key whose rows all went may stay, at zero
                key = (r.portfolio_id, r.illustrative, r.kind, r.currency, r.effective_date)
                kept[r.ends_at][key] = (r.amount, r.permanent, r.temporary, r.count)
    return kept


def assert_checkpoints_true(engine: Engine, at_least: int) -> None:
    kept = checkpoints(engine)
    assert len(kept) >= at_least
    for end, sums in kept.items():
        assert sums == known_sums(engine, end), end


def groups(rows: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (
            r.kind,
            r.currency or "",
            r.effective_date,
            None if r.amount is None else Decimal(r.amount),
            int(r.permanent or 0),
            int(r.temporary or 0),
            int(r.count),
        )
        for r in rows
        if r.count
    )


def moments(engine: Engine) -> list[datetime]:
    """Every moment the ledger changed, a microsecond before each, and the checkpoints'."""
    facts = t.facts.c
    with engine.connect() as conn:
        stamps = {
            *conn.scalars(select(facts.recorded_at)),
            *conn.scalars(select(facts.superseded_at).where(facts.superseded_at.is_not(None))),
            *conn.scalars(select(t.fact_checkpoints.c.ends_at)),
        }
    return sorted({*stamps, *(s - timedelta(microseconds=1) for s in stamps)})


def assert_reports_true(engine: Engine, portfolio: UUID, at: list[datetime]) -> None:
    """At every moment: the figures from the checkpoints equal the ledger summed whole."""
    with engine.connect() as conn:
        for moment in at:
            for as_of, layer in ((None, "all"), (date(2024, 9, 1), "all"), (None, "reported")):
                query = ReportQuery(portfolio, as_of=as_of, known_at=moment)
                query = query if layer == "all" else _with_layer(query, layer)
                from_checkpoints = groups(portfolio_fact_groups(conn, query))
                whole = groups(conn.execute(_fact_groups(query, per_project=False)))
                assert from_checkpoints == whole, (moment, as_of, layer)


def _with_layer(query: ReportQuery, layer: str) -> ReportQuery:
    return replace(query, filters=replace(query.filters, layer=layer))


def test_every_checkpoint_holds_what_was_known_then_projected_and_rebuilt(
    tracker: TrackerApplication, engine: Engine, often: None
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 4)
    Projector(tracker, engine).catch_up()
    assert_checkpoints_true(engine, at_least=5)
    assert_reports_true(engine, portfolio, moments(engine))

    rebuild(Projector(tracker, engine))
    assert_checkpoints_true(engine, at_least=5)
    assert_reports_true(engine, portfolio, moments(engine))


def _project(portfolio: UUID, n: int, rng: random.Random) -> Project:
    plan = Plan(
        title=f"Late plant {n}",
        sector="energy",
        regions=("KZ-61",),
        countries=(),
        parties=("Bench",),
        planned_investment=money("1000000", "KZT"),
        planned_jobs=10,
        planned_start=None,
        planned_end=None,
    )
    project = Project.announce(portfolio, plan, on("2024-03-01"))
    for day in range(2, 9):
        envelope = on(f"2024-04-0{day}")
        amount = money(f"{rng.randrange(1, 90)}000.{day}", "KZT")
        project.execute(CommitInvestment(amount) if day % 2 else DisburseFunds(amount), envelope)
    project.execute(CreateJobs(3, 4), on("2024-04-10"))
    return project


def test_a_change_recorded_before_a_checkpoint_it_is_applied_after_is_added_to_it(
    tracker: TrackerApplication, engine: Engine, often: None
) -> None:
    """Events reach the projector in the log's order, not their recorded times' (a writer
    whose transaction commits late): a checkpoint made meanwhile gains what they change."""
    portfolio, made, early = _late_history(tracker, engine)

    assert made
    assert made <= set(checkpoints(engine))
    earliest = min(e.timestamp for e in tracker.events.get(early))
    assert naive_utc(earliest) <= max(made)  # so the checkpoints made had to gain them
    assert_checkpoints_true(engine, at_least=len(made))
    assert_reports_true(engine, portfolio, moments(engine))


def test_a_rebuild_counts_each_checkpoint_from_the_one_before_as_the_ledger_sums_it(
    tracker: TrackerApplication, engine: Engine, often: None
) -> None:
    """A rebuild adds each checkpoint's changes to the previous checkpoint's sums in SQL:
    with facts recorded out of order, corrected and retracted (rows that stop counting, some
    in a later checkpoint than they started in), each checkpoint still equals the ledger
    summed at its moment, and no key is kept whose rows all stopped counting."""
    portfolio, _, _ = _late_history(tracker, engine)
    busy_history(tracker, portfolio, 10, 2)

    rebuild(Projector(tracker, engine))

    kept = checkpoints(engine)
    assert len(kept) >= 5
    for end, sums in kept.items():
        assert sums == known_sums(engine, end), end
    with engine.connect() as conn:
        emptied = conn.scalar(
            select(func.count())
            .select_from(t.fact_checkpoint_sums)
            .where(t.fact_checkpoint_sums.c.count == 0)
        )
        stopped = conn.scalar(select(func.count()).where(t.facts.c.superseded_at.is_not(None)))
    assert emptied == 0
    assert stopped  # the history has rows that stopped counting
    assert_reports_true(engine, portfolio, moments(engine))


def test_an_amount_negated_in_sql_keeps_every_digit(engine: Engine) -> None:
    """The rebuild's checkpoints take stopped rows off with ``negated`` (SQLite: decimal text,
    never a float)."""
    amounts = [Decimal("12345678901234567890123456789012.123456"), Decimal("-0.000001")]
    with engine.connect() as conn:
        for amount in amounts:
            turned = conn.scalar(select(negated(literal(amount, Amount()))))
            assert turned == amount.copy_negate()  # `-amount` would round to 28 digits
        assert conn.scalar(select(negated(cast(literal(None), Amount())))) is None


def _late_history(tracker: TrackerApplication, engine: Engine) -> tuple[UUID, set[datetime], UUID]:
    """A history whose last events were made (and timed) before others saved earlier: the
    portfolio, the checkpoints made before they were saved, and the late project."""
    portfolio = establish(tracker)
    rng = random.Random(3)
    stored = _project(portfolio, 0, rng)
    tracker.save_many([stored])
    Projector(tracker, engine).catch_up()
    # Made first (earlier times), saved last: a project whose batch corrects and retracts
    # its own facts, and the retraction of a stored fact.
    early = _project(portfolio, 1, rng)
    early.execute(
        Correct(3, "typo", Replacement(amount=money("5.5", "KZT"))),
        on("2024-04-11"),
        events={3: _pending(early, 3)},
    )
    early.execute(Retract(4, "twice"), on("2024-04-12"), events={4: _pending(early, 4)})
    stored = tracker.project(stored.id)
    history = {e.originator_version: e for e in tracker.events.get(stored.id)}
    stored.execute(Retract(5, "withdrawn"), on("2024-04-13"), events={5: history[5]})
    late = _project(portfolio, 2, rng)
    tracker.save_many([late])
    Projector(tracker, engine).catch_up()
    made = set(checkpoints(engine))
    tracker.save_many([early, stored])
    Projector(tracker, engine).catch_up()
    return portfolio, made, early.id


def _pending(project: Project, version: int) -> Any:
    """An event of a project still in memory (not saved yet)."""
    return next(e for e in project.pending_events if e.originator_version == version)
