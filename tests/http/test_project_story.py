"""A project's whole life over HTTP, then read back as of earlier days and earlier knowledge."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import project_body

Client = TestClient  # type: ignore[type-arg]


def record(client: Client, project: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/projects/{project}/events", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def moment() -> str:
    """A known_at between two requests (event times are taken when the event is made)."""
    time.sleep(0.02)
    stamp = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    return stamp


def read(client: Client, project: str, **params: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/projects/{project}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def money(view: dict[str, Any], key: str) -> dict[str, str]:
    return {m["currency"]: m["amount"] for m in view[key]}


def test_a_project_life_read_back_as_of_and_as_known(client: Client, portfolio_id: str) -> None:
    before_anything = moment()
    announced = client.post("/api/v1/projects", json=project_body(portfolio_id))
    assert announced.status_code == 201
    assert announced.headers["etag"] == '"1"'
    project = announced.json()["id"]
    assert announced.headers["location"] == f"/api/v1/projects/{project}"

    record(
        client,
        project,
        {"type": "status_changed", "status": "agreed", "effective_date": "2025-01-20"},
    )
    record(
        client,
        project,
        {
            "type": "status_changed",
            "status": "under_implementation",
            "effective_date": "2025-02-01",
        },
    )
    record(
        client,
        project,
        {"type": "committed", "amount": usd("20000000.00"), "effective_date": "2025-02-15"},
    )
    record(
        client,
        project,
        {
            "type": "disbursed",
            "amount": {"amount": "2500000000", "currency": "KZT"},
            "effective_date": "2025-03-01",
        },
    )
    usd_disbursement = record(
        client,
        project,
        {"type": "disbursed", "amount": usd("4000000.00"), "effective_date": "2025-03-20"},
    )
    record(
        client,
        project,
        {"type": "jobs_created", "permanent": 120, "temporary": 40, "effective_date": "2025-04-01"},
    )
    first_knowledge = moment()

    record(
        client,
        project,
        {
            "type": "corrected",
            "corrects": usd_disbursement["version"],
            "reason": "bank statement shows 4.5 M",
            "replacement": {"amount": usd("4500000.00")},
            "effective_date": "2025-04-10",
        },
    )
    duplicate = record(
        client,
        project,
        {"type": "disbursed", "amount": usd("1000000.00"), "effective_date": "2025-04-15"},
    )
    record(
        client,
        project,
        {"type": "retracted", "retracts": duplicate["version"], "reason": "duplicate entry"},
    )
    second_knowledge = moment()

    record(
        client,
        project,
        {
            "type": "status_changed",
            "status": "suspended",
            "reason": "permits",
            "effective_date": "2025-05-01",
        },
    )
    record(
        client,
        project,
        {"type": "status_changed", "status": "resumed", "effective_date": "2025-06-01"},
    )
    done = record(client, project, {"type": "completed", "effective_date": "2025-09-30"})
    assert done["version"] == 13

    now = read(client, project)
    assert now["status"] == "closed" and now["iati_activity_status"] == 4
    assert money(now, "committed") == {"USD": "20000000.00"}
    assert money(now, "disbursed") == {"KZT": "2500000000", "USD": "4500000.00"}
    assert now["jobs_created"] == {"permanent": 120, "temporary": 40, "total": 160}
    assert now["version"] == 13
    assert now["planned_investment"] == usd("50000000.00")

    feb = read(client, project, as_of="2025-02-20")
    assert feb["status"] == "under_implementation"
    assert money(feb, "committed") == {"USD": "20000000.00"}
    assert feb["disbursed"] == [] and feb["jobs_created"]["total"] == 0

    march = read(client, project, as_of="2025-03-25")
    assert money(march, "disbursed") == {"KZT": "2500000000", "USD": "4500000.00"}
    assert march["jobs_created"]["total"] == 0

    may = read(client, project, as_of="2025-05-15")
    assert may["status"] == "suspended"
    assert may["jobs_created"] == {"permanent": 120, "temporary": 40, "total": 160}

    then = read(client, project, known_at=first_knowledge)
    assert then["version"] == 7 and then["status"] == "under_implementation"
    assert money(then, "disbursed") == {"KZT": "2500000000", "USD": "4000000.00"}

    later = read(client, project, known_at=second_knowledge)
    assert later["version"] == 10
    assert money(later, "disbursed") == {"KZT": "2500000000", "USD": "4500000.00"}

    both = read(client, project, known_at=first_knowledge, as_of="2025-03-10")
    assert money(both, "disbursed") == {"KZT": "2500000000"}

    assert (
        client.get(f"/api/v1/projects/{project}", params={"known_at": before_anything}).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/projects/{project}", params={"as_of": "2024-12-31"}).status_code == 404
    )

    history = client.get(f"/api/v1/projects/{project}/events").json()["events"]
    assert [e["version"] for e in history] == list(range(1, 14))
    assert [e["type"] for e in history][:2] == ["announced", "status_changed"]
    positions = [e["position"] for e in history]
    assert positions == sorted(positions)
    corrected = history[usd_disbursement["version"] - 1]
    assert corrected["corrected_by"] == [8] and corrected["retracted_by"] is None
    assert history[duplicate["version"] - 1]["retracted_by"] == 10
    assert history[7]["payload"]["replacement"] == {"amount": usd("4500000.00")}
    assert history[4]["payload"]["amount"] == {"amount": "2500000000", "currency": "KZT"}
    assert all(e["actor"] == "test-admin" for e in history)
