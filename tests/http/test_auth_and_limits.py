"""Only recorders write, admins manage portfolios and rates, scoped keys stay in their lane."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from uuid import UUID, uuid4

import pytest
from litestar.testing import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from api.app import create_app
from tests.http.conftest import make_key, project_body
from tests.problems import assert_problem
from tracker.keys import KeyStore, Role
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.key_rows import api_keys
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]
MILESTONE = {"type": "milestone", "name": "Site cleared"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_writes_without_a_key_are_401(anonymous_client: Client, project_id: str) -> None:
    response = anonymous_client.post(f"/api/v1/projects/{project_id}/events", json=MILESTONE)
    body = assert_problem(response, 401)
    assert "recorder" in body["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert anonymous_client.get(f"/api/v1/projects/{project_id}").status_code == 200


def test_a_wrong_key_is_401_even_for_reads(anonymous_client: Client, project_id: str) -> None:
    bad = bearer("trk_0123456789ab_" + "x" * 43)
    assert_problem(anonymous_client.get(f"/api/v1/projects/{project_id}", headers=bad), 401)


def test_a_reader_cannot_write_and_a_recorder_cannot_administer(
    client: Client,
    anonymous_client: Client,
    settings: Settings,
    portfolio_id: str,
    project_id: str,
) -> None:
    reader = bearer(make_key(settings, "reader", Role.READER))
    recorder = bearer(make_key(settings, "desk", Role.RECORDER))
    url = f"/api/v1/projects/{project_id}/events"
    assert_problem(anonymous_client.post(url, json=MILESTONE, headers=reader), 403)
    assert anonymous_client.post(url, json=MILESTONE, headers=recorder).status_code == 201
    targets = {"investment": {"amount": "1", "currency": "USD"}, "jobs": 1, "projects": 1}
    assert_problem(
        anonymous_client.post(
            f"/api/v1/portfolios/{portfolio_id}/targets", json=targets, headers=recorder
        ),
        403,
    )
    # Rate sets are an admin's: establishing one, publishing, correcting or withdrawing its
    # rates, and choosing a portfolio's.
    made = client.post("/api/v1/rate-sets", json={"name": "Official"})
    assert made.status_code == 201, made.text
    rate_set = made.json()["id"]
    rate = {"date": "2025-01-01", "currency": "KZT", "units_per_usd": "500"}
    assert_problem(
        anonymous_client.post("/api/v1/rate-sets", json={"name": "Mine"}, headers=recorder), 403
    )
    for path, body in (
        ("rates", {"rates": [rate]}),
        ("corrections", {**rate, "reason": "x"}),
        ("withdrawals", {"date": "2025-01-01", "currency": "KZT", "reason": "x"}),
    ):
        refused = anonymous_client.post(
            f"/api/v1/rate-sets/{rate_set}/{path}", json=body, headers=recorder
        )
        assert_problem(refused, 403)
    choice = {"rate_sets": [rate_set]}
    assert_problem(
        anonymous_client.put(
            f"/api/v1/portfolios/{portfolio_id}/rate-sets", json=choice, headers=recorder
        ),
        403,
    )
    sets = anonymous_client.get("/api/v1/rate-sets").json()["items"]
    assert [s["name"] for s in sets] == ["Official"]  # nothing the recorder asked for
    assert anonymous_client.get(f"/api/v1/rate-sets/{rate_set}").json()["rates"] == []
    assert anonymous_client.get(f"/api/v1/portfolios/{portfolio_id}").json()["rate_sets"] == []
    events = anonymous_client.get(url).json()["events"]
    assert events[-1]["actor"] == "desk"


def test_a_scoped_key_writes_only_to_its_portfolio(
    client: Client, anonymous_client: Client, settings: Settings, project_id: str
) -> None:
    other = client.post(
        "/api/v1/portfolios",
        json={"name": "Other", "forum": "Elsewhere", "established_on": "2024-01-01"},
    ).json()["id"]
    scoped = bearer(make_key(settings, "other-desk", Role.RECORDER, UUID(other)))
    url = f"/api/v1/projects/{project_id}/events"
    body = assert_problem(anonymous_client.post(url, json=MILESTONE, headers=scoped), 403)
    assert other in body["detail"]
    announce = anonymous_client.post("/api/v1/projects", json=project_body(other), headers=scoped)
    assert announce.status_code == 201, announce.text


def revoke(settings: Settings, name: str) -> None:
    """As ``tracker keys revoke`` does, from another process's key store."""
    engine = create_readmodel_engine(settings, pool_size=1)
    try:
        KeyStore(engine).revoke(name)
    finally:
        engine.dispose()


@pytest.mark.parametrize("cache_seconds", [0.0, 2.0])
def test_a_revoked_key_stops_working_within_the_key_cache_time(
    settings: Settings, project_id: str, cache_seconds: float
) -> None:
    token = make_key(settings, "temp", Role.RECORDER)
    url = f"/api/v1/projects/{project_id}/events"
    with TestClient(create_app(replace(settings, key_cache_seconds=cache_seconds))) as app:
        assert app.post(url, json=MILESTONE, headers=bearer(token)).status_code == 201
        revoke(settings, "temp")
        if cache_seconds:
            # Still trusted from memory, until the cache time has passed since it was checked.
            assert app.post(url, json=MILESTONE, headers=bearer(token)).status_code == 201
            time.sleep(cache_seconds + 0.1)
        assert_problem(app.post(url, json=MILESTONE, headers=bearer(token)), 401)


def test_keys_are_stored_only_as_hashes(settings: Settings) -> None:
    token = make_key(settings, "hashed", Role.ADMIN)
    secret = token.split("_", 2)[2]
    assert len(secret) >= 43  # 32 random bytes
    engine = create_readmodel_engine(settings, pool_size=1)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(api_keys)).all()
    finally:
        engine.dispose()
    assert rows and all(secret not in str(row) for row in rows)


@pytest.fixture
def closed_client(settings: Settings) -> Iterator[Client]:
    with TestClient(create_app(replace(settings, public_reads=False))) as test_client:
        yield test_client


def test_reads_can_be_closed(closed_client: Client, settings: Settings) -> None:
    assert_problem(closed_client.get("/api/v1/rate-sets"), 401)
    reader = bearer(make_key(settings, "reader", Role.READER))
    assert closed_client.get("/api/v1/rate-sets", headers=reader).status_code == 200
    assert closed_client.get("/health").status_code == 200


def test_refusals_before_the_router_answer_as_the_router_would(
    closed_client: Client, settings: Settings
) -> None:
    """The key is checked before the router (api/gate.py): a path with no route is still a
    404 and a method the route does not take a 405, with or without a key; ``HEAD`` refused
    is a 401 with no body; each refusal is counted under its route."""
    assert_problem(closed_client.get("/api/v1/no-such-thing"), 404)
    assert_problem(closed_client.post("/api/v1/no-such-thing", json={}), 404)
    assert_problem(closed_client.delete("/api/v1/rate-sets"), 405)
    forged = bearer("trk_0123456789ab_" + "x" * 43)
    assert_problem(closed_client.get("/api/v1/no-such-thing", headers=forged), 404)
    head = closed_client.head("/api/v1/rate-sets")
    assert head.status_code == 401 and head.content == b""
    assert head.headers["content-type"].startswith("application/problem+json")
    assert_problem(closed_client.get("/api/v1/rate-sets", headers=forged), 401)
    metrics = closed_client.get("/metrics", headers=bearer(make_key(settings, "r", Role.READER)))
    assert 'route="/api/v1/rate-sets",status="401"' in metrics.text
    assert 'route="unmatched",status="401"' not in metrics.text


def test_the_key_store_down_is_503_not_500(
    closed_client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key looked up while its database cannot answer: the gate's error is answered by the
    same handler as a handler's (503, problem+json, Retry-After), not left to the server."""

    def database_gone(self: KeyStore, token: str) -> None:
        raise OperationalError("SELECT … FROM api_keys", {}, ConnectionError("connection lost"))

    monkeypatch.setattr(KeyStore, "authenticate", database_gone)
    response = closed_client.get(
        "/api/v1/rate-sets", headers=bearer("trk_0123456789ab_" + "x" * 43)
    )
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"


@pytest.fixture
def limited_client(settings: Settings) -> Iterator[Client]:
    limited = replace(settings, rate_limit_per_address=5, rate_limit_per_key=3)
    with TestClient(create_app(limited)) as test_client:
        yield test_client


def test_rate_limits_answer_429_with_retry_after(
    limited_client: Client, settings: Settings
) -> None:
    statuses = [limited_client.get("/api/v1/rate-sets").status_code for _ in range(6)]
    assert statuses[:5] == [200] * 5
    response = limited_client.get("/api/v1/rate-sets")
    assert_problem(response, 429)
    assert int(response.headers["retry-after"]) >= 1


def test_one_window_per_address_across_routes_and_its_headers(limited_client: Client) -> None:
    """The limit counts an address's requests to every route together (each route has its
    own middleware instance; they share one window), and says what is left."""
    first = limited_client.get("/api/v1/rate-sets")
    assert first.headers["ratelimit-limit"] == "5"
    assert first.headers["ratelimit-remaining"] == "4"
    assert first.headers["ratelimit-policy"] == "5; w=60"
    assert 0 <= int(first.headers["ratelimit-reset"]) <= 60
    others = [limited_client.get("/api/v1/portfolios") for _ in range(4)]
    assert [o.status_code for o in others] == [200] * 4
    assert others[-1].headers["ratelimit-remaining"] == "0"
    assert_problem(limited_client.get("/api/v1/rate-sets"), 429)
    assert limited_client.get("/health").status_code == 200  # never limited


def test_the_per_key_limit_counts_each_key(settings: Settings) -> None:
    limited = replace(settings, rate_limit_per_address=0, rate_limit_per_key=3)
    token = bearer(make_key(settings, "busy", Role.READER))
    with TestClient(create_app(limited)) as client:
        statuses = [client.get("/api/v1/rate-sets", headers=token).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert client.get("/api/v1/rate-sets").status_code == 200  # no key: not this limit


def test_wrong_secrets_do_not_use_up_the_victims_key_limit(settings: Settings) -> None:
    """Only a verified key counts against its own limit: guessing at a key's secret (its id is
    not secret) counts against the guesser's address, never against the key's owner."""
    limited = replace(settings, rate_limit_per_address=0, rate_limit_per_key=3)
    victim = make_key(settings, "victim", Role.READER)
    key_id = victim.split("_")[1]
    forged = bearer(f"trk_{key_id}_" + "x" * 43)
    with TestClient(create_app(limited)) as client:
        guesses = [client.get("/api/v1/rate-sets", headers=forged).status_code for _ in range(10)]
        assert guesses == [401] * 10
        real = bearer(victim)
        mine = [client.get("/api/v1/rate-sets", headers=real).status_code for _ in range(4)]
        assert mine == [200, 200, 200, 429]  # the key's own three, then its limit


def test_wrong_secrets_count_against_the_address(settings: Settings) -> None:
    limited = replace(settings, rate_limit_per_address=5, rate_limit_per_key=3)
    forged = bearer("trk_0123456789ab_" + "x" * 43)
    with TestClient(create_app(limited)) as client:
        statuses = [client.get("/api/v1/rate-sets", headers=forged).status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]


def test_a_key_over_its_limit_gets_429_with_retry_after(settings: Settings) -> None:
    limited = replace(settings, rate_limit_per_address=0, rate_limit_per_key=2)
    token = bearer(make_key(settings, "busy", Role.READER))
    with TestClient(create_app(limited)) as client:
        for _ in range(2):
            assert client.get("/api/v1/rate-sets", headers=token).status_code == 200
        response = client.get("/api/v1/rate-sets", headers=token)
        assert_problem(response, 429)
        assert 1 <= int(response.headers["retry-after"]) <= 60


def test_retry_after_only_on_429(limited_client: Client, settings: Settings) -> None:
    """RFC 9110: Retry-After says when to come back, so only a 429 or 503 carries it (the
    RateLimit-* headers go on every answer)."""
    admin = bearer(make_key(settings, "admin", Role.ADMIN))
    ok = limited_client.get("/api/v1/rate-sets")
    assert ok.status_code == 200
    created = limited_client.post(
        "/api/v1/portfolios",
        json={"name": "P", "forum": "F", "established_on": "2024-01-01"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    invalid = limited_client.post(  # a portfolio that does not exist: 422
        "/api/v1/projects", json=project_body(str(uuid4())), headers=admin
    )
    assert_problem(invalid, 422)
    for answer in (ok, created, invalid):
        assert "retry-after" not in answer.headers, answer.status_code
        assert "ratelimit-limit" in answer.headers
    statuses = [limited_client.get("/api/v1/rate-sets").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = limited_client.get("/api/v1/rate-sets")
    assert_problem(limited, 429)
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_oversized_bodies_are_413(client: Client, project_id: str) -> None:
    huge = {"type": "milestone", "name": "x", "description": "y" * 2_000_000}
    assert_problem(client.post(f"/api/v1/projects/{project_id}/events", json=huge), 413)


def test_openapi_declares_the_key_scheme(client: Client) -> None:
    schema = client.get("/docs/openapi.json").json()
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
