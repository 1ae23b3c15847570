"""The current ledger rows of the facts a batch corrects or retracts
(tracker/readmodel/current_facts.py): exactly those rows, whichever keys are named, and on
SQLite read over the ledger's (project, version) index, not by reading the whole ledger."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select
from sqlalchemy import event as sqlalchemy_event

from tests.integration.busy_history import busy_history, establish
from tracker.application import TrackerApplication
from tracker.readmodel import tables as t
from tracker.readmodel.current_facts import current_facts
from tracker.readmodel.projector import Projector


def test_the_current_rows_of_the_named_facts_and_only_those(
    tracker: TrackerApplication, engine: Engine
) -> None:
    busy_history(tracker, establish(tracker), 0, 3)  # corrections, retractions, plan changes
    Projector(tracker, engine).catch_up()
    with engine.connect() as conn:
        every = [dict(row._mapping) for row in conn.execute(select(t.facts))]
        keys = {(row["project_id"], row["fact_version"]) for row in every}
        current = {
            (row["project_id"], row["fact_version"]): row
            for row in every
            if row["superseded_position"] is None
        }
        retracted = keys - set(current)
        assert retracted  # the history retracts facts: their keys find nothing
        named = set(list(current)[::2]) | retracted | {("no such project", 1)}

        found = list(current_facts(conn, t.facts, named))

        assert sorted(found, key=lambda row: row["id"]) == sorted(
            (row for key, row in current.items() if key in named), key=lambda row: row["id"]
        )
        assert list(current_facts(conn, t.facts, set())) == []


# SQLite's plan: PostgreSQL reads a list of key pairs over the index by itself.
@pytest.mark.parametrize("blank_settings", ["sqlite"], indirect=True)
def test_on_sqlite_the_named_facts_are_read_over_the_ledgers_index(
    tracker: TrackerApplication, engine: Engine
) -> None:
    busy_history(tracker, establish(tracker), 0, 2)
    Projector(tracker, engine).catch_up()
    sent: list[tuple[str, Any]] = []

    def heard(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    with engine.connect() as conn:
        keys = {(row.project_id, row.fact_version) for row in conn.execute(select(t.facts))}
        sqlalchemy_event.listen(conn, "before_cursor_execute", heard)
        list(current_facts(conn, t.facts, keys))
        sqlalchemy_event.remove(conn, "before_cursor_execute", heard)
        for statement, parameters in sent:
            plan = query_plan(conn, statement, parameters)
            assert not any(step.startswith("SCAN rm_facts") for step in plan), plan
            assert any("USING INDEX ix_rm_facts_project" in step for step in plan), plan
    assert sent


def query_plan(conn: Connection, statement: str, parameters: Any) -> list[str]:
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    return [row[-1] for row in rows]
