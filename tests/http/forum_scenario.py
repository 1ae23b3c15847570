"""The issue's acceptance scenario over HTTP: the forum portfolio and its history, recorded
through the API by the ``forum`` fixture (tests/http/test_report_scenario.py and
test_report_scenario_breakdowns.py read it back against figures computed by hand).

The forum portfolio restates its targets four times (42 → 60 → 69 → 74 projects, USD 2.1 B →
2.5 B → 3.1 B → 3.4 B, 10 000 → 12 000 → 13 500 → 14 600 jobs). Four projects report in USD,
KZT, UZS and EUR (EUR has no rate: it stays unconverted); one is cancelled; a disbursement
and a commitment date are corrected and a duplicate retracted after the moment ``before_fixes``,
when the last restatement was not yet recorded either.

Rates (units per USD), from the two rate sets the portfolio names: "NBK" publishes KZT 500
from 2024-01-01, 400 from 2025-01-01; "CBU" UZS 12 500 from 2024-01-01, 12 800 from
2025-01-01. A third set, which the portfolio does not name, has rates for every currency
used here (EUR too) and must convert nothing.

    A  Copper cathode plant, metallurgy, KZ-61 + UZ-SI, USD 50 M planned, announced 2024-03-01
       v2 under_implementation 2024-04-01      v3 committed USD 20 M 2024-06-15
       v4 disbursed KZT 2.5 B 2024-08-01       v5 the same again (a duplicate)
       v6 disbursed USD 4.0 M 2024-11-20       v7 committed EUR 3 M 2024-10-01
       v8 jobs 120 permanent + 40 temporary 2024-12-01
       later: v9 corrects v6 to USD 4.5 M, v10 retracts v5
    B  Textile cluster, textiles, UZ-TK, UZS 64 B planned, announced 2024-06-01
       v2 agreed 2024-07-01   v3 committed UZS 25.6 B 2024-09-01   v4 under_implementation
       2024-10-01; later: v5 moves v3 to 2024-12-15, v6 disbursed UZS 12.8 B 2025-02-01,
       v7 jobs 300 permanent 2025-02-15
    C  Grain terminal, agriculture, KZ-75, KZT 10 B planned, announced 2024-08-15
       v2 committed KZT 5 B 2024-09-10   v3 committed KZT -1 B 2024-11-05 (a decrease)
       later: v4 cancelled 2025-01-20
    D  Solar park, energy, KZ-71 + TR, EUR 8 M planned, announced 2025-01-15 (recorded later)
       v2 agreed 2025-02-01   v3 jobs 50 temporary 2025-03-01

Money is compared as the API writes it (to the cent); unconverted sums and rates as decimals,
since PostgreSQL returns them with six places and SQLite as they were written.

A module using the fixture imports it by name and lists it in ``__all__``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

Client = TestClient  # type: ignore[type-arg]
API = "/api/v1"


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


@dataclass(frozen=True)
class Forum:
    portfolio: str
    before_fixes: str  # an ISO moment: every first report known, no fix yet
    last_position: int  # what the last write returned
    rate_sets: dict[str, str]  # the id of each rate set, by name


def post(client: Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def announce(client: Client, portfolio: str, **plan: Any) -> str:
    return str(post(client, "/projects", {"portfolio_id": portfolio, **plan})["id"])


def event(client: Client, project: str, body: dict[str, Any]) -> dict[str, Any]:
    return post(client, f"/projects/{project}/events", body)


def rate_set(client: Client, name: str, source: str, rates: list[tuple[str, str, str]]) -> str:
    """A rate set with ``rates`` (date, currency, units per USD), published from ``source``."""
    made = str(post(client, "/rate-sets", {"name": name})["id"])
    published = post(
        client,
        f"/rate-sets/{made}/rates",
        {
            "rates": [
                {"date": day, "currency": currency, "units_per_usd": units}
                for day, currency, units in rates
            ],
            "source": {"title": source, "url": "https://example.org/rates"},
        },
    )
    assert published["version"] == 2
    return made


@pytest.fixture
def forum(client: Client) -> Forum:
    portfolio = str(
        post(
            client,
            "/portfolios",
            {
                "name": "KZ-UZ industrial cooperation",
                "forum": "Interregional forum",
                "established_on": "2023-02-01",
            },
        )["id"]
    )
    targets = [
        ("2023-02-01", "2100000000", 10_000, 42),
        ("2024-05-01", "2500000000", 12_000, 60),
        ("2024-07-12", "3100000000", 13_500, 69),
    ]
    for day, investment, jobs, projects in targets:
        post(
            client,
            f"/portfolios/{portfolio}/targets",
            {
                "investment": usd(investment),
                "jobs": jobs,
                "projects": projects,
                "effective_date": day,
                "source": {"title": f"Communiqué of {day}"},
            },
        )
    rate_sets = {
        "NBK": rate_set(
            client,
            "NBK",
            "National Bank of Kazakhstan",
            [("2024-01-01", "KZT", "500"), ("2025-01-01", "KZT", "400")],
        ),
        "CBU": rate_set(
            client,
            "CBU",
            "Central Bank of Uzbekistan",
            [("2024-01-01", "UZS", "12500"), ("2025-01-01", "UZS", "12800")],
        ),
        "Unnamed": rate_set(
            client,
            "Unnamed",
            "Somewhere else",
            [("2023-01-01", currency, "1") for currency in ("EUR", "KZT", "UZS")],
        ),
    }
    chosen = client.put(
        f"{API}/portfolios/{portfolio}/rate-sets",
        json={"rate_sets": [rate_sets["NBK"], rate_sets["CBU"]]},
    )
    assert chosen.status_code == 200, chosen.text

    a = announce(
        client,
        portfolio,
        title="Copper cathode plant",
        sector="metallurgy",
        regions=["KZ-61", "UZ-SI"],
        planned_investment=usd("50000000.00"),
        planned_jobs=300,
        effective_date="2024-03-01",
    )
    event(
        client,
        a,
        {
            "type": "status_changed",
            "status": "under_implementation",
            "effective_date": "2024-04-01",
        },
    )
    event(
        client,
        a,
        {"type": "committed", "amount": usd("20000000.00"), "effective_date": "2024-06-15"},
    )
    kzt_disbursement = {
        "type": "disbursed",
        "amount": money("2500000000", "KZT"),
        "effective_date": "2024-08-01",
    }
    assert event(client, a, kzt_disbursement)["version"] == 4
    assert event(client, a, kzt_disbursement)["version"] == 5  # the duplicate
    assert (
        event(
            client,
            a,
            {"type": "disbursed", "amount": usd("4000000.00"), "effective_date": "2024-11-20"},
        )["version"]
        == 6
    )
    event(
        client,
        a,
        {"type": "committed", "amount": money("3000000.00", "EUR"), "effective_date": "2024-10-01"},
    )
    event(
        client,
        a,
        {"type": "jobs_created", "permanent": 120, "temporary": 40, "effective_date": "2024-12-01"},
    )

    b = announce(
        client,
        portfolio,
        title="Textile cluster",
        sector="textiles",
        regions=["UZ-TK"],
        planned_investment=money("64000000000", "UZS"),
        planned_jobs=1000,
        effective_date="2024-06-01",
    )
    event(client, b, {"type": "status_changed", "status": "agreed", "effective_date": "2024-07-01"})
    assert (
        event(
            client,
            b,
            {
                "type": "committed",
                "amount": money("25600000000", "UZS"),
                "effective_date": "2024-09-01",
            },
        )["version"]
        == 3
    )
    event(
        client,
        b,
        {
            "type": "status_changed",
            "status": "under_implementation",
            "effective_date": "2024-10-01",
        },
    )

    c = announce(
        client,
        portfolio,
        title="Grain terminal",
        sector="agriculture",
        regions=["KZ-75"],
        planned_investment=money("10000000000", "KZT"),
        planned_jobs=200,
        effective_date="2024-08-15",
    )
    event(
        client,
        c,
        {"type": "committed", "amount": money("5000000000", "KZT"), "effective_date": "2024-09-10"},
    )
    event(
        client,
        c,
        {
            "type": "committed",
            "amount": money("-1000000000", "KZT"),
            "effective_date": "2024-11-05",
        },
    )

    before_fixes = datetime.now(UTC).isoformat()

    post(
        client,
        f"/portfolios/{portfolio}/targets",
        {
            "investment": usd("3400000000"),
            "jobs": 14_600,
            "projects": 74,
            "effective_date": "2024-10-22",
            "source": {"title": "Astana Times, 22 Oct 2024"},
        },
    )
    event(
        client,
        a,
        {
            "type": "corrected",
            "corrects": 6,
            "reason": "bank statement",
            "replacement": {"amount": usd("4500000.00")},
        },
    )
    event(client, a, {"type": "retracted", "retracts": 5, "reason": "entered twice"})
    event(
        client,
        b,
        {
            "type": "corrected",
            "corrects": 3,
            "reason": "signed later",
            "replacement": {"effective_date": "2024-12-15"},
        },
    )
    event(
        client,
        b,
        {
            "type": "disbursed",
            "amount": money("12800000000", "UZS"),
            "effective_date": "2025-02-01",
        },
    )
    event(client, b, {"type": "jobs_created", "permanent": 300, "effective_date": "2025-02-15"})
    event(
        client,
        c,
        {"type": "cancelled", "reason": "investor withdrew", "effective_date": "2025-01-20"},
    )
    d = announce(
        client,
        portfolio,
        title="Solar park",
        sector="energy",
        regions=["KZ-71"],
        countries=["TR"],
        planned_investment=money("8000000.00", "EUR"),
        planned_jobs=50,
        effective_date="2025-01-15",
    )
    event(client, d, {"type": "status_changed", "status": "agreed", "effective_date": "2025-02-01"})
    last = event(
        client, d, {"type": "jobs_created", "temporary": 50, "effective_date": "2025-03-01"}
    )
    return Forum(portfolio, before_fixes, int(last["position"]), rate_sets)
