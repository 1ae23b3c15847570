"""Only the offline demo loader may give an event a recorded time, and such events say so."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.testing import TestClient

from tests.problems import assert_problem
from tracker.application import TrackerApplication
from tracker.demo import load_demo
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]


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


def test_demo_events_are_shown_as_simulated(client: Client, settings: Settings) -> None:
    tracker = TrackerApplication(settings)
    try:
        portfolio = load_demo(tracker, datetime.now(UTC)).portfolio_id
    finally:
        tracker.close()
    feed = client.get("/api/v1/events", params={"limit": 50}).json()["items"]
    assert feed and all(e["recorded_at_simulated"] for e in feed)
    assert client.get(f"/api/v1/portfolios/{portfolio}").status_code == 200


def test_the_audit_trail_marks_simulated_recording_times(
    client: Client, settings: Settings
) -> None:
    tracker = TrackerApplication(settings)
    try:
        portfolio = load_demo(tracker, datetime.now(UTC)).portfolio_id
    finally:
        tracker.close()
    project = client.get("/api/v1/projects", params={"portfolio": str(portfolio), "limit": 1})
    project_id = project.json()["items"][0]["id"]
    page = client.get(f"/projects/{project_id}").text
    events = client.get(f"/api/v1/projects/{project_id}/events").json()["events"]
    assert page.count("simulated time</span>") == len(events) > 0
