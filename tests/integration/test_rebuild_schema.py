"""A rebuild swaps its copies in by renaming them (tracker/readmodel/swap.py): afterwards the
schema describes exactly as the migrations made it (tables, columns, constraints, indexes,
sequences, and their names), and a rebuild that stops before or during the swap leaves the
live tables, their indexes and their rows as they were.
"""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack, closing
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, func, select, text

from tests.databases import ON_POSTGRES_ONLY
from tests.integration.busy_history import busy_history, establish
from tests.integration.projected_view import assert_applied_exactly_once, view_rows
from tests.integration.test_migrations import describe
from tracker.application import TrackerApplication
from tracker.readmodel import rebuild as rebuild_module
from tracker.readmodel import swap
from tracker.readmodel import tables as t
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import RebuildFailed, rebuild
from tracker.readmodel.views import REBUILD_SUFFIX
from tracker.settings import Settings


def projected(tracker: TrackerApplication, engine: Engine) -> Projector:
    busy_history(tracker, establish(tracker), 0, 2)
    projector = Projector(tracker, engine)
    projector.catch_up()
    return projector


def without_copies(description: dict[str, Any]) -> dict[str, Any]:
    """The description less every object a rebuild's copies add (their names carry the
    suffix): what the live tables are described as while copies lie beside them."""

    def live(entry: Any) -> bool:
        values = entry if isinstance(entry, tuple) else (entry,)
        return not any(isinstance(v, str) and REBUILD_SUFFIX in v for v in values)

    kept: dict[str, Any] = {}
    for key, value in description.items():
        if isinstance(value, list):
            kept[key] = [entry for entry in value if live(entry)]
        elif isinstance(value, dict):
            kept[key] = {name: entry for name, entry in value.items() if live(name)}
        else:
            kept[key] = value
    return kept


def live_rows_of(rows: dict[str, Any]) -> dict[str, Any]:
    """The view's rows less the rebuild's own position row (its copies' progress)."""
    positions = rows["rm_position"]
    return {
        **rows,
        "rm_position": {key: n for key, n in positions.items() if key[0] == "readmodel"},
    }


def live_rows(engine: Engine) -> dict[str, Any]:
    return live_rows_of(view_rows(engine))


def assert_sound(settings: Settings) -> None:
    if not settings.is_postgres:
        with closing(sqlite3.connect(settings.sqlite_path)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_after_a_rebuild_the_schema_describes_as_the_migrated_one(
    settings: Settings, tracker: TrackerApplication, engine: Engine
) -> None:
    migrated = describe(settings)
    projector = projected(tracker, engine)
    rows = view_rows(engine)

    rebuild(projector)
    assert describe(settings) == migrated
    assert view_rows(engine) == rows
    # A second rebuild starts from tables a rebuild made: the same again.
    rebuild(projector)

    assert describe(settings) == migrated
    assert view_rows(engine) == rows
    assert_applied_exactly_once(tracker, engine)
    assert_sound(settings)


def test_a_rebuild_stopped_before_the_swap_leaves_the_live_tables_and_indexes(
    settings: Settings,
    tracker: TrackerApplication,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rebuild_module, "REBUILD_BATCH", 7)
    migrated = describe(settings)
    projector = projected(tracker, engine)
    rows = live_rows(engine)

    def stopped(applied: int, head: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(projector, stopped)

    during = describe(settings)
    assert during != migrated  # the copies lie beside the live tables
    assert without_copies(during) == migrated
    assert live_rows(engine) == rows
    assert rebuild(projector) == tracker.recorder.max_notification_id()
    assert describe(settings) == migrated


def assert_the_failed_swap_left_nothing(
    settings: Settings,
    engine: Engine,
    projector: Projector,
    migrated: Any,
    rows: Any,
) -> None:
    """A rebuild whose swap fails ("the disk went away") leaves the live tables, their
    indexes and rows as they were."""
    with pytest.raises(OSError, match="the disk went away"):
        rebuild(projector)
    assert without_copies(describe(settings)) == migrated
    assert live_rows(engine) == live_rows_of(rows)


def assert_the_next_rebuild_swaps(
    settings: Settings, engine: Engine, projector: Projector, migrated: Any, rows: Any
) -> None:
    rebuild(projector)
    assert describe(settings) == migrated
    assert view_rows(engine) == rows
    assert_sound(settings)


def test_a_swap_that_fails_half_way_leaves_the_live_tables_and_indexes(
    settings: Settings,
    tracker: TrackerApplication,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    migrated = describe(settings)
    projector = projected(tracker, engine)
    rows = view_rows(engine)
    renamed: list[str] = []
    rename_table = swap.rename_table

    def fails_at_the_fifth(conn: Any, old: str, new: str) -> None:
        renamed.append(new)
        if len(renamed) == 5:  # four tables already dropped and replaced
            raise OSError("the disk went away")
        rename_table(conn, old, new)

    with monkeypatch.context() as failing:
        failing.setattr(swap, "rename_table", fails_at_the_fifth)
        assert_the_failed_swap_left_nothing(settings, engine, projector, migrated, rows)
    assert_the_next_rebuild_swaps(settings, engine, projector, migrated, rows)


@ON_POSTGRES_ONLY  # SQLite readers (WAL) never hold a writer back
def test_a_swap_waits_for_readers_only_so_long_and_leaves_the_view_as_it_was(
    settings: Settings,
    tracker: TrackerApplication,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(swap, "LOCK_TIMEOUT", "100ms")
    migrated = describe(settings)
    projector = projected(tracker, engine)
    rows = view_rows(engine)

    with psycopg.connect(settings.database_url) as reader:  # a report that reads on and on
        reader.execute(f'SELECT count(*) FROM "{settings.db_schema}".rm_facts').fetchone()
        with pytest.raises(RebuildFailed):
            rebuild(projector)
        reader.rollback()

    assert without_copies(describe(settings)) == migrated
    assert live_rows(engine) == live_rows_of(rows)
    rebuild(projector)
    assert describe(settings) == migrated
    assert view_rows(engine) == rows


@ON_POSTGRES_ONLY  # SQLite's statistics are refreshed after the swap (PRAGMA optimize)
def test_the_swapped_in_tables_carry_the_planner_s_statistics(
    settings: Settings, tracker: TrackerApplication, engine: Engine
) -> None:
    """The copies are analyzed once loaded, before the recount queries them, and keep their
    statistics through the renames: the live tables need no ANALYZE after the swap."""
    projector = projected(tracker, engine)

    rebuild(projector)

    with engine.connect() as conn:
        for table in (t.facts, t.projects, t.fact_totals, t.statuses):
            rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
            estimated = conn.execute(
                text(
                    "SELECT c.reltuples FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.relname = :name"
                ),
                {"schema": settings.db_schema, "name": table.name},
            ).scalar_one()
            analyzed = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stats WHERE schemaname = :schema AND tablename = :name"
                ),
                {"schema": settings.db_schema, "name": table.name},
            ).scalar_one()
            assert rows > 0
            assert (estimated, analyzed > 0) == (rows, True), table.name


@pytest.mark.parametrize("blank_settings", ["sqlite"], indirect=True)  # a SQLite setting
def test_a_swap_leaves_sqlite_s_secure_deletion_as_it_found_it(
    settings: Settings, tracker: TrackerApplication, engine: Engine
) -> None:
    """The swap drops the old tables without overwriting their freed pages (their rows are
    the event log's, kept in the same file), then gives its connection back as it was."""
    projector = projected(tracker, engine)
    with engine.connect() as conn:
        secure = conn.exec_driver_sql("PRAGMA secure_delete").scalar_one()
    seen: list[int] = []
    rename = swap._rename_sqlite

    def renamed(conn: Any, pairs: Any) -> None:
        seen.append(conn.exec_driver_sql("PRAGMA secure_delete").scalar_one())
        rename(conn, pairs)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(swap, "_rename_sqlite", renamed)
        rebuild(projector)

    assert seen == [2]  # FAST
    # Every connection the pool keeps (it keeps five), the swap's among them.
    with ExitStack() as stack:
        connections = [stack.enter_context(engine.connect()) for _ in range(6)]
        found = {c.exec_driver_sql("PRAGMA secure_delete").scalar_one() for c in connections}
    assert found == {secure}
    assert_sound(settings)


def _index_pages(conn: Any) -> dict[str, int]:
    rows = conn.exec_driver_sql(
        "SELECT name, rootpage FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    )
    return {name: page for name, page in rows}


@pytest.mark.parametrize("blank_settings", ["sqlite"], indirect=True)  # SQLite's renames
def test_sqlite_s_swap_renames_the_copies_indexes_instead_of_building_them_again(
    settings: Settings, tracker: TrackerApplication, engine: Engine
) -> None:
    """The copies' indexes, built before the swap, become the live ones as they are (the
    same b-tree, the live name and text); the rebuilt view reads by them and the file is
    sound, and the connection that swapped knows them by their live names."""
    migrated = describe(settings)
    projector = projected(tracker, engine)
    rows = view_rows(engine)
    before_swap: dict[str, int] = {}
    swap_in = rebuild_module._swap_in

    def noted(live: Projector, copies: Projector) -> int:
        with engine.connect() as conn:
            found = _index_pages(conn)
        before_swap.update(
            {name.removesuffix(REBUILD_SUFFIX): page for name, page in found.items()}
        )
        return swap_in(live, copies)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(rebuild_module, "_swap_in", noted)
        rebuild(projector)

    with ExitStack() as stack:  # every pooled connection, the swap's among them
        for conn in [stack.enter_context(engine.connect()) for _ in range(6)]:
            after = _index_pages(conn)
            live = {name for name in after if name.startswith("ix_rm_")}
            assert live and {name: before_swap[name] for name in live} == {
                name: after[name] for name in live
            }
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM rm_facts WHERE project_id = 'x'"
            ).fetchall()
            assert "ix_rm_facts_project" in str(plan)
    assert describe(settings) == migrated
    assert view_rows(engine) == rows
    assert_sound(settings)


@pytest.mark.parametrize("blank_settings", ["sqlite"], indirect=True)  # SQLite's renames
def test_sqlite_s_swap_makes_again_a_live_index_no_copy_matches(
    settings: Settings, tracker: TrackerApplication, engine: Engine
) -> None:
    """An index the live table has and the copies do not (one an operator added, say) is
    made again from the live text; nothing of the copies' is left under its name."""
    projector = projected(tracker, engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_rm_facts_by_hand ON rm_facts (kind, amount)")
    assert_the_next_rebuild_swaps(
        settings, engine, projector, describe(settings), view_rows(engine)
    )


def test_a_swap_that_fails_after_its_renames_leaves_the_live_tables_and_indexes(
    settings: Settings,
    tracker: TrackerApplication,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every table and index renamed (on SQLite: the schema table written and read again),
    then the swap's transaction fails: the live tables, their indexes and rows are as they
    were, on every connection, and the next rebuild swaps."""
    migrated = describe(settings)
    projector = projected(tracker, engine)
    rows = view_rows(engine)
    swapped = swap.swap

    def fails_after(conn: Any, live: Any, copies: Any) -> None:
        swapped(conn, live, copies)
        raise OSError("the disk went away")

    with monkeypatch.context() as failing:
        failing.setattr(swap, "swap", fails_after)
        assert_the_failed_swap_left_nothing(settings, engine, projector, migrated, rows)
    assert_the_next_rebuild_swaps(settings, engine, projector, migrated, rows)
