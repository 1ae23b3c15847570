from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from api.app import create_app
from tracker.settings import Settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(settings)) as test_client:
        yield test_client


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
