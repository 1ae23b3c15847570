"""The one check of an error answer: problem+json (RFC 9457) with the expected status."""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """The body of ``response``, checked to be a problem of ``status`` (naming ``field``)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = dict(response.json())
    assert body["status"] == status and body["title"] and body["detail"], body
    if field is not None:
        assert body.get("field") == field, body
    return body
