"""Indicators over HTTP: the trade indicator against its USD 10 B goal at any moment.

What each test would catch: an observation counted before it was published, or a target
before it was stated (``as_of``); a correction or target recorded later changing an
answer already given (``known_at``); a second observation of a period silently replacing
the first; a key of another portfolio writing here; money converted without the
portfolio's rates or dropped for want of one; bad input answered with anything but a
problem that names the field.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from html import unescape
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from tests.http.conftest import make_key
from tests.problems import assert_problem
from tests.rates import give_rates_over_http
from tracker.keys import Role
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]
API = "/api/v1"
YEAR_2023 = {"start": "2023-01-01", "end": "2023-12-31", "kind": "year"}
JAN_AUG_2024 = {"start": "2024-01-01", "end": "2024-08-31", "kind": "to_date"}
SAMARKAND = {"title": "Astana Times, 22 Oct 2024", "url": "https://astanatimes.com/2024/10/"}


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def now() -> str:
    """A moment strictly between the write before and the write after."""
    time.sleep(0.002)
    moment = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.002)
    return moment


def post(client: Client, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == status, response.text
    return dict(response.json())


def define_trade(client: Client, portfolio_id: str) -> str:
    body = {"name": "Mutual trade turnover", "currency": "USD", "effective_date": "2024-10-22"}
    return str(post(client, f"/portfolios/{portfolio_id}/indicators", body)["id"])


def record_trade(client: Client, indicator: str) -> None:
    """The reported figures: 2023 (published 15 Feb 2024), Jan–Aug 2024 (at Samarkand),
    and the USD 10 B annual goal by 2030 stated on 15 Nov 2025."""
    observe = f"/indicators/{indicator}/observations"
    post(
        client,
        observe,
        {
            "period": YEAR_2023,
            "value": usd("4400000000"),
            "effective_date": "2024-02-15",
            "source": SAMARKAND,
        },
    )
    post(
        client,
        observe,
        {
            "period": JAN_AUG_2024,
            "value": usd("2500000000"),
            "effective_date": "2024-10-22",
            "source": SAMARKAND,
        },
    )
    goal = {
        "value": usd("10000000000"),
        "target_date": "2030-12-31",
        "per": "year",
        "effective_date": "2025-11-15",
        "source": {"title": "Joint statement"},
    }
    post(client, f"/indicators/{indicator}/targets", goal)


def listed(client: Client, portfolio_id: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(f"{API}/portfolios/{portfolio_id}/indicators", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def shown(client: Client, indicator: str, **params: str) -> dict[str, Any]:
    response = client.get(f"{API}/indicators/{indicator}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json()["indicator"])


def periods(indicator: dict[str, Any]) -> list[tuple[str, str]]:
    return [(o["period"]["label"], o["value"]["amount"]) for o in indicator["observations"]]


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


def test_who_may_define_observe_and_restate(
    client: Client, anonymous_client: Client, settings: Settings, portfolio_id: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    other = post(
        client, "/portfolios", {"name": "Other", "forum": "F", "established_on": "2024-01-01"}
    )["id"]

    def key(name: str, role: Role, scope: str | None = None) -> dict[str, str]:
        token = make_key(settings, name, role, UUID(scope) if scope else None)
        return {"Authorization": f"Bearer {token}"}

    elsewhere = key("other-desk", Role.RECORDER, other)
    elsewhere_admin = key("other-admin", Role.ADMIN, other)
    desk = key("desk", Role.RECORDER, portfolio_id)
    own_admin = key("own-admin", Role.ADMIN, portfolio_id)
    observation = {"period": YEAR_2023, "value": usd("4400000000")}
    target = {"value": usd("1"), "target_date": "2030-12-31"}
    define = {"name": "x", "unit": "goods"}

    def send(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        return anonymous_client.post(f"{API}{path}", json=body, headers=headers)

    # A key scoped to another portfolio writes none of this one's indicators.
    assert_problem(send(f"/indicators/{indicator}/observations", observation, elsewhere), 403)
    assert_problem(send(f"/indicators/{indicator}/targets", target, elsewhere_admin), 403)
    assert_problem(send(f"/portfolios/{portfolio_id}/indicators", define, elsewhere_admin), 403)
    # Even with the idempotency key of an answer given to this portfolio's own desk.
    replay = {**observation, "period": JAN_AUG_2024, "value": usd("2500000000")}
    headers = {"Idempotency-Key": "obs-1"}
    assert (
        send(f"/indicators/{indicator}/observations", replay, {**desk, **headers}).status_code
        == 201
    )
    assert_problem(
        send(f"/indicators/{indicator}/observations", replay, {**elsewhere, **headers}), 403
    )
    again = send(f"/indicators/{indicator}/observations", replay, {**desk, **headers})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    # A recorder observes; defining and restating the target need an admin.
    assert send(f"/indicators/{indicator}/observations", observation, desk).status_code == 201
    assert_problem(send(f"/indicators/{indicator}/targets", target, desk), 403)
    assert_problem(send(f"/portfolios/{portfolio_id}/indicators", define, desk), 403)
    assert send(f"/indicators/{indicator}/targets", target, own_admin).status_code == 201
    assert send(f"/portfolios/{portfolio_id}/indicators", define, own_admin).status_code == 201
    assert_problem(
        anonymous_client.post(f"{API}/indicators/{indicator}/observations", json=observation), 401
    )
    history = client.get(f"{API}/indicators/{indicator}/history").json()
    assert [e["actor"] for e in history[1:]] == ["desk", "desk", "own-admin"]


MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        (
            "observations",
            {"period": {**YEAR_2023, "end": "2023-12-30"}, "value": usd("1")},
            422,
            "period.end",
        ),
        (
            "observations",
            {"period": {**YEAR_2023, "kind": "decade"}, "value": usd("1")},
            400,
            "period.kind",
        ),
        ("observations", {"period": YEAR_2023, "value": {"amount": "1"}}, 422, "value.currency"),
        (
            "observations",
            {"period": YEAR_2023, "value": {"amount": 1, "currency": "USD"}},
            400,
            "value.amount",
        ),
        (
            "observations",
            {"period": YEAR_2023, "value": usd("1"), "effective_date": "2023-06-01"},
            422,
            "effective_date",
        ),
        (
            "observations",
            {"period": {**JAN_AUG_2024, "end": "2099-12-31"}, "value": usd("1")},
            422,
            "period.end",
        ),
        ("observations", {"period": YEAR_2023, "value": usd("2")}, 409, "period"),
        ("observations", {"period": YEAR_2023}, 400, "value"),
        (
            "corrections",
            {"period": YEAR_2023, "value": usd("4400000000.000"), "reason": "same"},
            409,
            "value",
        ),
        ("corrections", {"period": JAN_AUG_2024, "value": usd("1"), "reason": "r"}, 409, "period"),
        ("retractions", {"period": JAN_AUG_2024, "reason": "r"}, 409, "period"),
        ("retractions", {"period": YEAR_2023, "reason": ""}, 400, "reason"),
        ("targets", {"value": usd("1"), "target_date": "2200-01-01"}, 422, "target_date"),
        ("targets", {"value": usd("1"), "target_date": "2030-12-31", "per": "week"}, 400, "per"),
        (
            "targets",
            {"value": {"amount": "1", "currency": "XYZ"}, "target_date": "2030-12-31"},
            422,
            "value.currency",
        ),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_records_nothing(
    client: Client, portfolio_id: str, path: str, body: dict[str, Any], status: int, field: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    post(
        client,
        f"/indicators/{indicator}/observations",
        {"period": YEAR_2023, "value": usd("4400000000"), "effective_date": "2024-02-15"},
    )
    assert_problem(client.post(f"{API}/indicators/{indicator}/{path}", json=body), status, field)
    history = client.get(f"{API}/indicators/{indicator}/history").json()
    assert len(history) == 2


def test_unknown_portfolios_and_indicators_and_bad_moments(
    client: Client, portfolio_id: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    define = {"name": "x", "unit": "goods"}
    assert_problem(
        client.post(f"{API}/portfolios/{MISSING}/indicators", json=define), 422, "portfolio_id"
    )
    assert_problem(
        client.post(f"{API}/portfolios/{portfolio_id}/indicators", json={"name": "x"}), 422, "unit"
    )
    assert_problem(
        client.post(
            f"{API}/portfolios/{portfolio_id}/indicators", json={**define, "currency": "USD"}
        ),
        422,
        "unit",
    )
    assert_problem(client.get(f"{API}/portfolios/{MISSING}/indicators"), 404)
    assert_problem(client.get(f"{API}/indicators/{MISSING}"), 404)
    assert_problem(client.get(f"{API}/indicators/{MISSING}/history"), 404)
    assert_problem(client.get(f"{API}/indicators/{portfolio_id}/history"), 404)  # not one
    observe = {"period": YEAR_2023, "value": usd("1")}
    assert_problem(client.post(f"{API}/indicators/{MISSING}/observations", json=observe), 404)
    assert_problem(
        client.get(f"{API}/indicators/{indicator}", params={"as_of": "1800-01-01"}), 400, "as_of"
    )
    assert_problem(
        client.get(f"{API}/indicators/{indicator}", params={"currency": "usd"}), 400, "currency"
    )
    assert_problem(
        client.get(f"{API}/indicators/{indicator}", params={"currency": "XYZ"}), 422, "currency"
    )
    assert_problem(
        client.post(
            f"{API}/indicators/{indicator}/observations",
            json=observe,
            headers={"If-Match": '"7"'},
        ),
        412,
        "If-Match",
    )


def test_the_json_export_carries_the_indicators_as_known_then(
    client: Client, portfolio_id: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    record_trade(client, indicator)
    before_fix = now()
    post(
        client,
        f"/indicators/{indicator}/corrections",
        {"period": YEAR_2023, "value": usd("4410000000.50"), "reason": "final customs"},
    )

    def exported(**params: str) -> dict[str, Any]:
        response = client.get(
            f"{API}/portfolios/{portfolio_id}/export", params={"format": "json", **params}
        )
        assert response.status_code == 200, response.text
        [only] = response.json()["indicators"]
        return dict(only)

    current = exported()
    assert (current["id"], current["name"], current["currency"]) == (
        indicator,
        "Mutual trade turnover",
        "USD",
    )
    first = current["observations"][0]
    assert first["period"] == YEAR_2023 and first["value"] == usd("4410000000.50")
    assert first["correction_reason"] == "final customs" and first["source"] == SAMARKAND
    assert first["effective_date"] == "2024-02-15" and first["actor"] == "test-admin"
    [goal] = current["targets"]
    assert goal["value"] == usd("10000000000") and goal["per"] == "year"
    assert [e["type"] for e in current["events"]][-1] == "observation_corrected"

    then = exported(known_at=before_fix)
    assert then["observations"][0]["value"] == usd("4400000000")
    assert then["observations"][0]["correction_reason"] is None
    assert len(then["events"]) == 4
    early = exported(as_of="2024-06-30")
    assert [o["period"]["kind"] for o in early["observations"]] == ["year"]
    assert early["targets"] == []


FIGURE = re.compile(r'<data data-figure="([\w-]+)" value="([^"]*)"')


def test_the_portfolio_page_shows_a_card_and_a_chart_per_indicator_at_its_moment(
    client: Client, portfolio_id: str
) -> None:
    indicator = define_trade(client, portfolio_id)
    record_trade(client, indicator)
    before_fix = now()
    post(
        client,
        f"/indicators/{indicator}/corrections",
        {"period": YEAR_2023, "value": usd("4410000000.50"), "reason": "final customs"},
    )

    def card(**params: str) -> tuple[dict[str, str], str]:
        response = client.get(f"/portfolios/{portfolio_id}", params=params)
        assert response.status_code == 200, response.text
        page = unescape(response.text)
        start = page.index(f'id="indicator-{indicator}"')
        part = page[start : page.index("</article>", start)]
        key = f"indicator-{indicator}"
        found = {k.replace(key, "card"): v for k, v in FIGURE.findall(part)}
        return found, part

    now_, part = card()
    assert now_ == {
        "card": "4410000000.50",
        "card-period": "2023",
        "card-ratio": "0.4410",
        "card-target": "10000000000.00",
    }
    assert "USD 10.00 bn" in part and "31 Dec 2030" in part and "Joint statement" in part
    assert 'href="https://astanatimes.com/2024/10/"' in part
    assert '<svg class="chart"' in part and "Target: USD 10.00 bn by 31 Dec 2030" in part

    # Known before the correction: the figure then.
    assert card(known_at=before_fix)[0]["card"] == "4400000000.00"
    # As of a day before the goal was stated: no target, so the latest period of any kind.
    then, part = card(as_of="2025-06-30")
    assert then == {"card": "2500000000.00", "card-period": "2024-01-01 to 2024-08-31"}
    assert "No target stated by then" in part
    # Before anything was published.
    nothing, part = card(as_of="2024-01-31")
    assert nothing == {} and "No value observed by then" in part
