"""Only the offline demo loader may give an event a recorded time, and such events say so."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.http.conftest import DemoSite
from tests.problems import assert_problem

Client = TestClient  # type: ignore[type-arg]

#: The two demo tests only read it: they share one load per database (``demo_site``; on
#: PostgreSQL some 30 s a test), in one xdist worker (``WORKER_GROUPS`` in tests/conftest.py).


def test_the_api_never_sets_a_recorded_time(client: Client, portfolio_id: str) -> None:
    body = {
        "investment": {"amount": "1.00", "currency": "USD"},
        "jobs": 1,
        "projects": 1,
        "recorded_at": "2020-01-01T00:00:00Z",
    }
    assert_problem(client.post(f"/api/v1/portfolios/{portfolio_id}/targets", json=body), 400)
    del body["recorded_at"]
    assert client.post(f"/api/v1/portfolios/{portfolio_id}/targets", json=body).status_code == 201
    feed = client.get("/api/v1/events").json()["items"]
    assert feed and not any(e["recorded_at_simulated"] for e in feed)


def test_demo_events_are_shown_as_simulated(demo_site: DemoSite) -> None:
    client = demo_site.client
    feed = client.get("/api/v1/events", params={"limit": 50}).json()["items"]
    assert feed and all(e["recorded_at_simulated"] for e in feed)
    assert client.get(f"/api/v1/portfolios/{demo_site.portfolio}").status_code == 200


def test_the_audit_trail_marks_simulated_recording_times(demo_site: DemoSite) -> None:
    client, portfolio = demo_site.client, demo_site.portfolio
    project = client.get("/api/v1/projects", params={"portfolio": str(portfolio), "limit": 1})
    project_id = project.json()["items"][0]["id"]
    page = client.get(f"/projects/{project_id}").text
    events = client.get(f"/api/v1/projects/{project_id}/events").json()["events"]
    assert page.count("simulated time</span>") == len(events) > 0
