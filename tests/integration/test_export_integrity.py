"""Exports under a signed checkpoint, and the JSON export checked offline with the public key.

The demo portfolio is the subject (projects with corrections and retractions, rate sets,
documents, indicators, statements, simulated recording times): the verifier folds its own
copy of the signed events into the whole file again, so every kind of figure is covered.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import Engine

from tests.unit.factories import usd
from tracker.application import TrackerApplication
from tracker.cli import main
from tracker.demo import load_demo
from tracker.domain.commands import CommitInvestment
from tracker.domain.values import Envelope
from tracker.integrity.signing import Signer, b64
from tracker.readmodel.projector import Projector
from tracker.transfer.export import export_portfolio
from tracker.transfer.portfolio_export import ExportQuery
from tracker.transfer.verify_export import verify_export


@pytest.fixture
def demo(tracker: TrackerApplication, engine: Engine) -> UUID:
    portfolio = load_demo(tracker, datetime.now(UTC)).portfolio_id
    Projector(tracker, engine).catch_up()
    return portfolio


def exported(
    tracker: TrackerApplication,
    engine: Engine,
    portfolio: UUID,
    fmt: str = "json",
    signer: Signer | None = None,
    **query: Any,
) -> bytes:
    rendered = export_portfolio(
        tracker,
        engine,
        ExportQuery(portfolio, **query),
        fmt,
        signer=signer,  # type: ignore[arg-type]
    )
    return rendered.content


def edited(content: bytes, change: Any) -> bytes:
    document = json.loads(content)
    change(document)
    return json.dumps(document).encode()


def test_a_json_export_verifies_offline_and_fails_once_edited(
    tracker: TrackerApplication, engine: Engine, demo: UUID
) -> None:
    signer = Signer.generate()
    key = {signer.public_key}
    content = exported(tracker, engine, demo, signer=signer)

    verdict = verify_export(content, key)
    assert verdict.holds, verdict.problems
    assert verdict.checkpoint is not None
    assert verdict.checkpoint.position == tracker.recorder.max_notification_id()
    assert verdict.events == len(json.loads(content)["integrity"]["events"]) > 500

    # a figure the file shows
    def commitment(document: dict[str, Any]) -> None:
        project = next(p for p in document["projects"] if p["committed"])
        project["committed"][0]["amount"] = "1" + project["committed"][0]["amount"]

    failed = verify_export(edited(content, commitment), key)
    assert not failed.holds
    assert "committed[0].amount" in failed.problems[0]

    # an indicator's observation, and a target of the portfolio
    def observation(document: dict[str, Any]) -> None:
        indicator = next(i for i in document["indicators"] if i["observations"])
        indicator["observations"][0]["value"]["amount"] = "0"

    assert (
        "observations[0].value.amount"
        in verify_export(edited(content, observation), key).problems[0]
    )

    # a stored state itself, so that the figures agree with it: the chain no longer holds
    def state(document: dict[str, Any]) -> None:
        event = document["integrity"]["events"][10]
        event["state"] = base64.b64encode(base64.b64decode(event["state"]) + b" ").decode()

    assert "do not chain up to checkpoint" in verify_export(edited(content, state), key).problems[0]

    # an event moved out of sight (its digest given instead): the chain holds, the file does not
    def hide(document: dict[str, Any]) -> None:
        integrity = document["integrity"]
        event = integrity["events"].pop(-1)
        digest = hashlib.sha256(base64.b64decode(event["state"])).hexdigest()
        integrity["others"].append(
            [event["position"], event["aggregate"], event["version"], event["topic"], digest]
        )

    assert "leaves out events of" in verify_export(edited(content, hide), key).problems[0]

    # another key
    other = verify_export(content, {Signer.generate().public_key})
    assert not other.holds and "not by the public key given" in other.problems[0]


def test_an_export_as_known_at_a_past_moment_verifies(
    tracker: TrackerApplication, engine: Engine, demo: UUID
) -> None:
    signer = Signer.generate()
    known_at = datetime(2024, 10, 22, 23, 59, 59, tzinfo=UTC)
    content = exported(tracker, engine, demo, signer=signer, known_at=known_at)
    verdict = verify_export(content, {signer.public_key})
    assert verdict.holds, verdict.problems
    assert verdict.notes and "later events of the aggregates in this file" in verdict.notes[0]


def test_every_format_names_its_checkpoint(
    tracker: TrackerApplication, engine: Engine, demo: UUID, tmp_path: Path
) -> None:
    signer = Signer.generate()
    json_export = json.loads(exported(tracker, engine, demo, signer=signer))
    signed = json_export["integrity"]["checkpoint"]

    workbook = load_workbook(io.BytesIO(exported(tracker, engine, demo, "xlsx")))
    about = {row[0]: row[1] for row in workbook["Portfolio"].iter_rows(values_only=True)}
    assert about["checkpoint_link"] == signed["link"]
    assert about["checkpoint_signature"] == signed["signature"]

    iati = etree.fromstring(exported(tracker, engine, demo, "iati"))
    comments = [c.text for c in iati.iter(etree.Comment)]
    assert any(f"link={signed['link']}" in (c or "") for c in comments)


def test_without_a_key_an_export_names_the_newest_checkpoint_and_says_what_it_lacks(
    tracker: TrackerApplication, engine: Engine, demo: UUID
) -> None:
    unsigned = verify_export(exported(tracker, engine, demo), {Signer.generate().public_key})
    assert not unsigned.holds and "carries no signed checkpoint" in unsigned.problems[0]

    signer = Signer.generate()
    exported(tracker, engine, demo, signer=signer)  # signs the head
    project = json.loads(exported(tracker, engine, demo))["projects"][0]["id"]
    tracker.record(
        UUID(project), CommitInvestment(usd("5")), Envelope("desk", datetime.now(UTC).date())
    )
    Projector(tracker, engine).catch_up()

    stale = verify_export(exported(tracker, engine, demo), {signer.public_key})
    assert not stale.holds and "newer than checkpoint #1" in stale.problems[0]


def test_tracker_verify_export_needs_only_the_file_and_the_key(
    tracker: TrackerApplication, engine: Engine, demo: UUID, tmp_path: Path
) -> None:
    signer = Signer.generate()
    path = tmp_path / "export.json"
    path.write_bytes(exported(tracker, engine, demo, signer=signer))
    runner = CliRunner()
    nowhere = {"TRACKER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}

    passed = runner.invoke(
        main, ["verify-export", str(path), "--public-key", b64(signer.public_key)], env=nowhere
    )
    assert passed.exit_code == 0, passed.output
    assert "export holds" in passed.stdout

    document = json.loads(path.read_bytes())
    document["portfolio"]["targets"]["jobs"] += 1
    path.write_text(json.dumps(document))
    failed = runner.invoke(
        main, ["verify-export", str(path), "--public-key", b64(signer.public_key)], env=nowhere
    )
    assert failed.exit_code == 1
    assert "portfolio.targets.jobs" in failed.stderr
