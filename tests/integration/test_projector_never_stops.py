"""No single event may stop the read model, and a rebuild never leaves it emptier than before.

Found in use: a project titled ``"nul\\u0000title"`` was stored, and on PostgreSQL (whose text
cannot hold NUL) the projector then failed on every retry, so no later event of any portfolio
reached the reports; ``tracker projections rebuild`` emptied the tables first and stopped at
the same event. The domain now refuses such text (tests/unit/test_input_rules.py); here the
events already stored with it still project, an event that cannot be applied at all is set
aside with its reason, and a rebuild builds beside the live tables and swaps at the head.
Each runs on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from sqlalchemy import Engine, inspect, select

from tests.integration.busy_history import busy_history, busy_project, establish, on
from tests.integration.projected_view import assert_applied_exactly_once, view_rows
from tracker.application import TrackerApplication
from tracker.domain.commands import Correct, Replacement
from tracker.domain.project import Plan, Project
from tracker.domain.values import Money, Source
from tracker.readmodel import projector as projector_module
from tracker.readmodel import rebuild as rebuild_module
from tracker.readmodel import tables as t
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import rebuild
from tracker.readmodel.view_batch import ViewBatch


def stored_with(event: Any, **values: Any) -> None:
    """Give a pending event values the domain refuses today, as events stored before the
    rule was made still carry them."""
    for name, value in values.items():
        object.__setattr__(event, name, value)


def project_with_nul_text(tracker: TrackerApplication, portfolio: UUID, title: str) -> UUID:
    plan = Plan(
        title=title.replace("\x00", " "),
        sector="energy",
        regions=("KZ-61",),
        countries=(),
        parties=(),
        planned_investment=Money.of("1000.00", "USD"),
        planned_jobs=10,
        planned_start=None,
        planned_end=None,
    )
    project = Project.announce(portfolio, plan, on("2024-03-01"))
    stored_with(project.pending_events[0], title=title)
    tracker.save(project)
    return project.id


def correction_with_nul_text(tracker: TrackerApplication, project_id: UUID) -> None:
    project = tracker.project(project_id)
    tracker.apply_command(
        project, Correct(1, "sector", Replacement(sector="metals")), on("2024-04-01")
    )
    correction = project.pending_events[0]
    stored_with(
        correction,
        replacement=replace(correction.replacement, sector="met\x00als"),
        source=Source("Gazette\x00", None),
    )
    tracker.save(project)


def unreadable_event(tracker: TrackerApplication) -> int:
    """A stored event that no code can turn back into a domain event."""
    stored = StoredEvent(uuid4(), 1, "tracker:Project.NoSuchEvent", b"{}")
    return tracker.recorder.insert_events([stored])[0]


def project_rows(engine: Engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.projects.c.project_id, t.projects.c.title, t.projects.c.sector)
        )
        return {row[0]: (row[1], row[2]) for row in rows}


def without_failure_times(engine: Engine) -> dict[str, Any]:
    rows = view_rows(engine)
    rows["rm_failures"] = sorted(row[:-1] for row in rows["rm_failures"])  # type: ignore[assignment]
    return rows


def test_text_with_nul_already_stored_still_reaches_the_reports(
    tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = establish(tracker)
    damaged = project_with_nul_text(tracker, portfolio, "nul\x00title")
    corrected = busy_project(tracker, portfolio, 0)
    correction_with_nul_text(tracker, corrected)
    later = busy_project(tracker, portfolio, 1)
    projector = Projector(tracker, engine)

    assert projector.catch_up() == tracker.recorder.max_notification_id()

    projects = project_rows(engine)
    assert projects[str(damaged)] == ("nul\ufffdtitle", "energy")
    assert projects[str(corrected)][1] == "met\ufffdals"
    assert str(later) in projects
    assert projector.set_aside() == []
    # A rebuild gets as far, and to the same rows.
    before = view_rows(engine)
    assert rebuild(projector) == tracker.recorder.max_notification_id()
    assert view_rows(engine) == before


@pytest.mark.parametrize("batch", [1, 1000])
def test_an_event_that_cannot_be_applied_is_set_aside_and_the_rest_go_on(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(projector_module, "BATCH", batch)
    portfolio = establish(tracker)
    first = busy_project(tracker, portfolio, 1)
    bad = unreadable_event(tracker)
    second = busy_project(tracker, portfolio, 2)
    projector = Projector(tracker, engine)

    assert projector.catch_up() == tracker.recorder.max_notification_id()

    (failure,) = projector.set_aside()
    assert failure.position == bad
    assert failure.topic == "tracker:Project.NoSuchEvent"
    assert "NoSuchEvent" in failure.error
    assert {str(first), str(second)} <= set(project_rows(engine))
    # Applied one at a time or in one batch around the bad event: the same rows. A rebuild
    # meets the same event, sets it aside again and swaps in the same view.
    live = without_failure_times(engine)
    rebuild(projector)
    assert without_failure_times(engine) == live


@pytest.mark.parametrize("blank_settings", ["sqlite"], indirect=True)
def test_an_event_stored_under_an_id_that_is_no_uuid_is_set_aside(
    tracker: TrackerApplication, engine: Engine
) -> None:
    """SQLite keeps whatever a hand-made UPDATE wrote (PostgreSQL's column holds only UUIDs):
    the event is set aside, and the batch it was read in, and a rebuild, go on without it.
    (The library's read made a ``UUID`` of every id it read, so one such row stopped the
    projector at its batch.)"""
    portfolio = establish(tracker)
    first = busy_project(tracker, portfolio, 1)
    bad = unreadable_event(tracker)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE stored_events SET originator_id = 'not a uuid' WHERE rowid = ?", (bad,)
        )
    second = busy_project(tracker, portfolio, 2)
    projector = Projector(tracker, engine)

    assert projector.catch_up() == tracker.recorder.max_notification_id()

    (failure,) = projector.set_aside()
    assert (failure.position, failure.originator_id) == (bad, "not a uuid")
    assert {str(first), str(second)} <= set(project_rows(engine))
    live = without_failure_times(engine)
    rebuild(projector)
    assert without_failure_times(engine) == live


def test_a_rebuild_leaves_the_live_view_to_readers_until_it_swaps(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rebuild_module, "REBUILD_BATCH", 7)
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 3)
    projector = Projector(tracker, engine)
    projector.catch_up()
    before = view_rows(engine)
    del before["rm_position"]
    seen_meanwhile: list[Any] = []

    def look(applied: int, head: int) -> None:
        rows = view_rows(engine)
        # Beside the live position, the rebuild keeps its own.
        assert {row[0] for row in rows.pop("rm_position")} == {"readmodel", "readmodel:rebuild"}
        seen_meanwhile.append(rows)
        if len(seen_meanwhile) == 2:  # a write that arrives while the rebuild runs
            busy_project(tracker, portfolio, 9)

    head = rebuild(projector, look)

    assert len(seen_meanwhile) > 2
    assert all(rows == before for rows in seen_meanwhile)
    assert head == tracker.recorder.max_notification_id()
    assert_applied_exactly_once(tracker, engine)
    assert not [name for name in inspect(engine).get_table_names() if name.endswith("_next")]


def test_an_interrupted_rebuild_leaves_the_old_figures_and_the_next_one_completes(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rebuild_module, "REBUILD_BATCH", 7)
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 2)
    projector = Projector(tracker, engine)
    projector.catch_up()
    before = view_rows(engine)

    def killed(applied: int, head: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(projector, killed)

    after = view_rows(engine)
    assert after.pop("rm_position") - before.pop("rm_position") == {("readmodel:rebuild", 7): 1}
    assert after == before
    # The live projector goes on while the copies lie there, and the next rebuild starts
    # them afresh.
    busy_project(tracker, portfolio, 5)
    projector.catch_up()
    caught_up = view_rows(engine)
    del caught_up["rm_position"]["readmodel:rebuild", 7]
    assert rebuild(projector) == tracker.recorder.max_notification_id()
    assert view_rows(engine) == caught_up


def test_a_rebuild_stopped_inside_a_batch_leaves_the_garbage_collector_running(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild pauses Python's cyclic collector while it applies a batch; stopped there,
    it must not leave the whole process without one."""
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 2)
    projector = Projector(tracker, engine)
    projector.catch_up()
    paused_in_batch: list[bool] = []

    def stopped(batch: ViewBatch, conn: Any) -> None:
        paused_in_batch.append(not gc.isenabled())
        raise KeyboardInterrupt

    monkeypatch.setattr(ViewBatch, "write", stopped)
    assert gc.isenabled()
    with pytest.raises(KeyboardInterrupt):
        rebuild(projector)
    assert paused_in_batch == [True]
    assert gc.isenabled()


def test_an_event_dated_in_the_domain_s_past_range_still_projects(
    tracker: TrackerApplication, engine: Engine
) -> None:
    """Stored before the date rule: a commitment dated 0001-01-01 is applied, not set aside."""
    portfolio = establish(tracker)
    project = tracker.project(busy_project(tracker, portfolio, 1))
    tracker.apply_command(project, Correct(1, "x", Replacement(planned_jobs=5)), on("2025-08-01"))
    stored_with(project.pending_events[0], effective_date=date(1, 1, 1))
    tracker.save(project)
    projector = Projector(tracker, engine)
    assert projector.catch_up() == tracker.recorder.max_notification_id()
    assert projector.set_aside() == []
