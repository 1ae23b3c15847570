"""Bad input gets a problem+json naming the field; conditions and retries behave."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import project_body
from tests.problems import assert_problem

Client = TestClient  # type: ignore[type-arg]


def events_url(project_id: str) -> str:
    return f"/api/v1/projects/{project_id}/events"


@pytest.mark.parametrize(
    "body, field",
    [
        (
            {"type": "committed", "amount": {"amount": 1500000.0, "currency": "USD"}},
            "amount.amount",
        ),
        ({"type": "committed", "amount": {"amount": "1,5", "currency": "USD"}}, "amount.amount"),
        ({"type": "committed", "amount": {"amount": "15", "currency": "usd"}}, "amount.currency"),
        ({"type": "committed"}, "amount"),
        ({"type": "teleported"}, "type"),
        ({"type": "jobs_created", "permanent": -3}, "permanent"),
        ({"type": "committed", "amount": {"amount": "1", "currency": "USD"}, "extra": 1}, "extra"),
        ({"type": "retracted", "retracts": 0, "reason": "x"}, "retracts"),
        ({"type": "milestone", "name": "x", "effective_date": "2025-02-30"}, "effective_date"),
    ],
)
def test_malformed_bodies_are_400_naming_the_field(
    client: Client, project_id: str, body: dict[str, Any], field: str
) -> None:
    assert_problem(client.post(events_url(project_id), json=body), 400, field)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"type": "committed", "amount": {"amount": "1", "currency": "XYZ"}}, "amount"),
        ({"type": "committed", "amount": {"amount": "0", "currency": "USD"}}, "amount"),
        ({"type": "retracted", "retracts": 99, "reason": "x"}, "retracts"),
        ({"type": "milestone", "name": "x", "effective_date": "2999-01-01"}, "effective_date"),
    ],
)
def test_values_that_break_domain_rules_are_422_naming_the_field(
    client: Client, project_id: str, body: dict[str, Any], field: str
) -> None:
    assert_problem(client.post(events_url(project_id), json=body), 422, field)


def test_an_unknown_project_or_portfolio_is_404(client: Client) -> None:
    missing = uuid.uuid4()
    assert_problem(client.get(f"/api/v1/projects/{missing}"), 404)
    assert_problem(client.get(f"/api/v1/projects/{missing}/events"), 404)
    assert_problem(client.get(f"/api/v1/portfolios/{missing}"), 404)
    body = {"type": "milestone", "name": "x"}
    assert_problem(client.post(events_url(str(missing)), json=body), 404)
    assert_problem(client.get("/api/v1/nowhere"), 404)


def test_announcing_into_an_unknown_portfolio_names_the_field(client: Client) -> None:
    response = client.post("/api/v1/projects", json=project_body(str(uuid.uuid4())))
    assert_problem(response, 422, "portfolio_id")


def test_an_unknown_region_is_refused(client: Client, portfolio_id: str) -> None:
    response = client.post("/api/v1/projects", json=project_body(portfolio_id, regions=["KZ-99"]))
    assert_problem(response, 422, "regions")


def test_an_invalid_transition_is_409(client: Client, project_id: str) -> None:
    problem = assert_problem(client.post(events_url(project_id), json={"type": "completed"}), 409)
    assert "announced" in problem["detail"]


def test_if_match_mismatch_is_412_and_a_match_writes(client: Client, project_id: str) -> None:
    body = {"type": "milestone", "name": "Site cleared"}
    stale = client.post(events_url(project_id), json=body, headers={"If-Match": '"7"'})
    assert_problem(stale, 412, "If-Match")
    fresh = client.post(events_url(project_id), json=body, headers={"If-Match": '"1"'})
    assert fresh.status_code == 201 and fresh.headers["etag"] == '"2"'
    bad = client.post(events_url(project_id), json=body, headers={"If-Match": "yesterday"})
    assert_problem(bad, 422, "If-Match")


def test_get_returns_the_etag_of_the_current_version(client: Client, project_id: str) -> None:
    client.post(events_url(project_id), json={"type": "milestone", "name": "Site cleared"})
    assert client.get(f"/api/v1/projects/{project_id}").headers["etag"] == '"2"'


def test_an_idempotent_retry_returns_the_first_response_and_records_nothing(
    client: Client, project_id: str
) -> None:
    body = {"type": "committed", "amount": {"amount": "10.00", "currency": "USD"}}
    headers = {"Idempotency-Key": "desk-7-2025-02-01"}
    first = client.post(events_url(project_id), json=body, headers=headers)
    again = client.post(events_url(project_id), json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert client.get(f"/api/v1/projects/{project_id}").json()["version"] == 2

    changed = {"type": "committed", "amount": {"amount": "11.00", "currency": "USD"}}
    assert_problem(
        client.post(events_url(project_id), json=changed, headers=headers), 422, "Idempotency-Key"
    )


def test_idempotent_announcement_creates_one_project(client: Client, portfolio_id: str) -> None:
    headers = {"Idempotency-Key": "announce-copper"}
    first = client.post("/api/v1/projects", json=project_body(portfolio_id), headers=headers)
    again = client.post("/api/v1/projects", json=project_body(portfolio_id), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = project_body(portfolio_id, title="Another plant")
    assert_problem(client.post("/api/v1/projects", json=other, headers=headers), 422)


def test_targets_are_restated_and_read_as_of(client: Client, portfolio_id: str) -> None:
    url = f"/api/v1/portfolios/{portfolio_id}/targets"
    old = {
        "investment": {"amount": "2100000000", "currency": "USD"},
        "jobs": 10000,
        "projects": 42,
        "effective_date": "2023-02-01",
        "source": {"title": "Forbes.kz"},
    }
    new = {
        "investment": {"amount": "3400000000", "currency": "USD"},
        "jobs": 14600,
        "projects": 74,
        "effective_date": "2024-10-22",
        "source": {"title": "Astana Times", "url": "https://astanatimes.com/"},
    }
    assert client.post(url, json=old).status_code == 201
    assert client.post(url, json=new, headers={"If-Match": '"2"'}).status_code == 201
    now = client.get(f"/api/v1/portfolios/{portfolio_id}").json()
    assert now["targets"]["projects"] == 74 and now["targets"]["source"]["url"]
    assert len(now["target_history"]) == 2
    then = client.get(f"/api/v1/portfolios/{portfolio_id}", params={"as_of": "2024-01-01"}).json()
    assert then["targets"]["investment"] == {"amount": "2100000000", "currency": "USD"}


def test_the_key_name_is_stored_on_the_event_as_its_actor(client: Client, project_id: str) -> None:
    client.post(events_url(project_id), json={"type": "milestone", "name": "x"})
    events = client.get(events_url(project_id)).json()["events"]
    assert {e["actor"] for e in events} == {"test-admin"}


def test_health_ready_and_docs(client: Client) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/ready").json()["status"] == "ready"
    schema = client.get("/docs/openapi.json").json()
    assert "/api/v1/projects/{project_id}/events" in schema["paths"]
    post = schema["paths"]["/api/v1/projects/{project_id}/events"]["post"]
    examples = post["requestBody"]["content"]["application/json"]["schema"]["examples"]
    assert {e["type"] for e in examples} >= {"committed", "corrected", "retracted", "completed"}
    assert client.get("/docs").status_code == 200


def test_malformed_json_is_a_400_problem(client: Client, project_id: str) -> None:
    response = client.post(
        events_url(project_id), content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)
