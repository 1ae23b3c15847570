"""Who may write an indicator over HTTP, and what is refused.

What each test would catch: a key of another portfolio writing here; a second observation
of a period silently replacing the first; bad input answered with anything but a problem
that names the field.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.http.conftest import make_key
from tests.http.trade_indicator import API, JAN_AUG_2024, YEAR_2023, Client, define_trade, post, usd
from tests.problems import assert_problem
from tracker.keys import Role
from tracker.settings import Settings


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
