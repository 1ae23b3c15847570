"""The issue's acceptance scenario over HTTP, against figures computed by hand: progress
and the timeline as of several days, now and as known before the fixes, in tenge and at
fixed rates; reading after writing; the same beside the demo.

The scenario, its projects, rates and fixes: tests/http/forum_scenario.py. Money is
compared as the API writes it (to the cent); unconverted sums and rates as decimals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.http.forum_scenario import API, Client, Forum, announce, event, forum, usd
from tests.http.scenario_answers import (
    END_OF_2024,
    EUR_3M,
    EUR_8M,
    KZT_2024,
    KZT_2025,
    NONE,
    UZS_2024,
    UZS_2025,
    V6,
    figures,
    get,
    rates_used,
    ratios,
    targets,
)
from tracker.application import TrackerApplication
from tracker.demo import load_demo
from tracker.settings import Settings

__all__ = ["forum"]  # the fixture, used by name


def test_progress_as_of_the_end_of_2024_now_and_before_the_fixes(
    client: Client, forum: Forum
) -> None:
    now = get(client, forum, "progress", as_of="2024-12-31")
    assert figures(now) == END_OF_2024
    assert now["projects"] == 3  # D is announced in 2025
    assert targets(now["targets"]) == V6
    # 30 048 000 / 3 400 000 000 = 0.00884, 9 500 000 / 3.4 B = 0.00279, 160 / 14 600 = 0.01096,
    # 3 / 74 = 0.04054
    assert ratios(now) == ("0.0088", "0.0028", "0.0110", "0.0405")
    assert rates_used(now) == [KZT_2024, UZS_2024]
    # Each rate names its set and where the set published it; the sets named, preferred first.
    kzt = now["fx_rates_used"][0]
    assert kzt["rate_set_id"] == forum.rate_sets["NBK"] and kzt["illustrative"] is False
    assert kzt["source"] == {
        "title": "National Bank of Kazakhstan",
        "url": "https://example.org/rates",
    }
    assert datetime.fromisoformat(kzt["recorded_at"]) < datetime.fromisoformat(forum.before_fixes)
    assert [(s["id"], s["name"], s["illustrative"]) for s in now["fx_rate_sets"]] == [
        (forum.rate_sets["NBK"], "NBK", False),
        (forum.rate_sets["CBU"], "CBU", False),
    ]

    before = get(client, forum, "progress", as_of="2024-12-31", known_at=forum.before_fixes)
    assert figures(before) == {
        "pledged": ("75120000.00", NONE),
        # B's commitment still dated 2024-09-01: same rate, same sum
        "committed": ("30048000.00", EUR_3M),
        # 5 M + the duplicate 5 M + USD 4.0 M before its correction
        "disbursed": ("14000000.00", NONE),
        "jobs": (120, 40),
        "by_status": {"announced": 1, "under_implementation": 2},
    }
    # The restatement to 74 projects was recorded after that moment: the 69 are in force.
    assert targets(before["targets"]) == (
        4,
        "2024-07-12",
        Decimal("3100000000"),
        "USD",
        "3100000000.00",
        13_500,
        69,
    )
    # 30 048 000 / 3.1 B = 0.00969, 14 M / 3.1 B = 0.00452, 160 / 13 500 = 0.01185, 3 / 69 = 0.04348
    assert ratios(before) == ("0.0097", "0.0045", "0.0119", "0.0435")


def test_the_rates_used_say_when_they_were_recorded_in_utc(client: Client, forum: Forum) -> None:
    """Like every recorded time the API gives (an event's ``recorded_at``), with its zone."""
    now = get(client, forum, "progress", as_of="2024-12-31")
    history = client.get(f"{API}/rate-sets/{forum.rate_sets['NBK']}/history").json()
    published = datetime.fromisoformat(history[1]["recorded_at"])
    assert published.utcoffset() is not None
    for rate in now["fx_rates_used"]:
        recorded_at = datetime.fromisoformat(rate["recorded_at"])
        assert recorded_at.utcoffset() is not None, rate["recorded_at"]
    kzt = now["fx_rates_used"][0]
    assert datetime.fromisoformat(kzt["recorded_at"]) == published
    for rate_set in now["fx_rate_sets"]:
        assert datetime.fromisoformat(rate_set["recorded_at"]).utcoffset() is not None


def test_progress_mid_2024_and_in_2025(client: Client, forum: Forum) -> None:
    june = get(client, forum, "progress", as_of="2024-06-30")
    assert figures(june) == {
        # A 50 M + B 64 B UZS / 12 500 = 5.12 M
        "pledged": ("55120000.00", NONE),
        "committed": ("20000000.00", NONE),
        "disbursed": ("0.00", NONE),
        "jobs": (0, 0),
        "by_status": {"announced": 1, "under_implementation": 1},
    }
    assert targets(june["targets"]) == (
        3,
        "2024-05-01",
        Decimal("2500000000"),
        "USD",
        "2500000000.00",
        12_000,
        60,
    )
    # 20 M / 2.5 B = 0.008; 2 / 60 = 0.0333
    assert ratios(june) == ("0.0080", "0.0000", "0.0000", "0.0333")

    march = get(client, forum, "progress", as_of="2025-03-31")
    assert figures(march) == {
        # C is cancelled now: its pledge is out; D's EUR 8 M has no rate
        "pledged": ("55120000.00", EUR_8M),
        "committed": ("30048000.00", EUR_3M),
        # 9.5 M + B 12.8 B UZS / 12 800 (rate of 2025-01-01) = 1 M
        "disbursed": ("10500000.00", NONE),
        # A 120 + 40, B 300 + 0, D 0 + 50
        "jobs": (420, 90),
        "by_status": {"agreed": 1, "cancelled": 1, "under_implementation": 2},
    }
    # 30 048 000 / 3.4 B = 0.00884, 10.5 M / 3.4 B = 0.00309, 510 / 14 600 = 0.03493, 4 / 74
    assert ratios(march) == ("0.0088", "0.0031", "0.0349", "0.0541")
    assert rates_used(march) == [KZT_2024, UZS_2024, UZS_2025]

    before_anything = get(client, forum, "progress", known_at="2000-01-01T00:00:00Z")
    assert before_anything["targets"] is None and before_anything["projects"] == 0
    assert ratios(before_anything) == (None, None, None, None)


def test_progress_in_tenge_and_at_fixed_rates(client: Client, forum: Forum) -> None:
    kzt = get(client, forum, "progress", as_of="2024-12-31", currency="KZT")
    assert kzt["currency"] == "KZT"
    assert figures(kzt) == {
        # A 50 M USD × 500 = 25 B + B 64 B UZS / 12 500 × 500 = 2.56 B + C 10 B KZT as it is
        "pledged": ("37560000000.00", NONE),
        # A 20 M × 500 = 10 B + B 25.6 B / 12 500 × 500 = 1.024 B + C 4 B
        "committed": ("15024000000.00", EUR_3M),
        # A 2.5 B KZT + 4.5 M USD × 500 = 2.25 B
        "disbursed": ("4750000000.00", NONE),
        "jobs": (120, 40),
        "by_status": {"announced": 1, "under_implementation": 2},
    }
    # USD 3.4 B × 500 (the rate of 2024-10-22)
    assert targets(kzt["targets"]) == (
        6,
        "2024-10-22",
        Decimal("3400000000"),
        "USD",
        "1700000000000.00",
        14_600,
        74,
    )
    # the same shares as in dollars: 15.024 B / 1 700 B, 4.75 B / 1 700 B
    assert ratios(kzt) == ("0.0088", "0.0028", "0.0110", "0.0405")
    assert rates_used(kzt) == [KZT_2024, UZS_2024]

    fixed = get(client, forum, "progress", as_of="2024-12-31", fx="fixed:2025-01-01")
    assert figures(fixed) == {
        # every amount at 400 KZT and 12 800 UZS: 50 M + 64 B / 12 800 = 5 M + 10 B / 400 = 25 M
        "pledged": ("80000000.00", NONE),
        # 20 M + 25.6 B / 12 800 = 2 M + 4 B / 400 = 10 M
        "committed": ("32000000.00", EUR_3M),
        # 2.5 B / 400 = 6.25 M + 4.5 M
        "disbursed": ("10750000.00", NONE),
        "jobs": (120, 40),
        "by_status": {"announced": 1, "under_implementation": 2},
    }
    # 32 M / 3.4 B = 0.00941, 10.75 M / 3.4 B = 0.00316
    assert ratios(fixed) == ("0.0094", "0.0032", "0.0110", "0.0405")
    assert rates_used(fixed) == [KZT_2025, UZS_2025]


def test_timeline_by_quarter_now_and_before_the_fixes(client: Client, forum: Forum) -> None:
    now = get(client, forum, "timeline", interval="quarter", as_of="2025-03-31")
    points = {p["period"]: p for p in now["points"]}
    # From the first target (2023-02-01) to as_of: nine quarters.
    assert list(points) == [
        "2023-Q1",
        "2023-Q2",
        "2023-Q3",
        "2023-Q4",
        "2024-Q1",
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
        "2025-Q1",
    ]
    assert [p["end"] for p in now["points"]][-2:] == ["2024-12-31", "2025-03-31"]
    # Restated in 2023-Q1 (42), 2024-Q2 (60), 2024-Q3 (69) and 2024-Q4 (74).
    assert [
        (p["period"], p["targets"]["projects"]) for p in now["points"] if p["target_restated"]
    ] == [("2023-Q1", 42), ("2024-Q2", 60), ("2024-Q3", 69), ("2024-Q4", 74)]
    assert figures(points["2023-Q4"]["figures"]) == {
        "pledged": ("0.00", NONE),
        "committed": ("0.00", NONE),
        "disbursed": ("0.00", NONE),
        "jobs": (0, 0),
        "by_status": {},
    }
    assert figures(points["2024-Q3"]["figures"]) == {
        "pledged": ("75120000.00", NONE),
        # A 20 M + C 5 B KZT / 500 = 10 M; B's commitment now falls in Q4, A's EUR on Oct 1
        "committed": ("30000000.00", NONE),
        "disbursed": ("5000000.00", NONE),
        "jobs": (0, 0),
        "by_status": {"agreed": 1, "announced": 1, "under_implementation": 1},
    }
    assert figures(points["2024-Q4"]["figures"]) == END_OF_2024

    before = get(
        client,
        forum,
        "timeline",
        interval="quarter",
        as_of="2025-03-31",
        known_at=forum.before_fixes,
    )
    then = {p["period"]: p for p in before["points"]}
    assert figures(then["2024-Q3"]["figures"]) == {
        "pledged": ("75120000.00", NONE),
        # + B 25.6 B UZS / 12 500 = 2.048 M, still dated 2024-09-01
        "committed": ("32048000.00", NONE),
        # + the duplicate KZT 2.5 B, not yet retracted
        "disbursed": ("10000000.00", NONE),
        "jobs": (0, 0),
        "by_status": {"agreed": 1, "announced": 1, "under_implementation": 1},
    }
    # The 74-project restatement was not recorded yet: no restatement in 2024-Q4.
    assert then["2024-Q4"]["target_restated"] is False
    assert then["2024-Q4"]["targets"]["projects"] == 69
    # C was not cancelled yet and D not announced: 3 projects, C's pledge still counted.
    assert figures(then["2025-Q1"]["figures"])["by_status"] == {
        "announced": 1,
        "under_implementation": 2,
    }
    assert then["2025-Q1"]["figures"]["pledged"]["amount"] == "75120000.00"


def test_reading_after_writing_with_min_position(client: Client, forum: Forum) -> None:
    body = get(client, forum, "progress", as_of="2025-03-31", min_position=forum.last_position)
    assert body["position"] >= forum.last_position
    assert body["jobs_created"] == {"permanent": 420, "temporary": 90, "total": 510}

    project = announce(
        client,
        forum.portfolio,
        title="Cement kiln",
        sector="construction",
        regions=["UZ-NW"],
        planned_investment=usd("1000000.00"),
        effective_date="2025-03-20",
    )
    written = event(
        client,
        project,
        {"type": "committed", "amount": usd("250000.00"), "effective_date": "2025-03-25"},
    )
    after = get(client, forum, "progress", as_of="2025-03-31", min_position=written["position"])
    assert after["position"] >= written["position"] > forum.last_position
    assert after["pledged"]["amount"] == "56120000.00"  # 55.12 M + 1 M
    assert after["committed"]["amount"] == "30298000.00"  # 30.048 M + 0.25 M
    assert after["projects_by_status"]["announced"] == 1


@pytest.fixture
def demo_loaded(settings: Settings) -> None:
    """The demo in the same database first: its illustrative rate set, its 74 projects."""
    tracker = TrackerApplication(settings)
    try:
        load_demo(tracker, datetime.now(UTC))
    finally:
        tracker.close()


def test_the_scenario_holds_beside_the_demo(
    demo_loaded: None, client: Client, forum: Forum
) -> None:
    """Once the demo was loaded, its illustrative rates converted this portfolio too (4 of
    35 checks failed); now they reach only the portfolio that names them."""
    test_progress_as_of_the_end_of_2024_now_and_before_the_fixes(client, forum)
    test_progress_mid_2024_and_in_2025(client, forum)
    test_progress_in_tenge_and_at_fixed_rates(client, forum)
    test_timeline_by_quarter_now_and_before_the_fixes(client, forum)
    page = client.get(f"/portfolios/{forum.portfolio}").text
    assert "Illustrative data" not in page and "Illustrative (demo)" not in page
