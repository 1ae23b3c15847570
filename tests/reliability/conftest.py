"""The reliability tests: each starts servers and loads them, so they run one at a time in one
xdist worker, beside the rest of the suite in the others (``WORKER_GROUPS`` in
tests/conftest.py). ``test_postgres_restart.py`` stops the PostgreSQL server every other test
uses: ``make test`` runs it alone, afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Backend:
    """Where a server under test keeps its data."""

    name: str
    url: str
    schema: str | None = None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """A SQLite file, or a fresh schema of the test PostgreSQL database (dropped afterwards)."""
    if request.param == "sqlite":
        return Backend("sqlite", f"sqlite:///{tmp_path}/tracker.db")
    url = request.getfixturevalue("postgres_url")
    return Backend("postgres", url, request.getfixturevalue("postgres_schema"))
