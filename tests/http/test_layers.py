"""Reported and illustrative projects apart: every report can count either layer or both."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import project_body
from tests.problems import assert_problem

Client = TestClient  # type: ignore[type-arg]


def announce(client: Client, portfolio_id: str, usd: str, *, illustrative: bool) -> str:
    body = project_body(
        portfolio_id,
        planned_investment={"amount": usd, "currency": "USD"},
        illustrative=illustrative,
        planned_jobs=100,
    )
    made = client.post("/api/v1/projects", json=body)
    assert made.status_code == 201, made.text
    project = str(made.json()["id"])
    for event in (
        {"type": "committed", "amount": {"amount": str(int(usd) // 2), "currency": "USD"}},
        {"type": "jobs_created", "permanent": 10 if illustrative else 20},
    ):
        assert client.post(f"/api/v1/projects/{project}/events", json=event).status_code == 201
    return project


@pytest.fixture
def layered(client: Client, portfolio_id: str) -> str:
    announce(client, portfolio_id, "30000000", illustrative=False)
    announce(client, portfolio_id, "50000000", illustrative=True)
    announce(client, portfolio_id, "70000000", illustrative=True)
    return portfolio_id


def report(client: Client, portfolio_id: str, kind: str, **params: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/portfolios/{portfolio_id}/{kind}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_each_layer_counts_its_projects_and_the_layers_add_up(client: Client, layered: str) -> None:
    reported = report(client, layered, "progress", layer="reported")
    invented = report(client, layered, "progress", layer="illustrative")
    both = report(client, layered, "progress")
    assert (reported["layer"], invented["layer"], both["layer"]) == (
        "reported",
        "illustrative",
        "all",
    )
    assert reported["pledged"]["amount"] == "30000000.00"
    assert invented["pledged"]["amount"] == "120000000.00"
    assert (reported["projects"], invented["projects"], both["projects"]) == (1, 2, 3)
    assert reported["jobs_created"]["total"] == 20 and invented["jobs_created"]["total"] == 20
    for figure in ("pledged", "committed", "disbursed"):
        assert Decimal(reported[figure]["amount"]) + Decimal(invented[figure]["amount"]) == (
            Decimal(both[figure]["amount"])
        )
    # The targets are the portfolio's whatever the layer.
    assert reported["targets"] == both["targets"]

    for by in ("sector", "status"):
        slices = {
            layer: {
                s["key"]: s["figures"]["projects"]
                for s in report(client, layered, "breakdown", by=by, layer=layer)["slices"]
            }
            for layer in ("reported", "illustrative", "all")
        }
        for key, count in slices["all"].items():
            assert slices["reported"].get(key, 0) + slices["illustrative"].get(key, 0) == count
    points = {
        layer: report(client, layered, "timeline", layer=layer)["points"][-1]["figures"]
        for layer in ("reported", "illustrative", "all")
    }
    assert points["reported"]["committed"]["amount"] == "15000000.00"
    assert points["illustrative"]["committed"]["amount"] == "60000000.00"
    assert points["all"]["committed"]["amount"] == "75000000.00"


def test_an_unknown_layer_is_refused(client: Client, layered: str) -> None:
    assert_problem(client.get(f"/api/v1/portfolios/{layered}/progress?layer=rumoured"), 400)


def test_the_project_list_takes_the_layer(client: Client, layered: str) -> None:
    def listed(**params: str) -> list[bool]:
        response = client.get("/api/v1/projects", params={"portfolio": layered, **params})
        assert response.status_code == 200, response.text
        return [item["illustrative"] for item in response.json()["items"]]

    assert listed(layer="reported") == [False]
    assert listed(layer="illustrative") == [True, True]
    assert len(listed()) == 3
    assert listed(layer="illustrative", as_of="2030-01-01") == [True, True]
