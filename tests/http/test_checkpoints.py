"""Signed checkpoints over HTTP: listed for anyone, signed on demand by an admin and on a
clock, and the last whole verification in /metrics."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from api.app import create_app
from tests.http.conftest import make_key
from tracker.application import TrackerApplication
from tracker.eventstore.chain import Checkpoint
from tracker.integrity.signing import b64, signature_holds, unb64
from tracker.integrity.verify import verify_log
from tracker.keys import Role
from tracker.readmodel.database import create_readmodel_engine
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]
URL = "/api/v1/checkpoints"


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def signing(settings: Settings, key: Ed25519PrivateKey, interval: float = 0) -> Settings:
    return dataclasses.replace(
        settings,
        signing_key=b64(key.private_bytes_raw()),
        checkpoint_interval=interval,
        public_reads=False,
    )


@pytest.fixture
def signing_client(settings: Settings, key: Ed25519PrivateKey) -> Iterator[Client]:
    with TestClient(create_app(signing(settings, key))) as client:
        client.headers["Authorization"] = f"Bearer {make_key(settings, 'admin', Role.ADMIN)}"
        yield client


def as_checkpoint(item: dict[str, object]) -> Checkpoint:
    return Checkpoint(
        int(str(item["number"])),
        int(str(item["position"])),
        bytes.fromhex(str(item["link"])),
        str(item["signed_at"]),
        unb64(str(item["public_key"]), "public key"),
        unb64(str(item["signature"]), "signature"),
    )


def portfolio(client: Client, name: str) -> None:
    body = {"name": name, "forum": "Samarkand forum", "established_on": "2024-10-22"}
    assert client.post("/api/v1/portfolios", json=body).status_code == 201


def test_an_admin_signs_the_head_and_anyone_lists_it(
    signing_client: Client, settings: Settings, key: Ed25519PrivateKey
) -> None:
    portfolio(signing_client, "A")
    signed = signing_client.post(URL)
    assert signed.status_code == 201, signed.text
    first = signed.json()
    assert first["number"] == 1 and first["position"] == 1
    assert signature_holds(as_checkpoint(first))
    assert first["public_key"] == b64(key.public_key().public_bytes_raw())

    again = signing_client.post(URL)  # nothing new: the same checkpoint
    assert again.json() == first
    portfolio(signing_client, "B")
    second = signing_client.post(URL).json()
    assert second["number"] == 2 and second["position"] == 2

    anonymous = TestClient(signing_client.app)  # reads need a key here, checkpoints do not
    assert anonymous.get("/api/v1/events").status_code == 401
    page = anonymous.get(URL, params={"limit": 1})
    assert page.status_code == 200
    assert page.json()["items"] == [first] and page.json()["next_after"] == 1
    rest = anonymous.get(URL, params={"after": 1}).json()
    assert rest["items"] == [second] and rest["next_after"] == 2
    assert anonymous.get(URL, params={"after": 2}).json()["items"] == []
    refused = anonymous.post(URL)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_signing_needs_an_admin_and_a_key(settings: Settings, client: Client) -> None:
    recorder = TestClient(client.app)
    recorder.headers["Authorization"] = f"Bearer {make_key(settings, 'desk', Role.RECORDER)}"
    assert recorder.post(URL).status_code == 403
    unsigned = client.post(URL)  # the default settings have no signing key
    assert unsigned.status_code == 409
    assert "no signing key" in unsigned.json()["detail"]
    bad = client.get(URL, params={"limit": 0})
    assert bad.status_code == 400 and "limit" in bad.text


def test_the_api_signs_on_its_clock(settings: Settings, key: Ed25519PrivateKey) -> None:
    with TestClient(create_app(signing(settings, key, interval=0.1))) as client:
        client.headers["Authorization"] = f"Bearer {make_key(settings, 'admin', Role.ADMIN)}"
        portfolio(client, "A")
        deadline = time.monotonic() + 10
        while not (items := client.get(URL).json()["items"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [item["position"] for item in items] == [1]


def test_metrics_and_the_listing_report_the_last_whole_verification(
    signing_client: Client, settings: Settings
) -> None:
    portfolio(signing_client, "A")
    signing_client.post(URL)
    assert "tracker_chain_verified_timestamp_seconds" not in signing_client.get("/metrics").text
    assert signing_client.get(URL).json()["last_verified"] is None

    tracker = TrackerApplication(settings)
    engine = create_readmodel_engine(settings, pool_size=1)
    before = time.time()
    try:
        assert verify_log(tracker.store, engine).holds
    finally:
        engine.dispose()
        tracker.close()

    text = signing_client.get("/metrics").text
    found = re.search(r"^tracker_chain_verified_timestamp_seconds (\S+)$", text, re.M)
    assert found is not None
    stamp = float(found.group(1))
    assert before - 1 <= stamp <= time.time() + 1
    assert "tracker_chain_verified_position 1.0" in text
    assert "tracker_chain_checkpoint_position 1.0" in text
    verified = signing_client.get(URL).json()["last_verified"]
    assert verified["position"] == 1 and verified["events"] == 1


def test_every_cite_link_carries_the_newest_checkpoint(
    signing_client: Client, settings: Settings
) -> None:
    portfolio(signing_client, "A")
    portfolio_id = signing_client.get("/api/v1/events").json()["items"][0]["aggregate_id"]
    page = signing_client.get(f"/portfolios/{portfolio_id}").text
    assert "checkpoint=" not in page  # nothing signed yet

    signed = signing_client.post(URL).json()
    page = signing_client.get(f"/portfolios/{portfolio_id}", params={"sector": "energy"}).text
    link = unescape(re.search(r'class="cite-link" href="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    query = parse_qs(urlsplit(link).query)
    assert query["checkpoint"] == [f"{signed['position']}-{signed['link']}"]
    assert query["sector"] == ["energy"] and "known_at" in query
    assert signing_client.get(link).status_code == 200  # the page reads past it
