"""Sourced statements about a whole portfolio, shown beside what the tracker holds."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import make_key, project_body
from tests.problems import assert_problem
from tracker.keys import Role
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]
SOURCE = {"title": "Astana Times, 3 May 2024", "url": "https://astanatimes.com/2024/05/"}
COMPLETED = {
    "measure": "completed",
    "summary": "11 projects worth USD 144 M completed",
    "count": 11,
    "amount": {"amount": "144000000", "currency": "USD"},
    "effective_date": "2024-05-03",
    "source": SOURCE,
}


def statements(client: Client, portfolio_id: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/portfolios/{portfolio_id}/statements", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def project(client: Client, portfolio_id: str, usd: str, *statuses: str) -> None:
    body = project_body(
        portfolio_id,
        planned_investment={"amount": usd, "currency": "USD"},
        effective_date="2024-01-10",
    )
    made = client.post("/api/v1/projects", json=body)
    assert made.status_code == 201, made.text
    for day, status in zip(("2024-02-01", "2024-03-01", "2024-04-01"), statuses, strict=False):
        changed = client.post(
            f"/api/v1/projects/{made.json()['id']}/events",
            json={"type": "status_changed", "status": status, "effective_date": day},
        )
        assert changed.status_code == 201, changed.text


def test_a_statement_is_shown_beside_the_projects_in_its_stage(
    client: Client, portfolio_id: str
) -> None:
    project(client, portfolio_id, "10000000", "agreed", "under_implementation", "operational")
    project(client, portfolio_id, "20000000", "agreed", "under_implementation")
    project(client, portfolio_id, "30000000")
    before = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    recorded = client.post(f"/api/v1/portfolios/{portfolio_id}/statements", json=COMPLETED)
    assert recorded.status_code == 201, recorded.text
    whole = {**COMPLETED, "measure": "portfolio", "count": 60, "summary": "60 projects"}
    assert (
        client.post(f"/api/v1/portfolios/{portfolio_id}/statements", json=whole).status_code == 201
    )

    done, portfolio = statements(client, portfolio_id)
    assert (done["count"], done["amount"], done["source"]) == (
        11,
        {"amount": "144000000.00", "currency": "USD"},
        SOURCE,
    )
    assert done["amount_in_report_currency"] == "144000000.00"
    # On 3 May 2024 the tracker held one operational project, planned at USD 10 M.
    assert done["tracked"]["projects"] == 1
    assert done["tracked"]["planned"]["amount"] == "10000000.00"
    assert portfolio["tracked"]["projects"] == 3
    assert portfolio["tracked"]["planned"]["amount"] == "60000000.00"
    # Not yet made, or not yet recorded: not shown.
    assert statements(client, portfolio_id, as_of="2024-05-02") == []
    assert statements(client, portfolio_id, known_at=before) == []


def test_a_statement_needs_a_source_a_measure_and_an_admin(
    client: Client, anonymous_client: Client, settings: Settings, portfolio_id: str
) -> None:
    path = f"/api/v1/portfolios/{portfolio_id}/statements"
    unsourced = {key: value for key, value in COMPLETED.items() if key != "source"}
    assert_problem(client.post(path, json=unsourced), 422, "source")
    assert_problem(client.post(path, json={**COMPLETED, "measure": "rumoured"}), 400)
    assert_problem(client.post(path, json={**COMPLETED, "count": -1}), 400)
    recorder = {"Authorization": f"Bearer {make_key(settings, 'desk', Role.RECORDER)}"}
    assert_problem(anonymous_client.post(path, json=COMPLETED, headers=recorder), 403)
    assert statements(client, portfolio_id) == []
