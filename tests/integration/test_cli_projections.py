"""`tracker projections status|rebuild` and `tracker projector`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from click.testing import CliRunner, Result
from eventsourcing.persistence import StoredEvent
from sqlalchemy import delete

from tests.databases import ON_POSTGRES_ONLY
from tests.rates import give_rates
from tests.unit.factories import plan
from tracker.application import TrackerApplication
from tracker.cli import main
from tracker.domain.commands import (
    Cancel,
    ChangeStatus,
    CommitInvestment,
    Correct,
    CreateJobs,
    DisburseFunds,
    Replacement,
    Retract,
)
from tracker.domain.values import Envelope, Money
from tracker.eventstore.migrate import upgrade
from tracker.readmodel import reports, swap
from tracker.readmodel import tables as t
from tracker.readmodel.reports import Progress, ReportQuery
from tracker.readmodel.service import ReadModel
from tracker.settings import Settings

TRACKER = Path(sys.executable).parent / "tracker"
#: Bound on every wait for the projector subprocess (seconds).
PATIENCE = 30.0


def env_of(settings: Settings) -> dict[str, str | None]:
    """The CLI's configuration for ``settings``; COLUMNS unset so rich uses its 80 columns."""
    return {
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_DB_SCHEMA": settings.db_schema,
        "TRACKER_DB_TIMEOUT": "5",
        "TRACKER_PROJECTOR": "external",
        "COLUMNS": None,
    }


def run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env_of(settings))


def status_of(settings: Settings) -> dict[str, Any]:
    result = run(settings, "projections", "status", "--json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def one_line(result: Result) -> str:
    """The single line a failing command printed on stderr (and nothing on stdout)."""
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def on(day: str) -> Envelope:
    return Envelope("desk", date.fromisoformat(day))


@dataclass(frozen=True)
class Story:
    portfolio_id: UUID
    events: int
    before_fix: datetime


def record_story(tracker: TrackerApplication) -> Story:
    """A portfolio with targets and a KZT rate, a project with money, jobs, a correction and
    a retraction, and a cancelled project: 16 events, recorded without any projector."""
    portfolio = tracker.establish_portfolio(
        "KZ-UZ industrial cooperation", "Samarkand forum", date(2024, 10, 22), on("2024-10-22")
    ).id
    tracker.restate_targets(portfolio, usd("3400000000"), 14600, 74, on("2024-10-22"))
    # Three events: the rate set established, its rate published, the portfolio's choice.
    rate_set = give_rates(tracker, portfolio, [("KZT", date(2025, 1, 1), Decimal("500"))])
    plant = tracker.announce_project(
        portfolio, plan(planned_investment=usd("50000000"), planned_jobs=300), on("2025-01-10")
    ).id
    tracker.record(plant, ChangeStatus("under_implementation"), on("2025-02-01"))
    tracker.record(plant, CommitInvestment(usd("20000000")), on("2025-02-15"))
    tracker.record(plant, DisburseFunds(Money(Decimal("2500000000"), "KZT")), on("2025-03-01"))
    tracker.record(plant, DisburseFunds(usd("4000000")), on("2025-03-20"))  # version 5
    tracker.record(plant, CreateJobs(permanent=120, temporary=40), on("2025-04-01"))
    before_fix = datetime.now(UTC)
    time.sleep(0.01)
    fix = Correct(5, "bank statement", Replacement(amount=usd("4500000")))
    tracker.record(plant, fix, on("2025-04-10"))
    tracker.record(plant, DisburseFunds(usd("1000000")), on("2025-04-15"))  # version 8
    tracker.record(plant, Retract(8, "duplicate entry"), on("2025-04-16"))
    mill = tracker.announce_project(
        portfolio,
        plan(title="Flour mill", sector="food", regions=("UZ-TO",), planned_investment=usd("7")),
        on("2025-02-01"),
    ).id
    tracker.record(mill, Cancel("no financing"), on("2025-05-01"))
    events = sum(
        tracker.repository.get(aggregate).version
        for aggregate in (portfolio, rate_set, plant, mill)
    )
    return Story(portfolio, events, before_fix)


@pytest.fixture
def reader(tracker: TrackerApplication) -> Iterator[ReadModel]:
    """Reads the read model the way an API process with TRACKER_PROJECTOR=external does."""
    readmodel = ReadModel(tracker, in_process=False)
    yield readmodel
    readmodel.stop()


def progress(reader: ReadModel, query: ReportQuery) -> Progress:
    return reader.query(lambda conn: reports.progress(conn, query))


def test_status_projector_once_and_rebuild(
    settings: Settings, tracker: TrackerApplication, reader: ReadModel
) -> None:
    story = record_story(tracker)
    head = tracker.recorder.max_notification_id()
    assert head is not None and head >= story.events == 16

    behind = status_of(settings)
    assert behind.pop("lag_seconds") > 0  # the oldest pending event has waited
    assert behind == {
        "projection": "readmodel",
        "applied": 0,
        "head": head,
        "lag": head,
        "pending_events": story.events,
        "set_aside": [],
    }
    table = run(settings, "projections", "status")
    assert table.exit_code == 0, table.output
    assert re.search(rf"readmodel\s*│\s*0\s*│\s*{head}\s*│\s*{head}\s*│", table.stdout)

    once = run(settings, "projector", "--once")
    assert once.exit_code == 0, once.output
    assert f"{story.events} events applied, position {head} (head {head})" in once.stdout
    caught_up = status_of(settings)
    assert (caught_up["applied"], caught_up["lag"], caught_up["pending_events"]) == (head, 0, 0)
    assert caught_up["lag_seconds"] == 0
    again = run(settings, "projector", "--once")
    assert again.exit_code == 0 and "0 events applied" in again.stdout

    now = ReportQuery(story.portfolio_id)
    then = ReportQuery(story.portfolio_id, known_at=story.before_fix)
    before_now, before_then = progress(reader, now), progress(reader, then)
    figures = before_now.figures
    assert figures.pledged.amount == Decimal("50000000")  # the cancelled mill is not pledged
    assert figures.committed.amount == Decimal("20000000")
    assert figures.disbursed.amount == Decimal("9500000")  # KZT 2.5 bn at 500 + USD 4.5 M
    assert [(r.currency, r.rate_date, r.units_per_usd) for r in before_now.rates_used] == [
        ("KZT", date(2025, 1, 1), Decimal("500"))
    ]
    assert (figures.jobs_permanent, figures.jobs_temporary) == (120, 40)
    assert dict(figures.projects_by_status) == {"under_implementation": 1, "cancelled": 1}
    assert before_then.figures.disbursed.amount == Decimal("9000000")  # the fix was unknown
    assert before_now.targets is not None and before_now.targets.projects == 74

    # Damage the view (the rates are projected too): a rebuild must bring back exactly the
    # same reports.
    with reader.engine.begin() as conn:
        conn.execute(delete(t.facts))
        conn.execute(delete(t.fact_totals))  # the ledger's sums, which the reports read
        conn.execute(delete(t.rates))
    damaged = progress(reader, now)
    assert damaged.figures.committed.amount == 0
    assert damaged.rates_used == []  # the KZT rate is gone

    rebuilt = run(settings, "projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"{story.events} events applied up to position {head}" in rebuilt.stdout
    assert re.search(r"\(\d[\d,]* events/s\)", rebuilt.stdout)
    assert f"{head}/{head}" in rebuilt.stderr  # the progress bar, finished
    assert progress(reader, now) == before_now
    assert progress(reader, then) == before_then
    assert status_of(settings)["lag"] == 0


@ON_POSTGRES_ONLY  # SQLite readers (WAL) never hold a writer back
def test_a_rebuild_that_readers_keep_from_swapping_says_so_and_leaves_the_view(
    settings: Settings, tracker: TrackerApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(swap, "LOCK_TIMEOUT", "50ms")
    record_story(tracker)
    assert run(settings, "projector", "--once").exit_code == 0
    before = status_of(settings)

    with psycopg.connect(settings.database_url) as held:  # a reader in a long transaction
        held.execute(f'SELECT count(*) FROM "{settings.db_schema}".rm_projects').fetchone()
        result = run(settings, "projections", "rebuild")
        in_russian = run(settings, "--lang", "ru", "projections", "rebuild")
        held.rollback()

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "the rebuild stopped: readers held the live tables" in result.stderr
    assert "run it again" in result.stderr
    # The reason is said in the reader's language too, not only the sentence around it.
    assert in_russian.exit_code == 1, in_russian.output
    assert "перестройка прервалась: читатели удерживали" in in_russian.stderr
    assert status_of(settings) == before
    assert run(settings, "projections", "rebuild").exit_code == 0


def test_rebuild_of_an_empty_log(settings: Settings) -> None:
    result = run(settings, "projections", "rebuild")
    assert result.exit_code == 0, result.output
    assert "0 events applied up to position 0" in result.stdout
    assert status_of(settings) == {
        "projection": "readmodel",
        "applied": 0,
        "head": 0,
        "lag": 0,
        "pending_events": 0,
        "lag_seconds": 0.0,
        "set_aside": [],
    }


COMMANDS = [
    pytest.param(["projections", "status"], id="status"),
    pytest.param(["projections", "rebuild"], id="rebuild"),
    pytest.param(["projector", "--once"], id="projector"),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "url",
    [
        "mysql://tracker@localhost/tracker",
        "sqlite:///:memory:",
        "nonsense",
    ],
)
def test_a_bad_database_url_exits_2_with_one_line(command: list[str], url: str) -> None:
    result = CliRunner().invoke(main, command, env={"TRACKER_DATABASE_URL": url, "COLUMNS": None})
    assert result.exit_code == 2
    assert "TRACKER_DATABASE_URL" in one_line(result)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unmigrated_database_exits_1_with_one_line(
    blank_settings: Settings, command: list[str]
) -> None:
    result = run(blank_settings, *command)
    assert result.exit_code == 1
    assert "run `tracker migrate` first" in one_line(result)
    if not blank_settings.is_postgres:  # nothing was created on the way
        assert not blank_settings.sqlite_path.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_database_at_an_old_revision_exits_1_with_one_line(
    blank_settings: Settings, command: list[str]
) -> None:
    upgrade(blank_settings, "0001")
    result = run(blank_settings, *command)
    assert result.exit_code == 1
    assert "is at revision 0001" in one_line(result)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_database_exits_1_with_one_line(command: list[str]) -> None:
    nobody = Settings(database_url="postgresql://postgres@127.0.0.1:1/test")
    result = run(nobody, *command)
    assert result.exit_code == 1
    line = one_line(result)
    assert line.startswith("error: cannot reach the database postgresql://postgres@127.0.0.1:1/")
    assert "refused" in line


# The projector as a process of its own


@pytest.fixture
def projector_process(settings: Settings, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update({k: v for k, v in env_of(settings).items() if v is not None})
    with (tmp_path / "projector.log").open("wb") as log:
        process = subprocess.Popen(
            [str(TRACKER), "projector", "--log-interval", "0.2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=PATIENCE)


def log_of(tmp_path: Path) -> str:
    return (tmp_path / "projector.log").read_text()


def wait_for_projector(
    reader: ReadModel, position: int, process: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    """Bounded wait, as a reader with ``min_position`` does, until ``position`` is applied."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the projector exited early:\n{log_of(tmp_path)}"
        if reader.wait_for(position, timeout=0.5) >= position:
            return
    pytest.fail(f"the projector did not reach position {position}:\n{log_of(tmp_path)}")


def wait_for_log(text: str, process: subprocess.Popen[bytes], tmp_path: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    while text not in log_of(tmp_path):
        assert process.poll() is None, f"the projector exited early:\n{log_of(tmp_path)}"
        assert time.monotonic() < deadline, f"no {text!r} in the log:\n{log_of(tmp_path)}"
        time.sleep(0.05)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_projector_process_follows_the_log_and_stops_on_a_signal(
    tracker: TrackerApplication,
    reader: ReadModel,
    projector_process: subprocess.Popen[bytes],
    tmp_path: Path,
    stop_signal: signal.Signals,
) -> None:
    story = record_story(tracker)
    first = tracker.recorder.max_notification_id()
    assert first is not None
    wait_for_projector(reader, first, projector_process, tmp_path)

    # Written while the projector waits: it must notice them (poll on SQLite, NOTIFY on PG).
    later = tracker.restate_targets(
        story.portfolio_id, usd("3500000000"), 15000, 80, on("2025-06-01")
    )
    wait_for_projector(reader, later.position, projector_process, tmp_path)
    figures = progress(reader, ReportQuery(story.portfolio_id))
    assert figures.targets is not None and figures.targets.projects == 80

    projector_process.send_signal(stop_signal)
    assert projector_process.wait(timeout=PATIENCE) == 0, log_of(tmp_path)
    lines = [json.loads(line) for line in log_of(tmp_path).splitlines() if line.strip()]
    messages = [line["message"] for line in lines]  # JSON lines: stderr is not a terminal
    assert {line["logger"] for line in lines} <= {"tracker.projector", "tracker.readmodel"}
    assert f"{stop_signal.name} received: stopping" in messages
    assert any(
        m.startswith(f"applied position {later.position}, head {later.position}, lag 0")
        for m in messages
    )
    assert messages[-1] == "projector stopped"
    assert not any("exception" in line for line in lines)


def rename_event_log(settings: Settings, old: str, new: str) -> None:
    """Rename the event store's table under the running projector."""
    if settings.is_postgres:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(f'ALTER TABLE "{settings.db_schema}".{old} RENAME TO {new}')
    else:
        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.execute(f"ALTER TABLE {old} RENAME TO {new}")


def test_projector_process_outlives_a_database_failure_and_recovers(
    settings: Settings,
    tracker: TrackerApplication,
    reader: ReadModel,
    projector_process: subprocess.Popen[bytes],
    tmp_path: Path,
) -> None:
    story = record_story(tracker)
    head = tracker.recorder.max_notification_id()
    assert head is not None
    wait_for_projector(reader, head, projector_process, tmp_path)
    wait_for_log(f"applied position {head}", projector_process, tmp_path)  # start() is done

    table = "tracker_events" if settings.is_postgres else "stored_events"
    rename_event_log(settings, table, "hidden")
    try:
        wait_for_log("projector could not catch up yet", projector_process, tmp_path)
        assert projector_process.poll() is None, "a failing database must not end the projector"
    finally:
        rename_event_log(settings, "hidden", table)
    tracker.restate_targets(story.portfolio_id, usd("3500000000"), 15000, 75, on("2025-06-01"))
    new_head = tracker.recorder.max_notification_id()
    assert new_head is not None and new_head > head
    wait_for_projector(reader, new_head, projector_process, tmp_path)
    projector_process.send_signal(signal.SIGTERM)
    assert projector_process.wait(timeout=PATIENCE) == 0, log_of(tmp_path)
    assert "Traceback" not in log_of(tmp_path)


def test_status_lists_the_events_set_aside_and_a_rebuild_tries_them_again(
    settings: Settings, tracker: TrackerApplication
) -> None:
    record_story(tracker)
    (bad,) = tracker.recorder.insert_events(
        [StoredEvent(uuid4(), 1, "tracker:Project.NoSuchEvent", b"{}")]
    )
    assert run(settings, "projector", "--once").exit_code == 0
    status = status_of(settings)
    assert status["applied"] == status["head"] == bad
    (failure,) = status["set_aside"]
    assert failure["position"] == bad
    assert failure["topic"] == "tracker:Project.NoSuchEvent"
    table = run(settings, "projections", "status")
    assert "1 event set aside" in table.stdout
    assert "NoSuchEvent" in table.stdout

    rebuilt = run(settings, "projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert [f["position"] for f in status_of(settings)["set_aside"]] == [bad]
