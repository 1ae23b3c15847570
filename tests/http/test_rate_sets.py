"""Exchange rates as events of named rate sets, and the sets each portfolio converts with.

Defects these tests pin (issue 13): rates were one global table replaced in place, so a
report known at a past moment used today's rates; the demo's illustrative rates converted
every portfolio; a report did not say which source converted which amount.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import make_key, project_body
from tests.problems import assert_problem
from tests.rates import give_rates_over_http
from tracker.keys import Role
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]
KZT_500 = {"date": "2024-01-01", "currency": "KZT", "units_per_usd": "500"}


def kzt_project(client: Client, portfolio_id: str, amount: str = "5000000") -> str:
    body = project_body(portfolio_id, planned_investment={"amount": amount, "currency": "KZT"})
    response = client.post("/api/v1/projects", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def progress(client: Client, portfolio_id: str, **params: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/portfolios/{portfolio_id}/progress", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def new_portfolio(client: Client, name: str) -> str:
    response = client.post(
        "/api/v1/portfolios",
        json={"name": name, "forum": "Forum", "established_on": "2024-10-22"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def moment() -> str:
    """Now, then a pause, so that what is recorded next is recorded after this moment."""
    now = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    return now


def test_a_portfolio_converts_only_with_the_sets_it_names(
    client: Client, portfolio_id: str
) -> None:
    kzt_project(client, portfolio_id)
    before = progress(client, portfolio_id)
    assert before["pledged"]["amount"] == "0.00"
    assert before["pledged"]["unconverted"] == [
        {"currency": "KZT", "amount": "5000000.00", "count": 1}
    ]
    assert before["fx_rate_sets"] == [] and before["fx_rates_used"] == []

    rate_set = give_rates_over_http(client, portfolio_id, [KZT_500], name="NBK official")
    after = progress(client, portfolio_id)
    assert Decimal(after["pledged"]["amount"]) == Decimal(10_000)
    assert after["pledged"]["unconverted"] == []
    [used] = after["fx_rates_used"]
    assert used["rate_set_id"] == rate_set and used["rate_set"] == "NBK official"
    assert (used["currency"], used["date"], used["units_per_usd"]) == (
        "KZT",
        "2024-01-01",
        "500.00",
    )
    assert [s["name"] for s in after["fx_rate_sets"]] == ["NBK official"]

    # Another portfolio, with KZT amounts of its own, does not pick the set up.
    other = new_portfolio(client, "Another portfolio")
    kzt_project(client, other)
    assert progress(client, other)["pledged"]["unconverted"][0]["currency"] == "KZT"


def test_a_rate_corrected_later_does_not_change_a_report_known_before(
    client: Client, portfolio_id: str
) -> None:
    kzt_project(client, portfolio_id)
    rate_set = give_rates_over_http(client, portfolio_id, [KZT_500])
    known_then = moment()
    corrected = client.post(
        f"/api/v1/rate-sets/{rate_set}/corrections",
        json={**KZT_500, "units_per_usd": "400", "reason": "typing error"},
    )
    assert corrected.status_code == 201, corrected.text
    assert progress(client, portfolio_id)["pledged"]["amount"] == "12500.00"
    then = progress(client, portfolio_id, known_at=known_then)
    assert then["pledged"]["amount"] == "10000.00"
    assert then["fx_rates_used"][0]["units_per_usd"] == "500.00"

    # The set itself, as known then and now; its history names every event.
    old = client.get(f"/api/v1/rate-sets/{rate_set}", params={"known_at": known_then}).json()
    assert [r["units_per_usd"] for r in old["rates"]] == ["500.00"]
    assert [
        r["units_per_usd"] for r in client.get(f"/api/v1/rate-sets/{rate_set}").json()["rates"]
    ] == ["400.00"]
    history = client.get(f"/api/v1/rate-sets/{rate_set}/history").json()
    assert [e["type"] for e in history] == ["established", "rates_published", "rate_corrected"]
    assert history[2]["payload"]["reason"] == "typing error" and history[2]["actor"] == "test-admin"

    known_corrected = moment()
    withdrawn = client.post(
        f"/api/v1/rate-sets/{rate_set}/withdrawals",
        json={"date": "2024-01-01", "currency": "KZT", "reason": "not an official rate"},
    )
    assert withdrawn.status_code == 201, withdrawn.text
    assert progress(client, portfolio_id)["pledged"]["unconverted"][0]["amount"] == "5000000.00"
    assert progress(client, portfolio_id, known_at=known_corrected)["pledged"]["amount"] == (
        "12500.00"
    )


def test_the_first_named_set_with_a_rate_converts(client: Client, portfolio_id: str) -> None:
    kzt_project(client, portfolio_id)
    uzs = project_body(portfolio_id, planned_investment={"amount": "1280000", "currency": "UZS"})
    assert client.post("/api/v1/projects", json=uzs).status_code == 201
    official = give_rates_over_http(client, portfolio_id, [KZT_500], name="NBK official")
    fallback = give_rates_over_http(
        client,
        portfolio_id,
        [
            {"date": "2024-01-01", "currency": "KZT", "units_per_usd": "250"},
            {"date": "2024-01-01", "currency": "UZS", "units_per_usd": "12800"},
        ],
        name="Fallback",
    )
    chosen = client.put(
        f"/api/v1/portfolios/{portfolio_id}/rate-sets", json={"rate_sets": [official, fallback]}
    )
    assert chosen.status_code == 200, chosen.text
    report = progress(client, portfolio_id)
    # KZT at the official 500 (not the fallback's 250), UZS from the fallback.
    assert report["pledged"]["amount"] == "10100.00"
    assert {(r["currency"], r["rate_set"]) for r in report["fx_rates_used"]} == {
        ("KZT", "NBK official"),
        ("UZS", "Fallback"),
    }
    portfolio = client.get(f"/api/v1/portfolios/{portfolio_id}").json()
    assert portfolio["rate_sets"] == [official, fallback]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"rates": [{**KZT_500, "currency": "USD"}]}, 422, "rates[0].currency"),
        ({"rates": [KZT_500, KZT_500]}, 422, "rates[1]"),
        ({"rates": [{**KZT_500, "units_per_usd": "0"}]}, 422, "rates[0].units_per_usd"),
        ({"rates": [{**KZT_500, "date": "2999-01-01"}]}, 422, "rates[0].date"),
        ({"rates": [{**KZT_500, "currency": "XYZ"}]}, 422, "rates[0].currency"),
        ({"rates": [{**KZT_500, "units_per_usd": "1e5"}]}, 400, None),
        ({"rates": [{**KZT_500, "units_per_usd": "499"}]}, 409, "rates[0]"),
    ],
)
def test_a_bad_publication_records_nothing(
    client: Client, portfolio_id: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    rate_set = give_rates_over_http(client, portfolio_id, [KZT_500])
    version = client.get(f"/api/v1/rate-sets/{rate_set}").json()["version"]
    assert_problem(client.post(f"/api/v1/rate-sets/{rate_set}/rates", json=body), status, field)
    assert client.get(f"/api/v1/rate-sets/{rate_set}").json()["version"] == version


def test_publishing_the_same_rates_again_records_nothing(client: Client, portfolio_id: str) -> None:
    rate_set = give_rates_over_http(client, portfolio_id, [KZT_500])
    again = client.post(f"/api/v1/rate-sets/{rate_set}/rates", json={"rates": [KZT_500]})
    assert again.status_code == 201 and again.json()["version"] == 2


def test_corrections_and_choices_are_checked(client: Client, portfolio_id: str) -> None:
    rate_set = give_rates_over_http(client, portfolio_id, [KZT_500])
    path = f"/api/v1/rate-sets/{rate_set}"
    unknown = {"date": "2024-02-01", "currency": "KZT", "units_per_usd": "1", "reason": "r"}
    assert_problem(client.post(f"{path}/corrections", json=unknown), 409, "date")
    same = {**KZT_500, "reason": "no change"}
    assert_problem(client.post(f"{path}/corrections", json=same), 409, "units_per_usd")
    gone = {"date": "2024-02-01", "currency": "KZT", "reason": "r"}
    assert_problem(client.post(f"{path}/withdrawals", json=gone), 409, "date")
    choices = f"/api/v1/portfolios/{portfolio_id}/rate-sets"
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(client.put(choices, json={"rate_sets": [missing]}), 422, "rate_sets[0]")
    assert_problem(client.put(choices, json={"rate_sets": [rate_set, rate_set]}), 422, "rate_sets")
    assert_problem(client.get(f"/api/v1/rate-sets/{missing}"), 404)


def test_who_may_write_rates(
    client: Client, anonymous_client: Client, settings: Settings, portfolio_id: str
) -> None:
    rate_set = give_rates_over_http(client, portfolio_id, [KZT_500])
    recorder = {"Authorization": f"Bearer {make_key(settings, 'desk', Role.RECORDER)}"}
    scoped_admin = {
        "Authorization": "Bearer "
        + make_key(settings, "portfolio-admin", Role.ADMIN, portfolio_id=_uuid(portfolio_id))
    }
    publish = {"rates": [{**KZT_500, "date": "2024-02-01"}]}
    for headers in (recorder, scoped_admin):
        status = 403
        assert_problem(
            anonymous_client.post("/api/v1/rate-sets", json={"name": "x"}, headers=headers), status
        )
        assert_problem(
            anonymous_client.post(
                f"/api/v1/rate-sets/{rate_set}/rates", json=publish, headers=headers
            ),
            status,
        )
    choices = f"/api/v1/portfolios/{portfolio_id}/rate-sets"
    assert_problem(anonymous_client.put(choices, json={"rate_sets": []}, headers=recorder), 403)
    # An admin of this very portfolio chooses its rate sets.
    chosen = anonymous_client.put(choices, json={"rate_sets": [rate_set]}, headers=scoped_admin)
    assert chosen.status_code == 200, chosen.text
    other = new_portfolio(client, "Another")
    assert_problem(
        anonymous_client.put(
            f"/api/v1/portfolios/{other}/rate-sets",
            json={"rate_sets": [rate_set]},
            headers=scoped_admin,
        ),
        403,
    )
    listed = anonymous_client.get("/api/v1/rate-sets").json()["items"]
    assert [s["id"] for s in listed] == [rate_set]


def _uuid(text: str) -> Any:
    from uuid import UUID

    return UUID(text)


def import_file(client: Client, rate_set: str, text: str, **params: str) -> Any:
    return client.post(
        f"/api/v1/rate-sets/{rate_set}/imports",
        content=text.encode(),
        params=params,
        headers={"Content-Type": "text/csv"},
    )


def test_an_official_rate_file_is_published_whole_or_not_at_all(
    client: Client, portfolio_id: str
) -> None:
    rate_set = give_rates_over_http(client, portfolio_id, [KZT_500])
    good = "\ufeffdate,currency,units_per_usd\n2024-01-01,KZT,500\n2024-02-01,KZT,505.5\n"
    first = import_file(client, rate_set, good, source_title="National Bank of Kazakhstan")
    assert first.status_code == 201, first.text
    assert (first.json()["rates_in_file"], first.json()["rates_new"]) == (2, 1)
    again = import_file(client, rate_set, good)
    assert again.json()["rates_new"] == 0 and again.json()["version"] == first.json()["version"]
    rates = client.get(f"/api/v1/rate-sets/{rate_set}").json()["rates"]
    assert [(r["date"], r["units_per_usd"]) for r in rates] == [
        ("2024-01-01", "500.00"),
        ("2024-02-01", "505.50"),
    ]
    assert rates[1]["source"]["title"] == "National Bank of Kazakhstan"

    bad = (
        "date,currency,units_per_usd\n"
        "2024-03-01,KZT,510\n"
        "01.03.2024,KZT,510\n"
        "2024-03-01,USD,1\n"
        "2024-03-01,UZS,-3\n"
        "2024-03-01,XYZ,3\n"
    )
    body = assert_problem(import_file(client, rate_set, bad), 422)
    assert [(e["line"], e["column"]) for e in body["errors"]] == [
        (3, "date"),
        (4, "currency"),
        (5, "units_per_usd"),
        (6, "currency"),
    ]
    # A different value for a published rate is a correction: refused, naming its line.
    changed = "date,currency,units_per_usd\n2024-04-01,KZT,511\n2024-02-01,KZT,506\n"
    body = assert_problem(import_file(client, rate_set, changed), 422)
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, "date")]
    assert "already published" in body["errors"][0]["message"]
    for header in ("date;currency;units_per_usd\n", "day,currency,rate\n", ""):
        assert_problem(import_file(client, rate_set, header + "2024-05-01,KZT,1\n"), 422)
    final = client.get(f"/api/v1/rate-sets/{rate_set}").json()
    assert len(final["rates"]) == 2 and final["version"] == first.json()["version"]


def test_the_portfolio_page_names_the_sets_that_converted(
    client: Client, portfolio_id: str
) -> None:
    kzt_project(client, portfolio_id)
    page = client.get(f"/portfolios/{portfolio_id}").text
    assert "names no exchange-rate set" in page and "Illustrative data" not in page
    rate_set = give_rates_over_http(client, portfolio_id, [KZT_500], name="NBK official")
    page = client.get(f"/portfolios/{portfolio_id}").text
    assert f'href="/api/v1/rate-sets/{rate_set}"' in page and "NBK official</a>" in page
    assert "Illustrative data" not in page  # an official set: no banner

    other = new_portfolio(client, "Converted with invented rates")
    kzt_project(client, other)
    give_rates_over_http(client, other, [KZT_500], name="Made up", illustrative=True)
    page = client.get(f"/portfolios/{other}").text
    assert "Illustrative data" in page and "exchange rates used are illustrative" in page
    # The first portfolio is untouched by the other's illustrative set.
    assert "Illustrative data" not in client.get(f"/portfolios/{portfolio_id}").text


@pytest.mark.parametrize("moment", ["0.5", "1700000000", "yesterday", "2024-13-01T00:00:00Z"])
def test_a_known_at_that_is_not_a_moment_is_refused(client: Client, moment: str) -> None:
    """Found by schemathesis: Litestar read ``known_at=0.5`` as half a second after 1970."""
    assert_problem(client.get("/api/v1/rate-sets", params={"known_at": moment}), 400, "known_at")
    listed = client.get("/api/v1/rate-sets", params={"known_at": "2024-10-22T18:00:00+05:00"})
    assert listed.status_code == 200, listed.text
