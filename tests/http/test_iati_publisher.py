"""PUT/GET /api/v1/portfolios/{id}/reporting-organisation, and the IATI export that needs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from litestar.testing import TestClient

from tests.http.conftest import make_key, project_body
from tests.iati import PUBLISHER_REF, assert_valid_iati
from tests.problems import assert_problem
from tracker.keys import Role
from tracker.settings import Settings

Client = TestClient[Any]
MINISTRY = {
    "ref": PUBLISHER_REF,
    "name": "Ministry of Trade and Integration of the Republic of Kazakhstan",
}


def portfolio_with_a_project(client: Client) -> str:
    portfolio = client.post(
        "/api/v1/portfolios",
        json={"name": "KZ-UZ", "forum": "Forum", "established_on": "2024-10-22"},
    )
    assert portfolio.status_code == 201, portfolio.text
    portfolio_id = str(portfolio.json()["id"])
    project = client.post("/api/v1/projects", json=project_body(portfolio_id))
    assert project.status_code == 201, project.text
    return portfolio_id


def url(portfolio_id: str) -> str:
    return f"/api/v1/portfolios/{portfolio_id}/reporting-organisation"


def test_an_admin_names_the_publisher_and_the_iati_export_uses_it(client: Client) -> None:
    portfolio_id = portfolio_with_a_project(client)
    export = f"/api/v1/portfolios/{portfolio_id}/export"
    refused = assert_problem(client.get(export, params={"format": "iati"}), 409)
    assert refused["field"] == "reporting_organisation"
    assert url(portfolio_id) in refused["detail"]
    # The 409 is documented, so a client (and the contract test) expects it from this read.
    operation = client.get("/docs/openapi.json").json()["paths"][
        "/api/v1/portfolios/{portfolio_id}/export"
    ]["get"]
    assert operation["responses"]["409"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert_problem(client.get(url(portfolio_id)), 404, "reporting_organisation")

    before = datetime.now(UTC)
    put = client.put(url(portfolio_id), json=MINISTRY)
    assert put.status_code == 200, put.text
    shown = client.get(url(portfolio_id))
    assert shown.status_code == 200 and shown.headers["etag"]
    body = shown.json()
    assert (body["ref"], body["agency"], body["type"], body["flow_type"]) == (
        PUBLISHER_REF,
        "KZ-BIN",
        "10",
        "36",
    )
    assert body["flow_type_name"] == "Private Foreign Direct Investment"
    earlier = client.get(url(portfolio_id), params={"known_at": before.isoformat()})
    assert_problem(earlier, 404, "reporting_organisation")

    iati = client.get(export, params={"format": "iati"})
    assert iati.status_code == 200, iati.text
    document = assert_valid_iati(iati.content, datetime.now(UTC).date())
    assert document.find("iati-activity/reporting-org").get("secondary-reporter") == "1"
    assert document.findtext("iati-activity/iati-identifier").startswith(PUBLISHER_REF + "-")


def test_a_bad_identifier_or_code_is_a_problem_naming_its_field(client: Client) -> None:
    portfolio_id = portfolio_with_a_project(client)
    for body, status, field in (
        ({**MINISTRY, "ref": "TRACKER-1A2B3C4D"}, 422, "ref"),  # the old placeholder
        ({**MINISTRY, "ref": "KZ-BIN-12"}, 422, "ref"),
        ({**MINISTRY, "type": "99"}, 422, "type"),
        ({**MINISTRY, "flow_type": "20"}, 422, "flow_type"),  # withdrawn from the codelist
        ({**MINISTRY, "flow_type": "x"}, 400, "flow_type"),  # not even a code
        ({"name": "No identifier"}, 400, "ref"),
    ):
        assert_problem(client.put(url(portfolio_id), json=body), status, field)
    assert_problem(client.put(url(str(uuid4())), json=MINISTRY), 404)


def test_only_an_admin_names_the_publisher(client: Client, settings: Settings) -> None:
    portfolio_id = portfolio_with_a_project(client)
    recorder = make_key(settings, "desk", Role.RECORDER)
    answer = client.put(
        url(portfolio_id), json=MINISTRY, headers={"Authorization": f"Bearer {recorder}"}
    )
    assert_problem(answer, 403)
    assert_problem(client.get(url(portfolio_id)), 404)  # nothing was recorded


def test_an_iati_export_as_of_a_day_to_come_is_a_400_naming_as_of(client: Client) -> None:
    portfolio_id = portfolio_with_a_project(client)
    assert client.put(url(portfolio_id), json=MINISTRY).status_code == 200
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    export = f"/api/v1/portfolios/{portfolio_id}/export"
    answer = client.get(export, params={"format": "iati", "as_of": tomorrow})
    assert "after today" in assert_problem(answer, 400, "as_of")["detail"]
