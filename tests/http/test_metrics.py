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
