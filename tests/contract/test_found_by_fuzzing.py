"""What the contract run found, pinned down: each of these was a 500 or a document that said
otherwise than the API does, before it was fixed. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import hypothesis.strategies as st
import openpyxl
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from litestar.testing import TestClient
from lxml import etree

from api.app import create_app
from tests.http.conftest import make_key, project_body
from tests.integration.test_projector_never_stops import stored_with
from tests.problems import PROBLEM_JSON, assert_problem
from tests.unit.factories import plan
from tracker.application import TrackerApplication
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.values import Envelope
from tracker.keys import Role
from tracker.readmodel.timeline import MAX_TIMELINE_POINTS
from tracker.settings import Settings

Client = TestClient[Any]


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    with TestClient(create_app(settings)) as test_client:
        token = make_key(settings, "fuzz-regressions", Role.ADMIN)
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


def created(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_exports_show_control_characters_instead_of_failing(
    client: Client, settings: Settings
) -> None:
    # XML 1.0 (xlsx, IATI) cannot hold \x01 or U+FFFE. The API refuses such text now, but
    # events stored before it did keep it, and exports must still be made.
    tracker = TrackerApplication(settings)
    try:
        on = Envelope("fuzz", date(2024, 10, 22))
        portfolio = Portfolio.establish("KZ UZ", "F", date(2024, 10, 22), on)
        stored_with(portfolio.pending_events[0], name="KZ\x01UZ\ufffe", forum="F\x0b")
        tracker.save(portfolio)
        project = Project.announce(portfolio.id, plan(title="Copper plant"), on)
        stored_with(project.pending_events[0], title="Copper\x02plant", sector="metal\x1f")
        position = tracker.save(project)[-1].notification.id
    finally:
        tracker.close()
    assert client.get("/api/v1/projects", params={"min_position": position}).status_code == 200
    refused = client.post(
        "/api/v1/projects",
        json={**project_body(str(portfolio.id)), "title": "Copper\x02plant"},
    )
    assert refused.status_code == 422 and refused.json()["field"] == "title"

    xlsx = client.get(f"/api/v1/portfolios/{portfolio.id}/export?format=xlsx")
    assert xlsx.status_code == 200, xlsx.text
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    about = {row[0]: row[1] for row in book["Portfolio"].iter_rows(values_only=True)}
    assert about["name"] == "KZ\ufffdUZ\ufffd"

    publisher = {"ref": "XM-DAC-41114", "name": "Publisher"}
    put = client.put(f"/api/v1/portfolios/{portfolio.id}/reporting-organisation", json=publisher)
    assert put.status_code == 200, put.text
    iati = client.get(f"/api/v1/portfolios/{portfolio.id}/export?format=iati")
    assert iati.status_code == 200, iati.text
    titles = etree.fromstring(iati.content).xpath("//iati-activity/title/narrative/text()")
    assert titles == ["Copper\ufffdplant"]

    # The event itself keeps what was stored: exports show it, they do not rewrite it.
    assert client.get(f"/api/v1/projects/{project.id}").json()["title"] == "Copper\x02plant"


@pytest.mark.parametrize("as_of", ["9999-12-31", "2200-01-01", "1899-12-31"])
def test_a_timeline_far_from_today_is_refused_not_computed(client: Client, as_of: str) -> None:
    portfolio = created(
        client.post(
            "/api/v1/portfolios",
            json={"name": "P", "forum": "F", "established_on": "2024-10-22"},
        )
    )
    url = f"/api/v1/portfolios/{portfolio}/timeline"
    assert_problem(client.get(url, params={"as_of": as_of}), 400, "as_of")


def test_a_timeline_ends_today_and_keeps_its_latest_periods(client: Client) -> None:
    portfolio = created(
        client.post(
            "/api/v1/portfolios",
            json={"name": "P", "forum": "F", "established_on": "1950-01-01"},
        )
    )
    # Targets give the timeline its first day, 75 years back.
    targets = {
        "investment": {"amount": "100.00", "currency": "USD"},
        "jobs": 1,
        "projects": 1,
        "effective_date": "1950-01-01",
    }
    assert client.post(f"/api/v1/portfolios/{portfolio}/targets", json=targets).status_code == 201
    url = f"/api/v1/portfolios/{portfolio}/timeline"
    ahead = client.get(url, params={"as_of": "2199-12-31"}).json()
    assert len(ahead["points"]) == MAX_TIMELINE_POINTS
    assert ahead["points"][-1]["end"] == date.today().isoformat()
    assert ahead["left_out_before"] is not None
    quarters = client.get(url, params={"interval": "quarter"}).json()
    assert len(quarters["points"]) == MAX_TIMELINE_POINTS
    assert quarters["left_out_before"] > "1950-01-01"


@pytest.mark.parametrize("after", ["9223372036854775808", str(2**53 + 1)])
def test_a_position_beyond_the_integer_range_is_a_bad_request(client: Client, after: str) -> None:
    for path in ("/api/v1/events", "/api/v1/events/stream"):
        assert_problem(client.get(path, params={"after": after}), 400)
    resumed = client.get("/api/v1/events/stream", headers={"Last-Event-ID": after})
    assert resumed.status_code == 422
    assert resumed.json()["field"] == "Last-Event-ID"


def test_ready_answers_503_as_a_problem_when_the_database_is_not_migrated(
    blank_settings: Settings,
) -> None:
    with TestClient(create_app(blank_settings)) as client:
        response = client.get("/ready")
    assert "tracker migrate" in assert_problem(response, 503)["detail"]


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
                assert list(answer["content"]) == [PROBLEM_JSON], (method, path)


# Strategies for two classes of input that once answered 500: bodies nested deeper than a
# decoder follows (RecursionError), and moments at the ends of the calendar (OverflowError).

NESTING = st.tuples(st.integers(1, 3000), st.sampled_from(["[", '{"a":'])).map(
    lambda shape: shape[1] * shape[0] + "1" + ("]" if shape[1] == "[" else "}") * shape[0]
)
MOMENTS = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 1),
        max_value=datetime(9999, 12, 31, 23, 59, 59),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))]
        ),
    ).map(datetime.isoformat),
    st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]),
)
DAYS = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)


def assert_answered_as_a_problem_or_success(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM_JSON), response.text


@examples(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(nested=NESTING, where=st.sampled_from(["body", "title", "amount"]))
def test_no_nesting_of_a_body_is_a_server_error(client: Client, nested: str, where: str) -> None:
    portfolio = "6a1f9b1e-3c55-4c9e-9d1e-0b7f1b2c3d4e"
    body = {
        "body": nested,
        "title": json.dumps({**project_body(portfolio), "title": None}).replace("null", nested),
        "amount": '{"type":"committed","amount":' + nested + "}",
    }[where]
    for url in ("/api/v1/portfolios", "/api/v1/projects", f"/api/v1/projects/{portfolio}/events"):
        response = client.post(url, content=body, headers={"content-type": "application/json"})
        assert_answered_as_a_problem_or_success(response)


@examples(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(known_at=MOMENTS, as_of=DAYS, page=st.sampled_from(["progress", "breakdown", "timeline"]))
def test_no_moment_is_a_server_error(client: Client, known_at: str, as_of: str, page: str) -> None:
    portfolio = created(
        client.post(
            "/api/v1/portfolios",
            json={"name": "P", "forum": "F", "established_on": "2024-10-22"},
        )
    )
    for url in (
        f"/api/v1/portfolios/{portfolio}/{page}",
        f"/api/v1/portfolios/{portfolio}/export?format=json",
        f"/portfolios/{portfolio}",
    ):
        for params in (
            {"known_at": known_at},
            {"as_of": as_of},
            {"known_at": known_at, "as_of": as_of},
        ):
            response = client.get(url, params=params)
            assert response.status_code < 500, response.text
            if response.status_code >= 400 and url.startswith("/api"):
                assert response.headers["content-type"].startswith(PROBLEM_JSON)


# Found by schemathesis: Litestar reads a number as seconds after 1970, so ``known_at=0.5``
# listed the rate sets of 1970 with 200. Every read refuses a moment that is not RFC 3339.
NUMBERS = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(str),
)


@examples(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(known_at=NUMBERS)
def test_a_number_is_not_a_moment(client: Client, known_at: str) -> None:
    portfolio = created(
        client.post(
            "/api/v1/portfolios",
            json={"name": "P", "forum": "F", "established_on": "2024-10-22"},
        )
    )
    for url in (
        "/api/v1/rate-sets",
        "/api/v1/projects",
        f"/api/v1/portfolios/{portfolio}",
        f"/api/v1/portfolios/{portfolio}/progress",
        f"/api/v1/portfolios/{portfolio}/stale",
    ):
        response = client.get(url, params={"known_at": known_at})
        assert_problem(response, 400, "known_at")
