"""POST /api/v1/imports, hardened: the body is streamed to a file, a process runs at most
TRACKER_MAX_CONCURRENT_IMPORTS imports at once, only ASCII digits are numbers, and the CSV
export neutralises spreadsheet formulas. On both databases."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import api.routes.transfer as transfer
from api.app import create_app
from tests.http.conftest import make_key
from tests.problems import assert_problem
from tracker.keys import Role
from tracker.settings import Settings, SettingsError
from tracker.transfer.references import portfolio_id_for, project_id_for

Client = TestClient  # type: ignore[type-arg]
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "docs" / "import-template.csv").read_bytes()
CSV = {"content-type": "text/csv"}


def post_rows(client: Client, body: Any, *, dry_run: bool = False) -> Any:
    return client.post(
        "/api/v1/imports", params={"dry_run": str(dry_run).lower()}, content=body, headers=CSV
    )


def test_the_concurrency_bound_is_a_setting_of_two_by_default() -> None:
    assert Settings.from_env({}).max_concurrent_imports == 2
    assert Settings.from_env({"TRACKER_MAX_CONCURRENT_IMPORTS": "5"}).max_concurrent_imports == 5
    for bad in ("0", "-1", "two"):
        with pytest.raises(SettingsError, match="TRACKER_MAX_CONCURRENT_IMPORTS"):
            Settings.from_env({"TRACKER_MAX_CONCURRENT_IMPORTS": bad})


@pytest.fixture
def held_imports(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[Any]]]:
    """Imports that wait in the worker thread until ``release`` is set; ``started`` fills as
    each one begins."""
    release = threading.Event()
    started: list[Any] = []
    real = transfer.import_rows

    def held(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        assert release.wait(30), "the test never released the held imports"
        return real(*args, **kwargs)

    monkeypatch.setattr(transfer, "import_rows", held)
    yield release, started
    release.set()


def test_a_third_concurrent_import_is_refused_with_retry_after(
    settings: Settings, held_imports: tuple[threading.Event, list[Any]]
) -> None:
    release, started = held_imports
    app = create_app(settings)
    answers: list[Any] = []
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {make_key(settings, 'admin', Role.ADMIN)}"

        def importing() -> None:
            answers.append(post_rows(client, TEMPLATE, dry_run=True))

        threads = [threading.Thread(target=importing) for _ in range(2)]
        for thread in threads:
            thread.start()
        for _ in range(300):  # both hold their slot, in the worker thread
            if len(started) == 2:
                break
            threading.Event().wait(0.05)
        assert len(started) == 2

        refused = post_rows(client, TEMPLATE, dry_run=True)
        problem = assert_problem(refused, 503)
        assert int(refused.headers["retry-after"]) >= 1
        assert "2 imports" in problem["detail"]
        assert len(started) == 2  # the refused one never began

        release.set()
        for thread in threads:
            thread.join(30)
        assert [a.status_code for a in answers] == [200, 200]
        assert post_rows(client, TEMPLATE).status_code == 200  # the slots were given back


def test_refused_and_failed_imports_give_their_slot_back(client: Client) -> None:
    bad = TEMPLATE.replace(b"2025-04-01", b"2025-04-31")
    for _ in range(3):
        assert post_rows(client, bad).status_code == 422
        assert post_rows(client, b"row_id,type\n").status_code == 422
    assert post_rows(client, TEMPLATE).status_code == 200


def test_a_body_sent_in_chunks_is_imported_as_one_file(client: Client) -> None:
    def chunks() -> Iterator[bytes]:
        for start in range(0, len(TEMPLATE), 97):  # cuts rows and UTF-8 characters apart
            yield TEMPLATE[start : start + 97]

    response = post_rows(client, chunks())
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows_total"], body["new"], body["events_recorded"]) == (15, 15, 15)
    assert body["rows"][-1] == {
        "line": 16,
        "row_id": "lh-3",
        "type": "status_changed",
        "ref": "logistics-hub",
        "outcome": "new",
    }
    portfolio = client.get(f"/api/v1/portfolios/{portfolio_id_for('kz-uz-2024')}").json()
    assert portfolio["name"] == "KZ–UZ industrial cooperation"  # the dash survived the cuts


@pytest.mark.parametrize(
    ("old", "new", "line", "column"),
    [
        (b",20000000.00,USD,", ",٥,USD,".encode(), 6, "amount"),
        (b",2500000000,KZT,", ",１２.５,KZT,".encode(), 7, "amount"),
        (b",USD,300,", ",USD,²,".encode(), 4, "planned_jobs"),
        (b",120,40,", ",١٢٠,40,".encode(), 9, "permanent"),
        (b",2025-04-20,", ",２０２５-04-20,".encode(), 10, "effective_date"),
    ],
    ids=["arabic-indic amount", "fullwidth amount", "superscript jobs", "arabic jobs", "date"],
)
def test_unicode_digits_are_a_422_naming_line_and_column(
    client: Client, old: bytes, new: bytes, line: int, column: str
) -> None:
    assert old in TEMPLATE
    errors = assert_problem(post_rows(client, TEMPLATE.replace(old, new)), 422)["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(line, column)]
    assert client.get(f"/api/v1/portfolios/{portfolio_id_for('kz-uz-2024')}").status_code == 404


def test_the_csv_export_over_http_neutralises_a_formula_title(client: Client) -> None:
    formula = TEMPLATE.replace(b"Copper cathode plant", b"'=1+1")  # imported as =1+1
    assert post_rows(client, formula).status_code == 200
    project = client.get(f"/api/v1/projects/{project_id_for('copper-plant')}").json()
    assert project["title"] == "=1+1"
    exported = client.get(
        f"/api/v1/portfolios/{portfolio_id_for('kz-uz-2024')}/export", params={"format": "csv"}
    )
    records = list(csv.DictReader(io.StringIO(exported.text)))
    assert next(r for r in records if r["type"] == "announced")["title"] == "'=1+1"
