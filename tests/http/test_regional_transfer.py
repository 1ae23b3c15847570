"""Regional spreadsheets over HTTP: a cp1251 ``;`` CSV named by its charset, regional numbers
and dates by query parameters, a workbook by its media type, and a CSV export with a BOM."""

from __future__ import annotations

import io
from typing import Any

from litestar.testing import TestClient
from openpyxl import Workbook

from tests.integration.test_regional_files import canonical_rows, regionalised, write
from tests.problems import assert_problem
from tracker.transfer.columns import COLUMNS
from tracker.transfer.export import MEDIA_TYPES
from tracker.transfer.references import portfolio_id_for

Client = TestClient  # type: ignore[type-arg]
PORTFOLIO = str(portfolio_id_for("kz-uz-2024"))
REGIONAL = {"number_format": "regional", "date_format": "regional"}


def post(client: Client, body: bytes, content_type: str, **params: Any) -> Any:
    return client.post(
        "/api/v1/imports", params=params, content=body, headers={"content-type": content_type}
    )


def test_a_cp1251_semicolon_csv_imports_as_the_canonical_rows(client: Client) -> None:
    rows = canonical_rows()
    regional = write(regionalised(rows), ";").encode("cp1251")
    refused = post(client, regional, "text/csv; charset=windows-1251")
    body = assert_problem(refused, 422)
    hints = [e for e in body["errors"] if "--number-format regional" in e["message"]]
    assert hints and {e["column"] for e in hints} >= {"amount", "jobs"}
    assert all(isinstance(e["line"], int) for e in body["errors"])

    named = post(client, regional, "text/csv; charset=windows-1251", **REGIONAL)
    assert named.status_code == 200, named.text
    answer = named.json()
    assert answer["events_recorded"] == len(rows)
    assert answer["read_as"] == {
        "kind": "csv",
        "encoding": "cp1251",
        "separator": ";",
        "sheet": None,
        "number_format": "regional",
        "date_format": "regional",
        "summary": "CSV, cp1251, semicolon-separated, numbers as 1 500 000,00, dates as 31.03.2025",
    }
    found = post(client, regional, "text/csv", **REGIONAL)  # the encoding found from the body
    assert found.json()["read_as"]["encoding"] == "cp1251"
    assert found.json()["already_recorded"] == len(rows)
    canonical = post(client, write(rows).encode(), "text/csv")
    assert canonical.json()["already_recorded"] == len(rows), canonical.text

    unknown = post(client, regional, "text/csv; charset=klingon")
    assert_problem(unknown, 422, "encoding")
    wrong = client.post(
        "/api/v1/imports", params={"number_format": "german"}, content=regional, headers={}
    )
    assert_problem(wrong, 400)


def test_a_workbook_imports_by_its_media_type(client: Client) -> None:
    rows = canonical_rows()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row.get(c) or None for c in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    answer = post(client, buffer.getvalue(), MEDIA_TYPES["xlsx"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["read_as"]["sheet"] == "Sheet"
    assert answer.json()["events_recorded"] == len(rows)
    not_a_book = post(client, b"PK\x03\x04 not a zip", MEDIA_TYPES["xlsx"])
    body = assert_problem(not_a_book, 422)
    assert "not an Excel workbook" in body["errors"][0]["message"]


def test_a_csv_export_may_start_with_a_byte_order_mark(client: Client) -> None:
    assert post(client, write(canonical_rows()).encode(), "text/csv").status_code == 200
    path = f"/api/v1/portfolios/{PORTFOLIO}/export"
    plain = client.get(path, params={"format": "csv"})
    marked = client.get(path, params={"format": "csv", "bom": "true"})
    assert marked.status_code == 200
    assert marked.content == b"\xef\xbb\xbf" + plain.content
    assert_problem(client.get(path, params={"format": "json", "bom": "true"}), 422, "bom")
