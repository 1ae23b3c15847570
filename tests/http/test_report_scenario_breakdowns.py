"""The acceptance scenario's breakdowns over HTTP as of March 2025, by sector, region,
country and status, against figures computed by hand (the scenario:
tests/http/forum_scenario.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.forum_scenario import Client, Forum, forum
from tests.http.scenario_answers import (
    EUR_3M,
    EUR_8M,
    KZT_2024,
    NONE,
    UZS_2024,
    UZS_2025,
    figures,
    get,
    rates_used,
)

__all__ = ["forum"]  # the fixture, used by name


A_MARCH_2025 = {
    "pledged": ("50000000.00", NONE),
    "committed": ("20000000.00", EUR_3M),
    "disbursed": ("9500000.00", NONE),
    "jobs": (120, 40),
    "by_status": {"under_implementation": 1},
}
B_MARCH_2025 = {
    "pledged": ("5120000.00", NONE),
    "committed": ("2048000.00", NONE),
    "disbursed": ("1000000.00", NONE),
    "jobs": (300, 0),
    "by_status": {"under_implementation": 1},
}
C_MARCH_2025 = {  # cancelled: nothing pledged, its commitments still count
    "pledged": ("0.00", NONE),
    "committed": ("8000000.00", NONE),
    "disbursed": ("0.00", NONE),
    "jobs": (0, 0),
    "by_status": {"cancelled": 1},
}
D_MARCH_2025 = {
    "pledged": ("0.00", EUR_8M),
    "committed": ("0.00", NONE),
    "disbursed": ("0.00", NONE),
    "jobs": (0, 50),
    "by_status": {"agreed": 1},
}
A_AND_B_MARCH_2025 = {
    "pledged": ("55120000.00", NONE),
    "committed": ("22048000.00", EUR_3M),
    "disbursed": ("10500000.00", NONE),
    "jobs": (420, 40),
    "by_status": {"under_implementation": 2},
}


@pytest.mark.parametrize(
    "by, expected",
    [
        (
            "sector",
            {
                "agriculture": C_MARCH_2025,
                "energy": D_MARCH_2025,
                "metallurgy": A_MARCH_2025,
                "textiles": B_MARCH_2025,
            },
        ),
        (
            "region",  # A is in two regions and counts fully in each
            {
                "KZ-61": A_MARCH_2025,
                "KZ-71": D_MARCH_2025,
                "KZ-75": C_MARCH_2025,
                "UZ-SI": A_MARCH_2025,
                "UZ-TK": B_MARCH_2025,
            },
        ),
        (
            "country",
            {
                "KZ": {  # A + C + D
                    "pledged": ("50000000.00", EUR_8M),
                    "committed": ("28000000.00", EUR_3M),
                    "disbursed": ("9500000.00", NONE),
                    "jobs": (120, 90),
                    "by_status": {"agreed": 1, "cancelled": 1, "under_implementation": 1},
                },
                "TR": D_MARCH_2025,
                "UZ": A_AND_B_MARCH_2025,
            },
        ),
        (
            "status",
            {
                "agreed": D_MARCH_2025,
                "cancelled": C_MARCH_2025,
                "under_implementation": A_AND_B_MARCH_2025,
            },
        ),
    ],
)
def test_breakdowns_as_of_march_2025(
    client: Client, forum: Forum, by: str, expected: dict[str, Any]
) -> None:
    body = get(client, forum, "breakdown", by=by, as_of="2025-03-31")
    assert body["by"] == by
    assert {s["key"]: figures(s["figures"]) for s in body["slices"]} == expected
    assert [s["key"] for s in body["slices"]] == sorted(expected)
    assert rates_used(body) == [KZT_2024, UZS_2024, UZS_2025]
