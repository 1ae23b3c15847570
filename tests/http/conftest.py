from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from tests.databases import MigrationScript, copy_sqlite, migrated_postgres
from tracker.application import TrackerApplication
from tracker.demo import load_demo
from tracker.keys import KeyStore, Role
from tracker.readmodel.database import create_readmodel_engine
from tracker.settings import Settings


def make_key(settings: Settings, name: str, role: Role, portfolio_id: UUID | None = None) -> str:
    """A real API key in the test database; returns the token."""
    engine = create_readmodel_engine(settings, pool_size=1)
    try:
        return KeyStore(engine).create(name, role, portfolio_id)[1]
    finally:
        engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar, settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """A client that sends an admin key with every request (and runs the app's lifespan)."""
    with TestClient(app) as test_client:
        test_client.headers["Authorization"] = (
            f"Bearer {make_key(settings, 'test-admin', Role.ADMIN)}"
        )
        yield test_client


@pytest.fixture
def anonymous_client(app: Litestar, client: TestClient) -> TestClient:  # type: ignore[type-arg]
    """A client of the same running app that sends no key."""
    return TestClient(app)


@pytest.fixture
def portfolio_id(client: TestClient) -> str:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/portfolios",
        json={
            "name": "KZ–UZ joint portfolio",
            "forum": "Samarkand forum",
            "established_on": "2024-10-22",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def project_id(client: TestClient, portfolio_id: str) -> str:  # type: ignore[type-arg]
    response = client.post("/api/v1/projects", json=project_body(portfolio_id))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def project_body(portfolio_id: str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "portfolio_id": portfolio_id,
        "title": "Copper cathode plant",
        "sector": "metallurgy",
        "regions": ["KZ-61", "UZ-SI"],
        "parties": ["KazInvest", "UzIndustry"],
        "planned_investment": {"amount": "50000000.00", "currency": "USD"},
        "planned_jobs": 300,
        "effective_date": "2025-01-10",
    }
    body.update(overrides)
    return body


@dataclass(frozen=True)
class DemoSite:
    """A running app (admin client) on a database holding the demo, read model caught up."""

    client: TestClient  # type: ignore[type-arg]
    portfolio: str


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoSite]:
    """The demo on a migrated database of each kind (as the ``settings`` fixture makes one),
    served by the app, once for a module whose tests only read it (name the module in
    ``WORKER_GROUPS`` (tests/conftest.py) too, or each xdist worker that runs some of its
    tests loads it again)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("demo") / "tracker.db"
        copy_sqlite(request.getfixturevalue("migrated_sqlite"), path)
        yield from serve_the_demo(Settings(database_url=f"sqlite:///{path}", snapshot_interval=5))
        return
    url: str = request.getfixturevalue("postgres_url")
    script: MigrationScript = request.getfixturevalue("migration_script")
    with migrated_postgres(url, script, prefix="t_") as schema:
        yield from serve_the_demo(
            Settings(database_url=url, db_schema=schema, snapshot_interval=5, pool_size=10)
        )


def serve_the_demo(settings: Settings) -> Iterator[DemoSite]:
    """As the ``client`` fixture and a test that loads the demo made it: the app runs, the demo
    is loaded beside it, and the app's read model is waited for."""
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {make_key(settings, 'test-admin', Role.ADMIN)}"
        tracker = TrackerApplication(settings)
        try:
            portfolio = str(load_demo(tracker, datetime.now(UTC)).portfolio_id)
            head = tracker.recorder.max_notification_id()
        finally:
            tracker.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            progress = client.get(
                f"/api/v1/portfolios/{portfolio}/progress", params={"min_position": str(head)}
            )
            if progress.status_code == 200 and progress.json()["position"] >= head:
                break
        else:
            raise AssertionError(f"the read model did not reach position {head}")
        yield DemoSite(client, portfolio)
