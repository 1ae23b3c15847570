"""Indicators over HTTP: the trade indicator against its USD 10 B goal at any moment.

What each test would catch: an observation counted before it was published, or a target
before it was stated (``as_of``); a correction or target recorded later changing an
answer already given (``known_at``); money converted without the portfolio's rates or
dropped for want of one. (Who may write and what is refused: test_indicator_writes.py.)
"""

from __future__ import annotations

from tests.http.trade_indicator import (
    API,
    JAN_AUG_2024,
    SAMARKAND,
    YEAR_2023,
    Client,
    define_trade,
    listed,
    now,
    periods,
    post,
    record_trade,
    shown,
    usd,
)
from tests.problems import assert_problem
from tests.rates import give_rates_over_http


def test_the_trade_indicator_shows_its_observations_against_the_goal_at_any_as_of(
    client: Client, portfolio_id: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    record_trade(client, indicator)

    [now_] = listed(client, portfolio_id)
    assert periods(now_) == [
        ("2023", "4400000000.00"),
        ("2024-01-01 to 2024-08-31", "2500000000.00"),
    ]
    assert now_["target"]["value"] == usd("10000000000.00")
    assert now_["target"]["target_date"] == "2030-12-31" and now_["target"]["per"] == "year"
    # The goal is annual: the latest whole year compares with it, not Jan–Aug.
    assert now_["latest"]["period"]["label"] == "2023"
    assert now_["progress_to_target"] == "0.4400"
    assert now_["observations"][0]["source"] == SAMARKAND

    # Before the 2023 figure was published: nothing observed.
    before = listed(client, portfolio_id, as_of="2024-02-14")[0]
    assert before["observations"] == [] and before["latest"] is None
    # After it, before Samarkand; and after Samarkand, before the goal was stated.
    assert periods(listed(client, portfolio_id, as_of="2024-06-30")[0]) == [
        ("2023", "4400000000.00")
    ]
    then = listed(client, portfolio_id, as_of="2025-06-30")[0]
    assert len(then["observations"]) == 2
    assert then["target"] is None and then["progress_to_target"] is None
    assert then["target_history"] == []
    # The same through the indicator's own address, with its version as ETag.
    one = client.get(f"{API}/indicators/{indicator}", params={"as_of": "2025-12-31"})
    assert one.status_code == 200 and one.headers["etag"] == '"4"'
    assert one.json()["indicator"]["progress_to_target"] == "0.4400"


def test_the_target_in_force_is_the_latest_stated_by_the_as_of(
    client: Client, portfolio_id: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    post(
        client,
        f"/indicators/{indicator}/observations",
        {"period": YEAR_2023, "value": usd("4400000000"), "effective_date": "2024-02-15"},
    )
    targets = f"/indicators/{indicator}/targets"
    post(
        client,
        targets,
        {"value": usd("5000000000"), "target_date": "2025-12-31", "effective_date": "2023-03-01"},
    )
    post(
        client,
        targets,
        {"value": usd("10000000000"), "target_date": "2030-12-31", "effective_date": "2025-11-15"},
    )
    early = shown(client, indicator, as_of="2024-12-31")
    assert early["target"]["value"]["amount"] == "5000000000.00"
    assert early["progress_to_target"] == "0.8800"  # no per: any latest observation compares
    late = shown(client, indicator, as_of="2025-11-15")
    assert late["target"]["value"]["amount"] == "10000000000.00"
    assert [t["target_date"] for t in late["target_history"]] == ["2025-12-31", "2030-12-31"]
    assert late["progress_to_target"] == "0.4400"


def test_a_correction_recorded_later_does_not_change_a_report_known_before(
    client: Client, portfolio_id: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    record_trade(client, indicator)
    before_fix = now()
    fixed = post(
        client,
        f"/indicators/{indicator}/corrections",
        {"period": YEAR_2023, "value": usd("4410000000.50"), "reason": "final customs"},
    )
    assert fixed["version"] == 5
    before_retraction = now()
    post(
        client,
        f"/indicators/{indicator}/retractions",
        {"period": JAN_AUG_2024, "reason": "preliminary figure"},
    )

    current = shown(client, indicator)
    assert periods(current) == [("2023", "4410000000.50")]
    assert current["observations"][0]["correction_reason"] == "final customs"
    # The correction keeps the day the figure counts from.
    assert current["observations"][0]["effective_date"] == "2024-02-15"
    assert current["progress_to_target"] == "0.4410"

    then = shown(client, indicator, known_at=before_fix)
    assert periods(then) == [
        ("2023", "4400000000.00"),
        ("2024-01-01 to 2024-08-31", "2500000000.00"),
    ]
    assert then["observations"][0]["correction_reason"] is None
    assert then["progress_to_target"] == "0.4400"
    between = listed(client, portfolio_id, known_at=before_retraction)[0]
    assert periods(between) == [
        ("2023", "4410000000.50"),
        ("2024-01-01 to 2024-08-31", "2500000000.00"),
    ]

    history = client.get(f"{API}/indicators/{indicator}/history").json()
    assert [e["type"] for e in history] == [
        "defined",
        "observed",
        "observed",
        "target_restated",
        "observation_corrected",
        "observation_retracted",
    ]
    assert history[4]["payload"]["reason"] == "final customs"
    assert history[4]["payload"]["value"] == usd("4410000000.50")
    old = client.get(f"{API}/indicators/{indicator}/history", params={"known_at": before_fix})
    assert len(old.json()) == 4
    # Known before the indicator was defined, it was not there.
    assert_problem(
        client.get(f"{API}/indicators/{indicator}", params={"known_at": "2020-01-01T00:00:00Z"}),
        404,
    )
    assert listed(client, portfolio_id, known_at="2020-01-01T00:00:00Z") == []


def test_a_counted_indicator_has_a_unit_and_plain_values(client: Client, portfolio_id: str) -> None:
    body = {
        "name": "Goods exported additionally",
        "unit": "goods",
        "description": "Kazakhstan's offer at Samarkand",
        "effective_date": "2024-10-22",
    }
    indicator = post(client, f"/portfolios/{portfolio_id}/indicators", body)["id"]
    post(
        client,
        f"/indicators/{indicator}/targets",
        {"value": {"amount": "40"}, "target_date": "2026-12-31", "effective_date": "2024-10-22"},
    )
    post(
        client,
        f"/indicators/{indicator}/observations",
        {
            "period": {"start": "2025-01-01", "end": "2025-03-31", "kind": "quarter"},
            "value": {"amount": "12"},
        },
    )
    found = shown(client, indicator)
    assert (found["unit"], found["currency"], found["report_currency"]) == ("goods", None, None)
    assert found["latest"]["value"] == {"amount": "12", "currency": None}
    assert found["latest"]["value_in_report_currency"] == "12"
    # The effective date defaults to the end of the period.
    assert found["latest"]["effective_date"] == "2025-03-31"
    assert found["progress_to_target"] == "0.3000"


def test_money_is_converted_with_the_portfolios_rates_or_listed_unconverted(
    client: Client, portfolio_id: str
) -> None:
    body = {"name": "Exports pledged", "currency": "USD", "effective_date": "2024-10-22"}
    indicator = post(client, f"/portfolios/{portfolio_id}/indicators", body)["id"]
    post(
        client,
        f"/indicators/{indicator}/targets",
        {"value": usd("550000000"), "target_date": "2026-12-31", "effective_date": "2024-10-22"},
    )
    post(
        client,
        f"/indicators/{indicator}/observations",
        {
            "period": {"start": "2025-01-01", "end": "2025-12-31", "kind": "year"},
            "value": {"amount": "55000000000", "currency": "KZT"},
        },
    )
    without = shown(client, indicator)
    assert without["progress_to_target"] is None
    assert [o["value"]["currency"] for o in without["unconverted"]] == ["KZT"]
    assert without["latest"]["value_in_report_currency"] is None

    give_rates_over_http(
        client, portfolio_id, [{"date": "2025-12-31", "currency": "KZT", "units_per_usd": "500"}]
    )
    response = client.get(f"{API}/indicators/{indicator}").json()
    converted = response["indicator"]
    assert converted["latest"]["value_in_report_currency"] == "110000000.00"
    assert converted["progress_to_target"] == "0.2000" and converted["unconverted"] == []
    assert [(r["currency"], r["units_per_usd"]) for r in response["fx_rates_used"]] == [
        ("KZT", "500.00")
    ]
    in_kzt = shown(client, indicator, currency="KZT")
    assert in_kzt["report_currency"] == "KZT"
    assert in_kzt["target"]["value_in_report_currency"] is None  # no USD→KZT rate in 2024
