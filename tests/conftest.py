"""Database fixtures: every integration test runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.databases import (
    MigrationScript,
    copy_sqlite,
    migrated_sqlite_template,
    record_migration,
)
from tracker.application import TrackerApplication
from tracker.i18n import set_language
from tracker.settings import Settings

POSTGRES_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def pytest_configure(config: pytest.Config) -> None:
    """A pytest-xdist worker inherits ``COLUMNS`` from its controller's terminal; a rich
    console made when the CLI is imported would keep that width for good, whatever
    ``COLUMNS`` a CLI test sets for its run. Without it the width is read at each print."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.pop("COLUMNS", None)


#: Tests that share one xdist worker, by where they are (the longest units of work, which
#: xdist's scope scheduling hands out first): the reliability tests run one at a time beside
#: the rest (each starts servers and loads them: two at once would mostly measure each
#: other); the browser tests share their servers and Chromium (tests/browser/conftest.py);
#: the modules that only read the demo load it once per database (``demo_site``).
WORKER_GROUPS = {
    "tests/reliability/": "reliability",
    "tests/browser/": "browser",
    "tests/http/test_reported_layer_pages.py": "reported_layer_pages",
    "tests/http/test_recorded_times.py": "recorded_times",
}


class GroupedScheduling(LoadScopeScheduling):
    """xdist's scope scheduling with :data:`WORKER_GROUPS` as the scopes, every other test a
    unit of its own. It replaces ``--dist loadgroup``, whose ``xdist_group`` marks group
    nothing on pytest 9.2 (xdist renames node ids to carry the group, and pytest 9.2 no
    longer takes the new name: pytest-dev/pytest-xdist#1386); a test's path is known to the
    scheduler, its marks are not."""

    def _split_scope(self, nodeid: str) -> str:
        return worker_group(nodeid)


def worker_group(nodeid: str) -> str:
    """The unit of work of a test: its group in :data:`WORKER_GROUPS`, else the test alone."""
    return next((group for path, group in WORKER_GROUPS.items() if nodeid.startswith(path)), nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> GroupedScheduling:
    return GroupedScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (``make test``): one worker more than this process may use cores. With one
    per core a sixth of a run's CPU time was idle (17 % on 2 cores, 2026-12-02): the
    reliability tests, one at a time in one worker, mostly wait for the servers they start,
    kill or cut off, and the browser tests for Chromium. ``PYTEST_XDIST_AUTO_NUM_WORKERS``
    still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or ``None`` when it can."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {error}".strip()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    reason = postgres_unavailable()
    if reason is not None:
        if os.environ.get("TRACKER_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"TRACKER_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A fresh, empty schema of the test database, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def sqlite_settings(tmp_path: os.PathLike[str]) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/tracker.db", snapshot_interval=5)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_settings(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Settings:
    """Settings for an empty database of each kind, before any migration."""
    if request.param == "sqlite":
        return sqlite_settings(tmp_path)
    schema = request.getfixturevalue("postgres_schema")
    url = request.getfixturevalue("postgres_url")
    return Settings(database_url=url, db_schema=schema, snapshot_interval=5, pool_size=10)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session, for tests to copy."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("migrated"))


@pytest.fixture(scope="session")
def migration_script(postgres_url: str) -> MigrationScript:
    """What the migrations send to PostgreSQL, recorded once per session, to replay."""
    return record_migration(postgres_url)


@pytest.fixture
def settings(request: pytest.FixtureRequest, blank_settings: Settings) -> Settings:
    """Settings for a migrated, empty database of each kind: a copy of one migrated once this
    session (tests/databases.py; tests/integration/test_migrations.py runs the real chain)."""
    if blank_settings.is_postgres:
        script: MigrationScript = request.getfixturevalue("migration_script")
        script.apply(blank_settings.database_url, blank_settings.db_schema)
    else:
        copy_sqlite(request.getfixturevalue("migrated_sqlite"), blank_settings.sqlite_path)
    return blank_settings


@pytest.fixture
def tracker(settings: Settings) -> Iterator[TrackerApplication]:
    """The application on that database, closed afterwards."""
    app = TrackerApplication(settings)
    yield app
    app.close()


@pytest.fixture(autouse=True)
def _speaks_english() -> Iterator[None]:
    """Each test starts in English: a CLI run in the test's process sets the language of its
    context (``--lang``), which the next test would otherwise inherit."""
    set_language("en")
    yield
    set_language("en")
