"""POST /api/v1/imports and GET /api/v1/portfolios/{id}/export over HTTP, on both databases."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any
from uuid import uuid4

from litestar import Litestar
from litestar.testing import TestClient
from lxml import etree
from openpyxl import load_workbook

from tests.http.conftest import make_key
from tests.iati import PUBLISHER_REF, iati_schema
from tests.problems import assert_problem
from tracker.keys import Role
from tracker.settings import Settings
from tracker.transfer.references import portfolio_id_for, project_id_for

Client = TestClient  # type: ignore[type-arg]
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "docs" / "import-template.csv").read_bytes()
CSV = {"content-type": "text/csv"}
PORTFOLIO = str(portfolio_id_for("kz-uz-2024"))


def post_rows(client: Client, body: bytes, *, dry_run: bool = False, **headers: str) -> Any:
    return client.post(
        "/api/v1/imports",
        params={"dry_run": str(dry_run).lower()},
        content=body,
        headers={**CSV, **headers},
    )


def test_an_imported_file_shows_in_the_reports_at_once(client: Client) -> None:
    response = post_rows(client, TEMPLATE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["new"], body["events_recorded"], body["already_recorded"]) == (15, 15, 0)
    assert body["rows"][2] == {
        "line": 4,
        "row_id": "cu-1",
        "type": "announced",
        "ref": "copper-plant",
        "outcome": "new",
    }
    # the in-process projector caught up after each saved batch
    progress = client.get(f"/api/v1/portfolios/{PORTFOLIO}/progress").json()
    assert progress["projects"] == 2
    assert progress["committed"]["amount"] == "20000000.00"
    assert progress["jobs_created"]["total"] == 160
    assert progress["targets"]["jobs"] == 14600

    again = post_rows(client, TEMPLATE).json()
    assert (again["new"], again["events_recorded"], again["already_recorded"]) == (0, 0, 15)
    assert {r["outcome"] for r in again["rows"]} == {"already recorded"}


def test_a_dry_run_records_nothing(client: Client) -> None:
    body = post_rows(client, TEMPLATE, dry_run=True).json()
    assert body["dry_run"] is True and body["new"] == 15 and body["events_recorded"] == 0
    assert client.get(f"/api/v1/portfolios/{PORTFOLIO}").status_code == 404


def test_rows_may_come_as_a_json_array(client: Client, portfolio_id: str) -> None:
    rows = [
        {
            "row_id": "a",
            "type": "announced",
            "portfolio_ref": portfolio_id,
            "project_ref": "plant",
            "effective_date": "2025-01-10",
            "title": "Plant",
            "sector": "energy",
            "regions": ["KZ-61"],
            "amount": "1000000.00",
            "currency": "USD",
            "planned_jobs": 40,
        },
        {
            "row_id": "b",
            "type": "committed",
            "project_ref": "plant",
            "effective_date": "2025-02-01",
            "amount": "250000.00",
            "currency": "USD",
        },
    ]
    response = client.post("/api/v1/imports", json=rows)
    assert response.status_code == 200, response.text
    project = client.get(f"/api/v1/projects/{project_id_for('plant')}").json()
    assert project["committed"] == [{"amount": "250000.00", "currency": "USD"}]
    assert project["planned_jobs"] == 40


def test_bad_rows_are_a_422_listing_every_one(client: Client) -> None:
    bad = (
        TEMPLATE.replace(b"2025-04-01", b"2025-04-31")
        .replace(b",KZT,", b",kzt,")
        .replace(b",agreed,", b",closed,")
    )
    body = assert_problem(post_rows(client, bad), 422)
    assert body["errors"] == [
        {
            "line": 7,
            "column": "currency",
            "message": "'kzt' is not an ISO 4217 currency code such as USD",
        },
        {
            "line": 9,
            "column": "effective_date",
            "message": "'2025-04-31' is not a date such as 2025-03-31",
        },
        {"line": 15, "column": "status", "message": body["errors"][2]["message"]},
    ]
    assert body["field"] == "currency"
    assert "rows with errors: 3," in body["detail"]
    assert client.get(f"/api/v1/portfolios/{PORTFOLIO}").status_code == 404  # nothing recorded


def test_other_media_types_are_refused(client: Client) -> None:
    assert_problem(post_rows(client, TEMPLATE, **{"content-type": "text/plain"}), 415)
    assert_problem(client.post("/api/v1/imports", content=b"", headers=CSV), 422)


def test_keys_limit_what_may_be_imported(client: Client, app: Litestar, settings: Settings) -> None:
    recorder = make_key(settings, "desk", Role.RECORDER)
    denied = assert_problem(post_rows(client, TEMPLATE, Authorization=f"Bearer {recorder}"), 403)
    assert [(e["line"], e["column"]) for e in denied["errors"]] == [(2, "type"), (3, "type")]

    assert post_rows(client, TEMPLATE).status_code == 200  # the admin key may
    more = (
        b"row_id,type,project_ref,effective_date,amount,currency,actor\n"
        b"cu-11,disbursed,copper-plant,2025-06-01,100.00,USD,\n"
    )
    response = post_rows(client, more, Authorization=f"Bearer {recorder}")
    assert response.status_code == 200, response.text
    events = client.get(f"/api/v1/projects/{project_id_for('copper-plant')}/events").json()
    assert events["events"][-1]["actor"] == "desk"  # the key's name, as for every write

    posing = more.replace(b"cu-11", b"cu-12").replace(b",USD,\n", b",USD,someone else\n")
    assert_problem(post_rows(client, posing, Authorization=f"Bearer {recorder}"), 403)

    scoped = make_key(settings, "other desk", Role.RECORDER, uuid4())
    elsewhere = more.replace(b"cu-11", b"cu-13")
    assert_problem(post_rows(client, elsewhere, Authorization=f"Bearer {scoped}"), 403)

    anonymous = TestClient(app)
    assert post_rows(anonymous, more).status_code == 401


def test_each_export_format_has_its_media_type_and_file_name(client: Client) -> None:
    assert post_rows(client, TEMPLATE).status_code == 200
    publisher = {"ref": PUBLISHER_REF, "name": "Ministry of Trade and Integration"}
    put = client.put(f"/api/v1/portfolios/{PORTFOLIO}/reporting-organisation", json=publisher)
    assert put.status_code == 200, put.text
    url = f"/api/v1/portfolios/{PORTFOLIO}/export"
    expected = {
        "csv": ("text/csv; charset=utf-8", "csv"),
        "json": ("application/json", "json"),
        "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        "iati": ("application/xml", "xml"),
    }
    bodies = {}
    for fmt, (media_type, extension) in expected.items():
        response = client.get(url, params={"format": fmt})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == media_type
        assert response.headers["content-disposition"] == (
            f'attachment; filename="portfolio-{PORTFOLIO}.{extension}"'
        )
        bodies[fmt] = response.content
    rows = list(csv.DictReader(io.StringIO(bodies["csv"].decode())))
    publisher_row = {k: v for k, v in rows[-1].items() if v}  # set last, effective today
    assert publisher_row["type"] == "reporting_organisation"
    assert (publisher_row["organisation_ref"], publisher_row["flow_type"]) == (PUBLISHER_REF, "36")
    assert [r["row_id"] for r in rows] == [f"pf-{i}" for i in (1, 2)] + [
        *(f"cu-{i}" for i in range(1, 11)),
        "lh-1",
        "lh-2",
        "lh-3",
        f"{PORTFOLIO}:3",  # the reporting organisation the API set
    ]
    document = json.loads(bodies["json"])
    assert {p["title"] for p in document["projects"]} == {
        "Copper cathode plant",
        "Cross-border logistics hub",
    }
    assert load_workbook(io.BytesIO(bodies["xlsx"])).sheetnames[:2] == ["Projects", "Events"]
    iati = etree.fromstring(bodies["iati"])
    schema = iati_schema()
    assert schema.validate(iati), schema.error_log
    assert len(iati.findall("iati-activity")) == 2


def test_an_export_as_of_a_day_names_it_and_shows_that_day(client: Client) -> None:
    assert post_rows(client, TEMPLATE).status_code == 200
    response = client.get(
        f"/api/v1/portfolios/{PORTFOLIO}/export", params={"format": "json", "as_of": "2025-02-20"}
    )
    assert response.status_code == 200
    assert (
        f'filename="portfolio-{PORTFOLIO}-as-of-2025-02-20.json"'
        in (response.headers["content-disposition"])
    )
    copper = next(p for p in response.json()["projects"] if p["title"].startswith("Copper"))
    assert copper["status"] == "under_implementation"
    assert copper["disbursed"] == [] and copper["committed"][0]["amount"] == "20000000.00"


def test_export_errors_are_problems_naming_the_field(client: Client) -> None:
    assert post_rows(client, TEMPLATE).status_code == 200
    url = f"/api/v1/portfolios/{PORTFOLIO}/export"
    assert_problem(client.get(url, params={"format": "pdf"}), 400, "format")
    as_of = client.get(url, params={"format": "csv", "as_of": "2025-01-01"})
    assert_problem(as_of, 422, "as_of")
    unknown = client.get(f"/api/v1/portfolios/{uuid4()}/export", params={"format": "json"})
    assert_problem(unknown, 404)
    early = client.get(url, params={"format": "json", "known_at": "2000-01-01T00:00:00Z"})
    assert_problem(early, 404)
