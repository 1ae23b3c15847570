"""Rate rows through POST /api/v1/imports and the CSV export, on both databases."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import make_key
from tests.problems import assert_problem
from tracker.keys import Role
from tracker.settings import Settings
from tracker.transfer.references import portfolio_id_for, rate_set_id_for

Client = TestClient  # type: ignore[type-arg]
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "docs" / "import-template.csv").read_bytes()
CSV = {"content-type": "text/csv"}
PORTFOLIO = portfolio_id_for("kz-uz-2024")
RATES = (
    b"row_id,type,portfolio_ref,rate_set_ref,effective_date,title,currency,amount,rate_sets\n"
    b"nbk,rate_set,,nbk-official,,National Bank of Kazakhstan,,,\n"
    b"nbk-kzt,rate,,nbk-official,2024-01-02,,KZT,512,\n"
)
CHOSEN = b"row_id,type,portfolio_ref,rate_sets\npf-rates,rate_sets_chosen,kz-uz-2024,nbk-official\n"


def post_rows(client: Client, body: bytes, **headers: str) -> Any:
    return client.post("/api/v1/imports", content=body, headers={**CSV, **headers})


def test_imported_rates_convert_the_portfolio_and_its_export_carries_them(
    client: Client, settings: Settings
) -> None:
    assert post_rows(client, TEMPLATE).status_code == 200
    progress = client.get(f"/api/v1/portfolios/{PORTFOLIO}/progress").json()
    assert progress["fx_rates_used"] == [] and progress["disbursed"]["unconverted"]

    scoped = make_key(settings, "portfolio admin", Role.ADMIN, PORTFOLIO)
    recorder = make_key(settings, "desk", Role.RECORDER)
    for key in (scoped, recorder):
        denied = assert_problem(post_rows(client, RATES, Authorization=f"Bearer {key}"), 403)
        assert [(e["line"], e["column"]) for e in denied["errors"]] == [(2, "type"), (3, "type")]
    assert post_rows(client, RATES).status_code == 200  # an admin key of no portfolio
    denied = assert_problem(post_rows(client, CHOSEN, Authorization=f"Bearer {recorder}"), 403)
    assert [(e["line"], e["column"]) for e in denied["errors"]] == [(2, "type")]
    assert post_rows(client, CHOSEN, Authorization=f"Bearer {scoped}").status_code == 200

    progress = client.get(f"/api/v1/portfolios/{PORTFOLIO}/progress").json()
    assert not progress["disbursed"]["unconverted"]
    used = progress["fx_rates_used"]
    assert [(r["currency"], Decimal(r["units_per_usd"])) for r in used] == [("KZT", 512)]

    exported = client.get(f"/api/v1/portfolios/{PORTFOLIO}/export", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    nbk = str(rate_set_id_for("nbk-official"))
    assert [(r["row_id"], r["type"], r["rate_set_ref"]) for r in rows[:2]] == [
        ("nbk", "rate_set", nbk),
        (f"rate:{nbk}:KZT:2024-01-02", "rate", nbk),
    ]
    assert [r["rate_sets"] for r in rows if r["type"] == "rate_sets_chosen"] == [nbk]
