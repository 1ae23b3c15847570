from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
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
