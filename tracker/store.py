"""What the event store knows that the library does not hand out: global positions, and
an aggregate's events at chosen versions."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier


def event_positions(
    recorder: ApplicationRecorder, originator_id: UUID, *, version: int | None = None
) -> dict[int, int]:
    """Map each version of one aggregate (or only ``version``) to its position in the global
    notification log."""
    rows: list[Any]
    if isinstance(recorder, SQLiteApplicationRecorder):
        statement = (
            f"SELECT originator_version, rowid FROM {recorder.events_table_name} "
            "WHERE originator_id = ?"
        )
        params: tuple[Any, ...] = (originator_id.hex,)
        if version is not None:
            statement += " AND originator_version = ?"
            params += (version,)
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            rows = [tuple(row) for row in cursor.fetchall()]
    elif isinstance(recorder, PostgresApplicationRecorder):
        query = SQL(
            "SELECT originator_version, notification_id FROM {}.{} WHERE originator_id = %s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        pg_params: tuple[Any, ...] = (originator_id,)
        if version is not None:
            query += SQL(" AND originator_version = %s")
            pg_params += (version,)
        with recorder.datastore.transaction(commit=False) as pg_cursor:
            pg_cursor.execute(query, pg_params)
            rows = [(r["originator_version"], r["notification_id"]) for r in pg_cursor.fetchall()]
    else:  # pragma: no cover - only the two supported databases exist
        raise TypeError(f"unsupported recorder {type(recorder).__name__}")
    return {int(v): int(position) for v, position in rows}


def select_events_at(
    recorder: ApplicationRecorder, originator_id: UUID, versions: Collection[int]
) -> list[StoredEvent]:
    """The stored events of one aggregate at ``versions`` (one indexed read), in version
    order; a version with no event is left out."""
    if not versions:
        return []
    if isinstance(recorder, SQLiteApplicationRecorder):
        marks = ", ".join("?" * len(versions))
        statement = (
            f"{recorder.select_events_statement}AND originator_version IN ({marks}) "
            "ORDER BY originator_version"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (originator_id.hex, *versions))
            rows = [
                (row["originator_version"], row["topic"], row["state"]) for row in cursor.fetchall()
            ]
    elif isinstance(recorder, PostgresApplicationRecorder):
        query = recorder.select_events_statement + SQL(
            " AND originator_version = ANY(%s) ORDER BY originator_version"
        )
        with recorder.datastore.get_connection() as conn, conn.cursor() as pg_cursor:
            pg_cursor.execute(query, (originator_id, list(versions)), prepare=True)
            rows = [
                (r["originator_version"], r["topic"], bytes(r["state"]))
                for r in pg_cursor.fetchall()
            ]
    else:  # pragma: no cover - only the two supported databases exist
        raise TypeError(f"unsupported recorder {type(recorder).__name__}")
    return [StoredEvent(originator_id, version, topic, state) for version, topic, state in rows]
