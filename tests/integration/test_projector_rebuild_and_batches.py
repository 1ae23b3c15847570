"""The projector applies every event exactly once: on a rebuild, and a batch at once.

(c) ``rebuild()`` empties the view and applies the log again: same rows, same reports.
(d) A batch is applied in memory and written at once: it writes the rows that applying one
    event at a time writes, also when a correction refers to a fact of the same batch; and a
    writer whose event another writer's catch-up already applied waits for nothing.

Each runs on a SQLite file and on PostgreSQL, checked against the oracle and by counting the
events that make rows (tests/integration/projected_view.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine
from sqlalchemy import event as sqlalchemy_event

from tests.integration.busy_history import busy_history, busy_project, establish, money, on
from tests.integration.projected_view import (
    DIMENSIONS,
    assert_applied_exactly_once,
    assert_reports_equal_the_oracle,
    view_rows,
)
from tracker.application import TrackerApplication
from tracker.domain.commands import (
    ChangeStatus,
    CommitInvestment,
    Correct,
    CreateJobs,
    Replacement,
    Retract,
)
from tracker.domain.project import Plan
from tracker.readmodel import projector as projector_module
from tracker.readmodel import reports
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import rebuild
from tracker.readmodel.reports import ReportQuery

# (c) rebuild


def test_rebuild_from_an_empty_view_gives_the_same_reports(
    tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 4)
    projector = Projector(tracker, engine)
    projector.catch_up()
    query = ReportQuery(portfolio, as_of=date(2025, 3, 15), currency="KZT")
    with engine.connect() as conn:
        before = (
            reports.progress(conn, query),
            [reports.breakdown(conn, query, by) for by in DIMENSIONS],
        )
    rows_before = view_rows(engine)

    progress: list[tuple[int, int]] = []
    head = rebuild(projector, lambda applied, total: progress.append((applied, total)))

    assert head == tracker.recorder.max_notification_id()
    assert progress and progress[-1] == (head, head)
    assert view_rows(engine) == rows_before
    with engine.connect() as conn:
        after = (
            reports.progress(conn, query),
            [reports.breakdown(conn, query, by) for by in DIMENSIONS],
        )
    assert after == before
    assert_applied_exactly_once(tracker, engine)
    assert_reports_equal_the_oracle(tracker, engine, portfolio)


# (d) batches


def corrections_in_a_row(tracker: TrackerApplication, portfolio: UUID) -> None:
    """A fact corrected twice then retracted, another corrected, the plan corrected twice:
    in one batch, each correction refers to a row written by the same batch."""
    plan = Plan(
        title="Plant in a row",
        sector="energy",
        regions=("KZ-61",),
        countries=(),
        parties=("KazInvest",),
        planned_investment=money("5000000.00", "USD"),
        planned_jobs=100,
        planned_start=None,
        planned_end=None,
    )
    project = tracker.announce_project(portfolio, plan, on("2025-07-30")).id

    def record(command: Any, day: str) -> int:
        return tracker.record(project, command, on(day)).version

    record(ChangeStatus("under_implementation"), "2025-07-31")
    committed = record(CommitInvestment(money("1000.00", "USD")), "2025-08-01")
    jobs = record(CreateJobs(5, 1), "2025-08-02")
    record(Correct(committed, "typo", Replacement(amount=money("1100.00", "KZT"))), "2025-08-03")
    record(Correct(committed, "date", Replacement(effective_date=date(2025, 7, 1))), "2025-08-04")
    record(Retract(committed, "never signed"), "2025-08-05")
    record(Correct(jobs, "recount", Replacement(permanent=7)), "2025-08-06")
    record(Correct(1, "restated", Replacement(sector="chemicals")), "2025-08-07")
    record(Correct(1, "restated again", Replacement(planned_jobs=321)), "2025-08-08")


def test_a_batch_writes_what_one_event_at_a_time_writes(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 3)
    corrections_in_a_row(tracker, portfolio)
    with monkeypatch.context() as patched:
        patched.setattr(projector_module, "BATCH", 1)
        Projector(tracker, engine).catch_up()
    one_at_a_time = view_rows(engine)

    rebuild(Projector(tracker, engine))  # the whole log in one batch

    assert view_rows(engine) == one_at_a_time
    assert_applied_exactly_once(tracker, engine)
    assert_reports_equal_the_oracle(tracker, engine, portfolio)


def count_statements(engine: Engine) -> list[str]:
    statements: list[str] = []

    @sqlalchemy_event.listens_for(engine, "before_cursor_execute")
    def executed(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    return statements


def test_a_writer_whose_event_is_already_applied_waits_for_nothing(
    tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = establish(tracker)
    projector = Projector(tracker, engine)
    projector.catch_up()
    first = busy_project(tracker, portfolio, 1)
    second = busy_project(tracker, portfolio, 2)
    head = tracker.recorder.max_notification_id()

    # The first writer's call applies every pending event, the second writer's too ...
    assert projector.ensure_applied(head - 1) == head
    assert projector.seen_position == head
    # ... so the second writer's call asks the database nothing.
    statements = count_statements(engine)
    assert projector.ensure_applied(head) == head
    assert statements == []

    assert_applied_exactly_once(tracker, engine)
    assert {first, second} <= {UUID(row[0]) for row in view_rows(engine)["rm_projects"]}
