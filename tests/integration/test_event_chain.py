"""The hash chain over the event log, tampered with directly in SQL, on both databases.

Each test records a small log through the application, changes the stored rows the way
someone holding the database password could (UPDATE, DELETE, a swapped pair, an INSERT, the
links rewritten to match), and checks that verification names the event where the chain
stops holding and the signed checkpoint the log now contradicts.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from tests.databases import copy_sqlite
from tests.unit.factories import announced, plan, record
from tracker.application import TrackerApplication
from tracker.cli import main
from tracker.domain.commands import CommitInvestment, ReachMilestone
from tracker.domain.errors import ConcurrentWrite
from tracker.domain.values import Envelope, Money
from tracker.eventstore.chain import GENESIS, Checkpoint, links_for
from tracker.eventstore.checkpoints import last_verified
from tracker.eventstore.migrate import upgrade
from tracker.eventstore.postgres_recorder import BULK_LINKS
from tracker.integrity.checkpointing import sign_head
from tracker.integrity.signing import Signer, b64
from tracker.integrity.verify import Verification, verify_log
from tracker.readmodel.database import create_readmodel_engine
from tracker.settings import Settings

DESK = Envelope("desk", date(2025, 1, 1))


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def fill(tracker: TrackerApplication, commitments: int = 4) -> UUID:
    """A portfolio, two projects and some commitments (positions 1, 2, 3, …)."""
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 10, 22), DESK).id
    first = tracker.announce_project(portfolio, plan(title="One"), DESK).id
    second = tracker.announce_project(portfolio, plan(title="Two"), DESK).id
    for n in range(commitments):
        tracker.record(first if n % 2 else second, CommitInvestment(usd(f"{n + 1}")), DESK)
    tracker.record(first, ReachMilestone("ground broken"), DESK)
    return first


def sql(settings: Settings, *statements: str) -> None:
    """Run statements directly on the database, in one transaction, as an intruder would.
    ``{events}`` and ``{chain}`` name the tables, ``{position}`` the position column."""
    if settings.is_postgres:
        names = {
            "events": f'"{settings.db_schema}".tracker_events',
            "chain": f'"{settings.db_schema}".event_chain',
            "checkpoints": f'"{settings.db_schema}".chain_checkpoints',
            "position": "notification_id",
        }
        with psycopg.connect(settings.database_url) as conn:
            for statement in statements:
                conn.execute(statement.format(**names).encode())
        return
    names = {
        "events": "stored_events",
        "chain": "event_chain",
        "checkpoints": "chain_checkpoints",
        "position": "rowid",
    }
    with closing(sqlite3.connect(settings.sqlite_path)) as db, db:
        for statement in statements:
            db.execute(statement.format(**names))


def edit_state(settings: Settings, position: int, old: bytes, new: bytes) -> None:
    """Change a figure in one stored event's state with an UPDATE."""
    if settings.is_postgres:
        table = f'"{settings.db_schema}".tracker_events'
        with psycopg.connect(settings.database_url) as conn:
            row = conn.execute(
                f"SELECT state FROM {table} WHERE notification_id = %s".encode(), (position,)
            ).fetchone()
            assert row is not None and old in row[0]
            conn.execute(
                f"UPDATE {table} SET state = %s WHERE notification_id = %s".encode(),
                (bytes(row[0]).replace(old, new), position),
            )
        return
    with closing(sqlite3.connect(settings.sqlite_path)) as db, db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE rowid = ?", (position,)
        ).fetchone()
        assert old in state
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (state.replace(old, new), position),
        )


def originator_at(tracker: TrackerApplication, position: int) -> UUID:
    (notification,) = tracker.recorder.select_notifications(position, 1)
    assert notification.id == position
    return UUID(str(notification.originator_id))


def verified(tracker: TrackerApplication, engine: Engine, **kwargs: object) -> Verification:
    return verify_log(tracker.store, engine, **kwargs)  # type: ignore[arg-type]


def test_an_untouched_log_holds_and_the_verification_is_remembered(
    tracker: TrackerApplication, engine: Engine
) -> None:
    fill(tracker)
    head = tracker.recorder.max_notification_id()
    assert last_verified(engine) is None

    found = verified(tracker, engine)

    assert found.holds, found.problems()
    assert found.walked.events == 8
    assert found.walked.head_position == head
    remembered = last_verified(engine)
    assert remembered is not None and remembered.position == head and remembered.events == 8


def test_an_updated_state_breaks_the_chain_at_that_event(
    tracker: TrackerApplication, engine: Engine
) -> None:
    checkpoint = signed_then_edited(tracker, engine, Signer.generate())

    found = verified(tracker, engine)

    broken = found.walked.broken
    assert broken is not None and broken.position == 6
    assert str(originator_at(tracker, 6)) in broken.describe()
    assert broken.contradicts == checkpoint
    assert found.walked.events == 5
    assert last_verified(engine) is None


def test_a_deleted_event_is_named_by_its_position(
    tracker: TrackerApplication, engine: Engine
) -> None:
    fill(tracker)
    sql(tracker.settings, "DELETE FROM {events} WHERE {position} = 4")

    broken = verified(tracker, engine).walked.broken

    assert broken is not None and broken.position == 4
    assert "deleted" in broken.reason
    assert broken.contradicts is None  # nothing was signed yet


def test_a_deleted_event_and_its_link_break_the_chain_at_the_next_event(
    tracker: TrackerApplication, engine: Engine
) -> None:
    fill(tracker)
    sql(
        tracker.settings,
        "DELETE FROM {events} WHERE {position} = 4",
        "DELETE FROM {chain} WHERE position = 4",
    )

    broken = verified(tracker, engine).walked.broken

    assert broken is not None and broken.position == 5
    assert "before it was removed" in broken.reason


def test_a_swapped_pair_breaks_the_chain_at_the_first_of_them(
    tracker: TrackerApplication, engine: Engine
) -> None:
    fill(tracker)
    was_at_5 = originator_at(tracker, 5)
    sql(
        tracker.settings,
        "UPDATE {events} SET {position} = -1 WHERE {position} = 4",
        "UPDATE {events} SET {position} = 4 WHERE {position} = 5",
        "UPDATE {events} SET {position} = 5 WHERE {position} = -1",
    )

    broken = verified(tracker, engine).walked.broken

    assert broken is not None and broken.position == 4
    assert str(was_at_5) in broken.reason


def test_an_inserted_event_has_no_link(tracker: TrackerApplication, engine: Engine) -> None:
    project = fill(tracker)
    copied = (
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "SELECT originator_id, 99, topic, state FROM {events} WHERE {position} = 6"
    )
    sql(tracker.settings, copied)
    head = tracker.recorder.max_notification_id()

    broken = verified(tracker, engine).walked.broken

    assert broken is not None and broken.position == head
    assert "has no link" in broken.reason
    assert " v99," in broken.reason
    assert tracker.project(project).version == 4  # the intruder's row is not the project's


def test_links_rewritten_to_match_are_caught_by_the_signed_checkpoint(
    tracker: TrackerApplication, engine: Engine
) -> None:
    checkpoint = signed_then_edited(tracker, engine, Signer.generate())
    rewrite_links(tracker)  # each link matches its event again

    broken = verified(tracker, engine).walked.broken

    assert broken is not None and broken.position == checkpoint.position
    assert "rewritten" in broken.reason
    assert broken.contradicts == checkpoint


def test_a_key_holder_who_rewrites_and_resigns_is_caught_by_a_kept_checkpoint(
    tracker: TrackerApplication, engine: Engine
) -> None:
    signer = Signer.generate()
    cited = signed_then_edited(tracker, engine, signer)
    kept = Checkpoint.kept(cited.citation())  # what a "cite this" link carried
    # The key holder recomputes every link, drops the old checkpoints and signs anew.
    rewrite_links(tracker, "DELETE FROM {checkpoints}")
    assert sign_head(engine, signer) is not None

    assert verified(tracker, engine, trusted={signer.public_key}).holds  # the database agrees
    caught = verified(tracker, engine, trusted={signer.public_key}, kept=[kept])
    broken = caught.walked.broken
    assert broken is not None and broken.position == cited.position
    assert broken.contradicts == kept
    assert "kept from a citation" in broken.describe()

    result = cli(tracker.settings, "verify", "--checkpoint", cited.citation())
    assert result.exit_code == 1
    assert f"kept from a citation or an export (position {cited.position})" in result.stderr
    malformed = cli(tracker.settings, "verify", "--checkpoint", "12-abc")
    assert malformed.exit_code == 2


def signed_then_edited(tracker: TrackerApplication, engine: Engine, signer: Signer) -> Checkpoint:
    """A filled log, its head signed, then a figure of the event at position 6 changed."""
    fill(tracker)
    checkpoint = sign_head(engine, signer)
    assert checkpoint is not None
    edit_state(tracker.settings, 6, b'"3"', b'"3000"')
    return checkpoint


def rewrite_links(tracker: TrackerApplication, *also: str) -> None:
    """Recompute every link from the stored events, as someone covering a change would."""
    entries = [step[1] for step in tracker.store.chain_steps() if step[1] is not None]
    statements = ["DELETE FROM {chain}", *also]
    for position, link in links_for(GENESIS, entries):
        value = _hex(tracker.settings, link)
        statements.append(f"INSERT INTO {{chain}} (position, link) VALUES ({position}, {value})")
    sql(tracker.settings, *statements)


def _hex(settings: Settings, data: bytes) -> str:
    return f"'\\x{data.hex()}'::bytea" if settings.is_postgres else f"X'{data.hex()}'"


def test_a_checkpoint_edited_in_the_database_no_longer_verifies(
    tracker: TrackerApplication, engine: Engine
) -> None:
    fill(tracker)
    signer = Signer.generate()
    sign_head(engine, signer)
    sql(tracker.settings, "UPDATE {checkpoints} SET signed_at = '2020-01-01T00:00:00Z'")

    found = verified(tracker, engine, trusted={signer.public_key})

    assert found.walked.holds and not found.holds
    assert "signature does not hold" in found.problems()[0]


def test_a_checkpoint_signed_by_an_untrusted_key_is_refused(
    tracker: TrackerApplication, engine: Engine
) -> None:
    fill(tracker)
    sign_head(engine, Signer.generate())

    found = verified(tracker, engine, trusted={Signer.generate().public_key})

    assert not found.holds
    assert "not a trusted one" in found.problems()[0]


def test_verification_from_a_checkpoint_reads_only_what_follows(
    tracker: TrackerApplication, engine: Engine
) -> None:
    project = fill(tracker)
    checkpoint = sign_head(engine, Signer.generate())
    assert checkpoint is not None
    tracker.record(project, CommitInvestment(usd("7")), DESK)
    tracker.record(project, CommitInvestment(usd("8")), DESK)

    found = verified(tracker, engine, from_checkpoint=True)

    assert found.holds and found.started_from == checkpoint
    assert found.walked.events == 2


def test_concurrent_writers_extend_one_chain(tracker: TrackerApplication, engine: Engine) -> None:
    project = fill(tracker, commitments=0)

    def write(writer: int) -> None:
        for _ in range(6):
            tracker.record(
                project, CommitInvestment(usd("1")), Envelope(f"w{writer}", DESK.effective_date)
            )

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(write, range(6)))

    found = verified(tracker, engine)
    assert found.holds, found.problems()
    assert found.walked.events == 4 + 36
    steps = list(tracker.store.chain_steps())
    assert all(entry is not None and link is not None for _, entry, link in steps)


@pytest.mark.parametrize("events", [3, BULK_LINKS + 2])
def test_a_write_of_several_events_links_each_of_them(
    tracker: TrackerApplication, engine: Engine, events: int
) -> None:
    """A command's few events are linked by the statement that inserts them on PostgreSQL,
    an import's many by one more statement: both between one-event writes."""
    first = fill(tracker, commitments=1)
    project = announced()
    for n in range(events - 1):
        record(project, CommitInvestment(usd(f"{n + 1}")), DESK)
    tracker.save(project)
    tracker.record(first, CommitInvestment(usd("9")), DESK)

    found = verified(tracker, engine)
    assert found.holds, found.problems()
    assert found.walked.events == 5 + events + 1


def test_writers_in_two_processes_extend_one_chain(
    tracker: TrackerApplication, settings: Settings, engine: Engine
) -> None:
    """Each writer remembers the last link it committed; the other's writes in between mean
    that link is not the one before its next event."""
    project = fill(tracker, commitments=0)
    other = TrackerApplication(settings)
    try:
        for n in range(6):
            writer = tracker if n % 2 else other
            writer.record(project, CommitInvestment(usd(f"{n + 1}")), DESK)
    finally:
        other.close()

    found = verified(tracker, engine)
    assert found.holds, found.problems()
    assert found.walked.events == 4 + 6


def test_a_rolled_back_write_does_not_lend_its_link_to_the_next_one(
    migrated_sqlite: Path, tmp_path: Path
) -> None:
    """SQLite: a write rolled back after its links were computed (here by a trigger on the
    chain) is not the predecessor of the next write, whose event takes the same position
    from another process."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/tracker.db")
    copy_sqlite(migrated_sqlite, settings.sqlite_path)
    tracker, other = TrackerApplication(settings), TrackerApplication(settings)
    engine = create_readmodel_engine(settings)
    try:
        project = fill(tracker, commitments=0)
        tracker.record(project, CommitInvestment(usd("1")), DESK)
        refused = tracker.recorder.max_notification_id() + 1
        sql(
            settings,
            "CREATE TRIGGER refuse AFTER INSERT ON {chain} "
            f"WHEN NEW.position = {refused} BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        with pytest.raises(ConcurrentWrite):
            tracker.record(project, CommitInvestment(usd("2")), DESK)
        sql(settings, "DROP TRIGGER refuse")
        other.record(project, CommitInvestment(usd("3")), DESK)  # at the refused position
        tracker.record(project, CommitInvestment(usd("4")), DESK)

        found = verified(tracker, engine)
        assert found.holds, found.problems()
        assert found.walked.events == 4 + 3
    finally:
        engine.dispose()
        other.close()
        tracker.close()


def test_the_migration_chains_an_existing_store(blank_settings: Settings) -> None:
    upgrade(blank_settings, "0012")
    old = TrackerApplication(blank_settings)
    try:
        old.store.chained = False  # as the code before revision 0013 wrote
        fill(old)
    finally:
        old.close()

    upgrade(blank_settings)

    tracker = TrackerApplication(blank_settings)
    engine = create_readmodel_engine(blank_settings, pool_size=1)
    try:
        project = tracker.announce_project(
            tracker.establish_portfolio("Q", "F", date(2024, 1, 1), DESK).id, plan(), DESK
        ).id
        tracker.record(project, CommitInvestment(usd("2")), DESK)
        found = verified(tracker, engine)
        assert found.holds, found.problems()
        assert found.walked.events == 8 + 3
    finally:
        engine.dispose()
        tracker.close()


def cli(settings: Settings, *args: str, key: Ed25519PrivateKey | None = None) -> Result:
    env = {
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_DB_SCHEMA": settings.db_schema,
        "TRACKER_SIGNING_KEY": b64(key.private_bytes_raw()) if key else None,
        "TRACKER_SIGNING_KEY_FILE": None,
        "COLUMNS": "200",
    }
    return CliRunner().invoke(main, list(args), env=env)


def test_tracker_verify_exits_0_then_1_naming_the_event_and_the_checkpoint(
    tracker: TrackerApplication,
) -> None:
    fill(tracker)
    key = Ed25519PrivateKey.generate()
    signed = cli(tracker.settings, "checkpoint", key=key)
    assert signed.exit_code == 0, signed.output
    assert "checkpoint #1: position 8" in signed.stdout

    passed = cli(tracker.settings, "verify", key=key)
    assert passed.exit_code == 0, passed.output
    assert "chain holds: 8 events" in passed.stdout
    assert "1 signed checkpoints matched" in passed.stdout

    sql(tracker.settings, "DELETE FROM {events} WHERE {position} = 3")
    failed = cli(tracker.settings, "verify", key=key)
    assert failed.exit_code == 1
    assert "position 3: the event was deleted" in failed.stderr
    assert "contradicts checkpoint #1 (position 8" in failed.stderr


def test_tracker_signing_key_new_writes_a_key_that_signs(
    tracker: TrackerApplication, tmp_path: Path
) -> None:
    fill(tracker)
    path = f"{tmp_path}/signing.pem"
    made = cli(tracker.settings, "signing-key", "new", path)
    assert made.exit_code == 0, made.output
    public = made.stdout.strip()
    again = cli(tracker.settings, "signing-key", "new", path)
    assert again.exit_code == 1  # never overwritten

    settings = tracker.settings
    env = {
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_DB_SCHEMA": settings.db_schema,
        "TRACKER_SIGNING_KEY_FILE": path,
        "TRACKER_SIGNING_KEY": None,
    }
    signed = CliRunner().invoke(main, ["checkpoint", "--json"], env=env)
    assert signed.exit_code == 0, signed.output
    assert f'"public_key": "{public}"' in signed.stdout
    shown = CliRunner().invoke(main, ["signing-key", "show"], env=env)
    assert shown.stdout.strip() == public
