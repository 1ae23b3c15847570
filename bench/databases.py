"""The databases the bench measures: a SQLite file or a PostgreSQL schema of its own,
migrated, and the tracker, read model and projector opened on one.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.measure import REPO
from tracker.application import TrackerApplication
from tracker.eventstore.migrate import upgrade
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.settings import Settings

POSTGRES_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@dataclass
class Database:
    label: str
    settings: Settings
    env: dict[str, str]


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(
        PYTHONPATH=str(REPO),
        TRACKER_RATE_LIMIT_PER_ADDRESS="0",
        TRACKER_RATE_LIMIT_PER_KEY="0",
        TRACKER_LOG_FORMAT="json",
        TRACKER_ACCESS_LOG="true",
        TRACKER_LOG_LEVEL="info",
    )
    return env


@contextmanager
def sqlite_database(directory: Path, name: str) -> Iterator[Database]:
    settings = Settings(database_url=f"sqlite:///{directory}/{name}.db")
    env = base_env()
    env.update(TRACKER_DATABASE_URL=settings.database_url, TRACKER_PROJECTOR="inprocess")
    upgrade(settings)
    yield Database("SQLite", settings, env)


@contextmanager
def postgres_database(name: str) -> Iterator[Database]:
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        settings = Settings(database_url=POSTGRES_URL, db_schema=schema, pool_size=4)
        env = base_env()
        env.update(
            TRACKER_DATABASE_URL=POSTGRES_URL,
            TRACKER_DB_SCHEMA=schema,
            TRACKER_PROJECTOR="external",
        )
        upgrade(settings)
        yield Database("PostgreSQL", settings, env)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def copy_event_log(source: Path, target: Database) -> int:
    """The event log of a SQLite file (events, snapshots, the chain's links) copied into
    ``target``'s empty PostgreSQL event store with ``COPY``, every event at its position: the
    same data set on both databases without generating it twice. The number of events."""
    schema = sql.Identifier(target.settings.db_schema)
    copies = (
        (
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events",
            "tracker_events",
            ("notification_id", "originator_id", "originator_version", "topic", "state"),
        ),
        (
            "SELECT originator_id, originator_version, topic, state FROM stored_snapshots",
            "tracker_snapshots",
            ("originator_id", "originator_version", "topic", "state"),
        ),
        ("SELECT position, link FROM event_chain", "event_chain", ("position", "link")),
    )
    with closing(sqlite3.connect(source)) as lite, psycopg.connect(POSTGRES_URL) as pg:
        for select, table, columns in copies:
            statement = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
                schema, sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            with pg.cursor().copy(statement) as copy:
                for row in lite.execute(select):  # a UUID's 32 hex digits are a uuid's text
                    copy.write_row(row)
        events = sql.SQL("{}.tracker_events").format(schema)
        row = pg.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
                "coalesce(max(notification_id), 1), count(*) > 0), count(*) FROM {}"
            ).format(events),
            (events.as_string(pg),),
        ).fetchone()
    assert row is not None
    return int(row[1])


def postgres_reason() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {error}".strip()


@dataclass
class Opened:
    tracker: TrackerApplication
    engine: Any
    projector: Projector

    def close(self) -> None:
        self.engine.dispose()
        self.tracker.close()


@contextmanager
def opened(db: Database) -> Iterator[Opened]:
    tracker = TrackerApplication(db.settings)
    engine = create_readmodel_engine(db.settings, pool_size=4)
    handle = Opened(tracker, engine, Projector(tracker, engine))
    try:
        yield handle
    finally:
        handle.close()


def wait_until_applied(handle: Opened, timeout: float = 120.0) -> float:
    """Seconds until the projector (another process) has applied the whole log."""
    started = time.monotonic()
    head = handle.projector.head_position()
    while handle.projector.applied_position() < head:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"the projector did not catch up with {head} in {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - started


def analyze(db: Database, engine: Any) -> None:
    """Gather planner statistics on the read model and, on PostgreSQL, mark its pages
    all-visible (so that an index holding every column is read alone), as autovacuum would."""
    if not db.settings.is_postgres:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return
    schema = db.settings.db_schema
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM needs it
        for table in ("rm_plans", "rm_statuses", "rm_facts", "rm_projects", "rm_targets"):
            conn.exec_driver_sql(f'VACUUM ANALYZE "{schema}"."{table}"')
