"""Findings of the hardening round, each replayed through the API on both databases.

A NUL in a title froze the PostgreSQL read model; extreme ``known_at`` values and deeply
nested bodies answered 500; a scoped admin key established portfolios and set everyone's
exchange rates, and replayed another portfolio's idempotent answers; backdated status changes
were accepted; "١٢" and upper-case ids were taken; a fact dated decades back made a timeline
1,200 points long; nothing bounded report computation; ``/ready`` said ready while the
projector was stuck.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from tests.http.conftest import make_key, project_body
from tests.http.test_errors_and_conditions import assert_problem, events_url
from tracker.keys import Role
from tracker.readmodel import service as service_module
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.readmodel.service import ReadModel
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]
DEEP = "[" * 1000 + "]" * 1000


def readmodel_of(app: Litestar) -> ReadModel:
    readmodel = app.dependencies["readmodel"].dependency()
    assert isinstance(readmodel, ReadModel)
    return readmodel


def portfolio(client: Client, name: str = "P") -> str:
    body = {"name": name, "forum": "F", "established_on": "2024-10-22"}
    response = client.post("/api/v1/portfolios", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def announce(client: Client, portfolio_id: str, **overrides: object) -> str:
    response = client.post("/api/v1/projects", json=project_body(portfolio_id, **overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# 1. NUL and control characters


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": "nul\u0000title"}, "title"),
        ({"sector": "metal\u0000lurgy"}, "sector"),
        ({"parties": ["Kaz\u001bInvest"]}, "parties"),
        ({"source": {"title": "Gazette\u0000"}}, "source.title"),
    ],
)
def test_text_with_control_characters_is_refused_naming_the_field(
    client: Client, portfolio_id: str, overrides: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/projects", json=project_body(portfolio_id, **overrides))
    assert_problem(response, 422, field)


def test_after_a_nul_attempt_the_reports_keep_up(client: Client, project_id: str) -> None:
    body = {
        "type": "corrected",
        "corrects": 1,
        "reason": "typo",
        "replacement": {"sector": "met\u0000als"},
    }
    assert_problem(client.post(events_url(project_id), json=body), 422, "sector")
    committed = {"type": "committed", "amount": {"amount": "5.00", "currency": "USD"}}
    position = client.post(events_url(project_id), json=committed).json()["position"]
    project = client.get(f"/api/v1/projects/{project_id}").json()
    portfolio_id = project["portfolio_id"]
    progress = client.get(
        f"/api/v1/portfolios/{portfolio_id}/progress?min_position={position}"
    ).json()
    assert progress["position"] >= position
    assert progress["committed"]["amount"] == "5.00"
    assert client.get("/ready").status_code == 200


# 1. /ready reports a projector that set an event aside or lags


def test_ready_is_503_naming_the_position_of_an_event_set_aside(
    client: Client, app: Litestar, project_id: str
) -> None:
    tracker = readmodel_of(app).tracker
    (bad,) = tracker.recorder.insert_events(
        [StoredEvent(uuid4(), 1, "tracker:Project.NoSuchEvent", b"{}")]
    )
    milestone = {"type": "milestone", "name": "Foundation stone"}
    position = client.post(events_url(project_id), json=milestone).json()["position"]
    assert position > bad  # applied past the bad event: the projector went on
    assert client.get(f"/api/v1/projects/{project_id}/events").status_code == 200

    body = assert_problem(client.get("/ready"), 503)
    assert f"position {bad}" in body["detail"]
    assert "NoSuchEvent" in body["detail"]
    metrics = client.get("/metrics").text
    assert "tracker_projector_set_aside_events 1.0" in metrics


@pytest.fixture
def lagging_app(settings: Settings) -> Litestar:
    """An API whose projector is another process, which is not running."""
    return create_app(replace(settings, projector_in_process=False, ready_max_lag=0.3))


def test_ready_is_503_while_the_projector_lags_and_200_once_it_caught_up(
    lagging_app: Litestar, settings: Settings
) -> None:
    with TestClient(lagging_app) as client:
        client.headers["Authorization"] = f"Bearer {make_key(settings, 'a', Role.ADMIN)}"
        portfolio(client)
        time.sleep(0.5)
        body = assert_problem(client.get("/ready"), 503)
        assert "behind the event log" in body["detail"]
        assert "TRACKER_READY_MAX_LAG" in body["detail"]
        tracker = readmodel_of(lagging_app).tracker
        engine = create_readmodel_engine(settings, pool_size=1)
        try:
            Projector(tracker, engine).catch_up()
        finally:
            engine.dispose()
        assert client.get("/ready").status_code == 200


# 2. moments outside the readable dates


EXTREMES = [
    ("known_at", "0001-01-01T00:00:00+14:00"),
    ("known_at", "9999-12-31T23:59:59-12:00"),
    ("known_at", "1899-12-31T23:59:59Z"),
    ("as_of", "0001-01-01"),
    ("as_of", "9999-12-31"),
]


@pytest.mark.parametrize("name, value", EXTREMES)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/portfolios/{portfolio}/progress",
        "/api/v1/portfolios/{portfolio}/breakdown?by=sector",
        "/api/v1/portfolios/{portfolio}/timeline",
        "/api/v1/portfolios/{portfolio}/export?format=json",
        "/api/v1/portfolios/{portfolio}",
        "/api/v1/projects/{project}",
    ],
)
def test_a_moment_outside_the_readable_dates_is_400_naming_it(
    client: Client, project_id: str, path: str, name: str, value: str
) -> None:
    portfolio_id = client.get(f"/api/v1/projects/{project_id}").json()["portfolio_id"]
    url = path.format(portfolio=portfolio_id, project=project_id)
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}{name}={value.replace('+', '%2B')}")
    assert_problem(response, 400, name)


@pytest.mark.parametrize("name, value", EXTREMES)
@pytest.mark.parametrize("page", ["/", "/portfolios/{portfolio}", "/projects/{project}"])
def test_dashboard_pages_say_what_is_wrong_with_the_moment(
    client: Client, project_id: str, page: str, name: str, value: str
) -> None:
    portfolio_id = client.get(f"/api/v1/projects/{project_id}").json()["portfolio_id"]
    url = page.format(portfolio=portfolio_id, project=project_id)
    response = client.get(f"{url}?{name}={value.replace('+', '%2B')}")
    assert response.status_code == 400
    assert "outside the readable dates" in response.text


# 3. deep nesting


@pytest.mark.parametrize(
    "body", [DEEP, '{"type":"milestone","name":"x","description":' + DEEP + "}"]
)
def test_a_deeply_nested_body_is_400(client: Client, project_id: str, body: str) -> None:
    for url in ("/api/v1/portfolios", "/api/v1/projects", events_url(project_id)):
        response = client.post(url, content=body, headers={"content-type": "application/json"})
        assert_problem(response, 400)


# 4. and 5. scopes: the matrix of roles, scopes and write routes


ROLES = (Role.READER, Role.RECORDER, Role.ADMIN)
SCOPES = ("none", "own", "other")


#: Rate sets belong to no one portfolio: only an unscoped admin writes them.
RATE_SET_ROUTES = ("rate_set", "rates", "correction", "withdrawal")
RATE = {"date": "2025-01-02", "currency": "KZT", "units_per_usd": "500"}


def allowed(route: str, role: Role, scope: str) -> bool:
    if role is Role.READER:
        return False
    if route in ("establish", *RATE_SET_ROUTES):
        return role is Role.ADMIN and scope == "none"
    if route in ("targets", "rate_choice"):
        return role is Role.ADMIN and scope != "other"
    return scope != "other"  # announce, record: recorders and admins of that portfolio


@pytest.fixture
def world(client: Client) -> dict[str, str]:
    own = portfolio(client, "own")
    other = portfolio(client, "other")
    rate_set = client.post("/api/v1/rate-sets", json={"name": "NBK"})
    assert rate_set.status_code == 201, rate_set.text
    rate_set_id = str(rate_set.json()["id"])
    published = client.post(f"/api/v1/rate-sets/{rate_set_id}/rates", json={"rates": [RATE]})
    assert published.status_code == 201, published.text
    return {
        "own": own,
        "other": other,
        "project": announce(client, own),
        "rate_set": rate_set_id,
    }


def write(client: Client, route: str, world: dict[str, str], key: str) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    own = world["own"]
    if route == "establish":
        body = {"name": "N", "forum": "F", "established_on": "2024-10-22"}
        return client.post("/api/v1/portfolios", json=body, headers=headers)
    if route == "targets":
        body = {"investment": {"amount": "1", "currency": "USD"}, "jobs": 1, "projects": 1}
        return client.post(f"/api/v1/portfolios/{own}/targets", json=body, headers=headers)
    if route == "announce":
        return client.post("/api/v1/projects", json=project_body(own), headers=headers)
    if route == "record":
        body = {"type": "milestone", "name": "m"}
        return client.post(events_url(world["project"]), json=body, headers=headers)
    if route == "rate_choice":
        body = {"rate_sets": [world["rate_set"]]}
        return client.put(f"/api/v1/portfolios/{own}/rate-sets", json=body, headers=headers)
    if route == "rate_set":
        return client.post("/api/v1/rate-sets", json={"name": "CBU"}, headers=headers)
    rate_set = f"/api/v1/rate-sets/{world['rate_set']}"
    if route == "rates":
        rate = {**RATE, "date": "2025-01-03"}
        return client.post(f"{rate_set}/rates", json={"rates": [rate]}, headers=headers)
    if route == "correction":
        body = {**RATE, "units_per_usd": "505", "reason": "misprint"}
        return client.post(f"{rate_set}/corrections", json=body, headers=headers)
    body = {"date": RATE["date"], "currency": RATE["currency"], "reason": "not official"}
    return client.post(f"{rate_set}/withdrawals", json=body, headers=headers)


@pytest.mark.parametrize(
    "route", ["establish", "targets", "announce", "record", "rate_choice", *RATE_SET_ROUTES]
)
def test_each_write_route_allows_exactly_the_roles_and_scopes_it_should(
    client: Client, settings: Settings, world: dict[str, str], route: str
) -> None:
    for role in ROLES:
        for scope in SCOPES:
            portfolio_id = None if scope == "none" else UUID(world[scope])
            key = make_key(settings, f"{role}-{scope}-{route}", role, portfolio_id)
            response = write(client, route, world, key)
            if allowed(route, role, scope):
                assert response.status_code in (200, 201), (role, scope, response.text)
            else:
                assert_problem(response, 403)


def test_a_scoped_key_cannot_replay_another_portfolio_s_idempotent_answer(
    client: Client, settings: Settings, world: dict[str, str]
) -> None:
    other_project = announce(client, world["other"])
    body = {"type": "milestone", "name": "m"}
    first = client.post(events_url(other_project), json=body, headers={"Idempotency-Key": "K1"})
    assert first.status_code == 201
    scoped = make_key(settings, "scoped-to-own", Role.ADMIN, UUID(world["own"]))
    replay = client.post(
        events_url(other_project),
        json=body,
        headers={"Idempotency-Key": "K1", "Authorization": f"Bearer {scoped}"},
    )
    assert_problem(replay, 403)
    assert "Idempotent-Replayed" not in replay.headers


# 9. timelines and the report budget


def test_a_fact_dated_decades_back_keeps_the_timeline_bounded_and_the_page_up(
    client: Client, portfolio_id: str
) -> None:
    project = announce(client, portfolio_id, effective_date="1950-01-01")
    old = {"type": "committed", "amount": {"amount": "1", "currency": "USD"}}
    assert client.post(events_url(project), json={**old, "effective_date": "1950-02-01"}).is_success
    response = client.get(f"/api/v1/portfolios/{portfolio_id}/timeline?interval=month")
    assert response.status_code == 200
    timeline = response.json()
    assert len(timeline["points"]) == 240
    assert timeline["left_out_before"] == timeline["points"][0]["period"] + "-01"
    assert client.get(f"/portfolios/{portfolio_id}").status_code == 200


@pytest.mark.parametrize("day", ["1927-03-01", "0001-01-01", "2999-01-01"])
def test_an_effective_date_outside_the_valid_range_is_422(
    client: Client, project_id: str, day: str
) -> None:
    body = {"type": "committed", "amount": {"amount": "1", "currency": "USD"}}
    response = client.post(events_url(project_id), json={**body, "effective_date": day})
    assert_problem(response, 422, "effective_date")


@pytest.fixture
def one_report_at_a_time(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setattr(service_module, "REPORT_WAIT", 0.2)
    app = create_app(replace(settings, report_workers=1))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {make_key(settings, 'a', Role.ADMIN)}"
        yield client


def test_reports_beyond_the_budget_are_refused_503_while_cheap_reads_go_on(
    one_report_at_a_time: Client,
) -> None:
    client = one_report_at_a_time
    portfolio_id = portfolio(client)
    readmodel = readmodel_of(client.app)
    release = threading.Event()
    held = threading.Event()

    def heavy_report() -> None:
        with readmodel.report_budget():
            held.set()
            release.wait(5)

    worker = threading.Thread(target=heavy_report)
    worker.start()
    try:
        assert held.wait(5)
        busy = client.get(f"/api/v1/portfolios/{portfolio_id}/breakdown?by=sector")
        body = assert_problem(busy, 503)
        assert busy.headers["Retry-After"] == "2"
        assert "reports are being computed" in body["detail"]
        assert client.get(f"/api/v1/projects?portfolio={portfolio_id}").status_code == 200
        assert client.get("/health").status_code == 200
    finally:
        release.set()
        worker.join()
    ok = client.get(f"/api/v1/portfolios/{portfolio_id}/breakdown?by=sector")
    assert ok.status_code == 200


# 12. backdated status changes


def test_a_status_change_dated_before_the_status_in_force_is_409(
    client: Client, project_id: str
) -> None:
    started = {"type": "status_changed", "status": "under_implementation"}
    assert client.post(events_url(project_id), json={**started, "effective_date": "2025-06-01"})
    cancelled = {"type": "cancelled", "reason": "r", "effective_date": "2025-03-01"}
    body = assert_problem(client.post(events_url(project_id), json=cancelled), 409)
    assert body["field"] == "effective_date"
    assert "2025-06-01" in body["detail"]
    assert client.get(f"/api/v1/projects/{project_id}").json()["status"] == "under_implementation"


# 13. digits and ids


@pytest.mark.parametrize("amount", ["٥", "１２.５", "5²"])
def test_amounts_take_ascii_digits_only(client: Client, project_id: str, amount: str) -> None:
    body = {"type": "committed", "amount": {"amount": amount, "currency": "USD"}}
    assert_problem(client.post(events_url(project_id), json=body), 400, "amount.amount")


def test_ids_have_one_written_form(client: Client, project_id: str) -> None:
    portfolio_id = client.get(f"/api/v1/projects/{project_id}").json()["portfolio_id"]
    for spelling in (project_id.upper(), project_id.replace("-", ""), f"{{{project_id}}}"):
        assert_problem(client.get(f"/api/v1/projects/{spelling}"), 400, "project_id")
    upper = portfolio_id.upper()
    assert_problem(client.get(f"/api/v1/portfolios/{upper}/progress"), 400, "portfolio_id")
    assert_problem(client.get(f"/api/v1/projects?portfolio={upper}"), 400, "portfolio")
    body = project_body(portfolio_id.replace("-", ""))
    assert_problem(client.post("/api/v1/projects", json=body), 400, "portfolio_id")
    assert client.get(f"/api/v1/projects/{project_id}").status_code == 200
