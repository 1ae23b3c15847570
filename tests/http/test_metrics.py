"""/metrics counts each answer under its real status, refusals and errors included."""

from __future__ import annotations

import re

from litestar.testing import TestClient

Client = TestClient  # type: ignore[type-arg]
EVENTS = "/api/v1/projects/{project_id}/events"


def count(client: Client, route: str, method: str, status: int) -> float:
    text = client.get("/metrics").text
    labels = f'method="{method}",route="{route}",status="{status}"'
    found = re.search(
        r"^tracker_http_requests_total\{" + re.escape(labels) + r"\} (\S+)$", text, re.M
    )
    return float(found.group(1)) if found else 0.0


def test_refused_requests_are_counted_with_their_status(
    client: Client, anonymous_client: Client, project_id: str
) -> None:
    url = f"/api/v1/projects/{project_id}/events"
    before = {code: count(client, EVENTS, "POST", code) for code in (201, 401, 404, 422)}
    milestone = {"type": "milestone", "name": "Ground broken"}
    assert client.post(url, json=milestone).status_code == 201
    assert anonymous_client.post(url, json=milestone).status_code == 401
    missing = "/api/v1/projects/00000000-0000-0000-0000-000000000007/events"
    assert client.post(missing, json=milestone).status_code == 404
    no_jobs = {"type": "jobs_created", "permanent": 0, "temporary": 0}
    assert client.post(url, json=no_jobs).status_code == 422
    after = {code: count(client, EVENTS, "POST", code) for code in (201, 401, 404, 422)}
    assert {code: after[code] - before[code] for code in after} == {201: 1, 401: 1, 404: 1, 422: 1}
    assert count(client, EVENTS, "POST", 500) == 0


def sample(text: str, name: str, labels: str) -> float:
    found = re.search(r"^" + re.escape(f"{name}{{{labels}}}") + r" (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_each_answer_is_timed_once_in_the_histogram(client: Client) -> None:
    """Counted in batches (api.metrics.tally): every answer lands in the count, the sum and
    exactly the buckets at or above its duration."""
    labels = 'method="GET",route="/health",status="200"'
    histogram = "tracker_http_request_duration_seconds"
    buckets = ("0.001", "0.01", "0.1", "1.0", "10.0", "+Inf")

    def figures() -> dict[str, float]:
        text = client.get("/metrics").text
        found = {le: sample(text, f"{histogram}_bucket", f'le="{le}",{labels}') for le in buckets}
        found["count"] = sample(text, f"{histogram}_count", labels)
        found["sum"] = sample(text, f"{histogram}_sum", labels)
        found["requests"] = sample(text, "tracker_http_requests_total", labels)
        return found

    before = figures()
    for _ in range(5):
        assert client.get("/health").status_code == 200
    after = figures()
    assert after["requests"] - before["requests"] == 5
    assert after["count"] - before["count"] == 5
    assert after["+Inf"] - before["+Inf"] == 5
    assert after["sum"] > before["sum"]
    # Cumulative: each bucket holds at least what the one below it holds.
    grown = [after[le] - before[le] for le in buckets]
    assert grown == sorted(grown) and grown[0] >= 0


def test_an_unknown_path_is_counted_as_unmatched(client: Client) -> None:
    """The router's own 404 (no route at all) is an answer too, under one bounded label."""
    before = count(client, "unmatched", "GET", 404)
    assert client.get("/no/such/path").status_code == 404
    assert client.get("/nor/this/one").status_code == 404
    assert count(client, "unmatched", "GET", 404) - before == 2
