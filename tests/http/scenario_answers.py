"""Reading the acceptance scenario's answers (tests/http/forum_scenario.py) into what the
tests compare, and the figures more than one of them expects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.http.forum_scenario import API, Client, Forum

# Reading answers


def get(client: Client, forum: Forum, report: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}/portfolios/{forum.portfolio}/{report}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def total(body: dict[str, Any]) -> tuple[str, dict[str, tuple[Decimal, int]]]:
    """(amount in the report currency, {currency: (unconverted sum, how many amounts)})."""
    unconverted = {u["currency"]: (Decimal(u["amount"]), u["count"]) for u in body["unconverted"]}
    return body["amount"], unconverted


def figures(body: dict[str, Any]) -> dict[str, Any]:
    jobs = body["jobs_created"]
    assert jobs["total"] == jobs["permanent"] + jobs["temporary"]
    assert body["projects"] == sum(body["projects_by_status"].values())
    return {
        "pledged": total(body["pledged"]),
        "committed": total(body["committed"]),
        "disbursed": total(body["disbursed"]),
        "jobs": (jobs["permanent"], jobs["temporary"]),
        "by_status": body["projects_by_status"],
    }


def targets(body: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if body is None:
        return None
    investment = body["investment"]
    return (
        body["version"],
        body["effective_date"],
        Decimal(investment["amount"]),
        investment["currency"],
        body["investment_in_report_currency"],
        body["jobs"],
        body["projects"],
    )


def ratios(body: dict[str, Any]) -> tuple[str | None, ...]:
    r = body["ratios"]
    return (
        r["committed_to_target"],
        r["disbursed_to_target"],
        r["jobs_to_target"],
        r["projects_to_target"],
    )


def rates_used(body: dict[str, Any]) -> list[tuple[str, str, Decimal, str]]:
    """Each rate used, with the name of the set that gave it."""
    return [
        (r["currency"], r["date"], Decimal(r["units_per_usd"]), r["rate_set"])
        for r in body["fx_rates_used"]
    ]


NONE: dict[str, tuple[Decimal, int]] = {}
EUR_3M = {"EUR": (Decimal("3000000"), 1)}
EUR_8M = {"EUR": (Decimal("8000000"), 1)}
KZT_2024 = ("KZT", "2024-01-01", Decimal(500), "NBK")
KZT_2025 = ("KZT", "2025-01-01", Decimal(400), "NBK")
UZS_2024 = ("UZS", "2024-01-01", Decimal(12500), "CBU")
UZS_2025 = ("UZS", "2025-01-01", Decimal(12800), "CBU")
#: The last restatement, the portfolio's sixth event (its fifth named the rate sets).
V6 = (6, "2024-10-22", Decimal("3400000000"), "USD", "3400000000.00", 14_600, 74)

#: The end of 2024 as now known, in USD at the latest rates (shared by progress and timeline).
END_OF_2024 = {
    # A 50 M USD + B 64 B UZS / 12 500 (rate of 2024-06-01) = 5.12 M + C 10 B KZT / 500 = 20 M
    "pledged": ("75120000.00", NONE),
    # A 20 M + B 25.6 B UZS / 12 500 = 2.048 M (now dated 2024-12-15)
    # + C (5 B - 1 B) KZT / 500 = 8 M; A's EUR 3 M has no rate
    "committed": ("30048000.00", EUR_3M),
    # A 2.5 B KZT / 500 = 5 M + 4.5 M USD (corrected); the duplicate is retracted
    "disbursed": ("9500000.00", NONE),
    "jobs": (120, 40),
    # C's cancellation is effective only on 2025-01-20
    "by_status": {"announced": 1, "under_implementation": 2},
}
