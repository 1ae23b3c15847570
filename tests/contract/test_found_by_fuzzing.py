"""What the contract run found, pinned down: each of these was a 500 or a document that said
otherwise than the API does, before it was fixed. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from litestar.testing import TestClient
from lxml import etree

from api.app import create_app
from tests.http.conftest import make_key
from tracker.keys import Role
from tracker.settings import Settings

Client = TestClient[Any]
PROBLEM = "application/problem+json"


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    with TestClient(create_app(settings)) as test_client:
        token = make_key(settings, "fuzz-regressions", Role.ADMIN)
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


def created(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_exports_show_control_characters_instead_of_failing(client: Client) -> None:
    # XML 1.0 (xlsx, IATI) cannot hold \x01 or U+FFFE; stored text may, and stays stored.
    portfolio = created(
        client.post(
            "/api/v1/portfolios",
            json={"name": "KZ\x01UZ\ufffe", "forum": "F\x0b", "established_on": "2024-10-22"},
        )
    )
    project = created(
        client.post(
            "/api/v1/projects",
            json={
                "portfolio_id": portfolio,
                "title": "Copper\x02plant",
                "sector": "metal\x1f",
                "regions": ["KZ-61"],
                "parties": ["a\x00b"],
                "planned_investment": {"amount": "5.00", "currency": "USD"},
            },
        )
    )
    milestone = {"type": "milestone", "name": "m\x03", "description": "d\x04"}
    assert client.post(f"/api/v1/projects/{project}/events", json=milestone).status_code == 201

    xlsx = client.get(f"/api/v1/portfolios/{portfolio}/export?format=xlsx")
    assert xlsx.status_code == 200, xlsx.text
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    about = {row[0]: row[1] for row in book["Portfolio"].iter_rows(values_only=True)}
    assert about["name"] == "KZ\ufffdUZ\ufffd"

    iati = client.get(f"/api/v1/portfolios/{portfolio}/export?format=iati")
    assert iati.status_code == 200, iati.text
    titles = etree.fromstring(iati.content).xpath("//iati-activity/title/narrative/text()")
    assert titles == ["Copper\ufffdplant"]

    # The event itself keeps what was sent: exports show it, they do not rewrite it.
    assert client.get(f"/api/v1/projects/{project}").json()["title"] == "Copper\x02plant"


def test_a_timeline_of_more_than_a_century_of_months_is_refused_not_computed(
    client: Client,
) -> None:
    portfolio = created(
        client.post(
            "/api/v1/portfolios",
            json={"name": "P", "forum": "F", "established_on": "2024-10-22"},
        )
    )
    url = f"/api/v1/portfolios/{portfolio}/timeline"
    # Targets give the timeline its first day.
    targets = {
        "investment": {"amount": "100.00", "currency": "USD"},
        "jobs": 1,
        "projects": 1,
        "effective_date": "2024-10-22",
    }
    assert client.post(f"/api/v1/portfolios/{portfolio}/targets", json=targets).status_code == 201
    far = client.get(url, params={"as_of": "9999-12-31"})
    assert far.status_code == 422, far.text
    assert far.headers["content-type"].startswith(PROBLEM)
    assert far.json()["field"] == "as_of"
    century = client.get(url, params={"as_of": "2124-09-30"})
    assert century.status_code == 200
    assert len(century.json()["points"]) == 1200
    quarters = client.get(url, params={"as_of": "2124-12-31", "interval": "quarter"})
    assert quarters.status_code == 200


@pytest.mark.parametrize("after", ["9223372036854775808", str(2**53 + 1)])
def test_a_position_beyond_the_integer_range_is_a_bad_request(client: Client, after: str) -> None:
    for path in ("/api/v1/events", "/api/v1/events/stream"):
        response = client.get(path, params={"after": after})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
    resumed = client.get("/api/v1/events/stream", headers={"Last-Event-ID": after})
    assert resumed.status_code == 422
    assert resumed.json()["field"] == "Last-Event-ID"


def test_ready_answers_503_as_a_problem_when_the_database_is_not_migrated(
    blank_settings: Settings,
) -> None:
    with TestClient(create_app(blank_settings)) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "tracker migrate" in response.json()["detail"]


def test_the_document_says_what_the_api_refuses(client: Client) -> None:
    document = client.get("/docs/openapi.json").json()
    schemas = document["components"]["schemas"]
    # Unknown body fields are refused (400), so bodies are closed.
    assert schemas["ProjectIn"]["additionalProperties"] is False
    assert schemas["CorrectedIn"]["additionalProperties"] is False
    # List items and optional counts keep their bounds.
    assert schemas["ProjectIn"]["properties"]["parties"]["items"]["minLength"] == 1
    assert schemas["ProjectIn"]["properties"]["regions"]["items"]["pattern"]
    permanent = schemas["ReplacementIn"]["properties"]["permanent"]["oneOf"][0]
    assert permanent["minimum"] == 0
    min_position = next(
        p
        for p in document["paths"]["/api/v1/projects"]["get"]["parameters"]
        if p["name"] == "min_position"
    )
    assert min_position["schema"]["oneOf"][0]["minimum"] == 0
    # Every operation documents its errors as problem+json.
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            errors = {
                code: answer for code, answer in operation["responses"].items() if code >= "4"
            }
            assert {"400", "401", "404", "429", "503"} <= set(errors), (method, path)
            for answer in errors.values():
                assert list(answer["content"]) == [PROBLEM], (method, path)
