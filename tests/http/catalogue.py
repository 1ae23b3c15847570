"""Five projects to list, over HTTP: four in one portfolio, in different sectors, places and
states, and one in another (the ``catalogue`` fixture), with the writes that make them.

A module using the fixture imports it by name and lists it in ``__all__``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import project_body

Client = TestClient  # type: ignore[type-arg]


def announce(client: Client, portfolio: str, **overrides: Any) -> str:
    response = client.post("/api/v1/projects", json=project_body(portfolio, **overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def record(client: Client, project: str, body: dict[str, Any]) -> int:
    response = client.post(f"/api/v1/projects/{project}/events", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["position"])


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


@dataclass(frozen=True)
class Catalogue:
    portfolio: str
    other_portfolio: str
    ids: dict[str, str]  # title → id


ALPHA = "Alpha cement works"
BRAVO = "Bravo copper plant"
CHARLIE = "Charlie textile cluster"
DELTA = "Дельта: плодоовощной логистический центр"
ECHO = "Echo solar park"


@pytest.fixture
def catalogue(client: Client, portfolio_id: str) -> Catalogue:
    """Five projects: four in one portfolio, in different sectors, places and states."""
    other = client.post(
        "/api/v1/portfolios",
        json={"name": "Other", "forum": "Tashkent forum", "established_on": "2024-11-01"},
    )
    assert other.status_code == 201, other.text
    other_portfolio = str(other.json()["id"])
    ids = {
        ALPHA: announce(
            client,
            portfolio_id,
            title=ALPHA,
            sector="construction",
            regions=["KZ-61"],
            planned_investment=usd("30000000"),
            effective_date="2025-01-10",
        ),
        BRAVO: announce(
            client,
            portfolio_id,
            title=BRAVO,
            sector="metallurgy",
            regions=["UZ-SI"],
            planned_investment=usd("50000000.00"),
            effective_date="2025-01-05",
        ),
        CHARLIE: announce(
            client,
            portfolio_id,
            title=CHARLIE,
            sector="textiles",
            regions=["KZ-61", "UZ-SA"],
            planned_investment=usd("30000000.00"),
            effective_date="2025-01-10",
        ),
        DELTA: announce(
            client,
            portfolio_id,
            title=DELTA,
            sector="agriculture",
            regions=[],
            countries=["UZ"],
            planned_investment={"amount": "20000000000.5", "currency": "KZT"},
            effective_date="2025-01-15",
        ),
        ECHO: announce(
            client,
            other_portfolio,
            title=ECHO,
            sector="energy",
            regions=["KZ-61"],
            planned_investment=usd("5000000"),
            effective_date="2025-01-01",
        ),
    }
    record(
        client,
        ids[ALPHA],
        {
            "type": "status_changed",
            "status": "under_implementation",
            "effective_date": "2025-02-01",
        },
    )
    record(
        client,
        ids[BRAVO],
        {"type": "cancelled", "reason": "investor withdrew", "effective_date": "2025-01-20"},
    )
    record(
        client,
        ids[CHARLIE],
        {"type": "status_changed", "status": "agreed", "effective_date": "2025-01-25"},
    )
    record(client, ids[CHARLIE], {"type": "milestone", "name": "Site handed over"})  # today
    return Catalogue(portfolio_id, other_portfolio, ids)
