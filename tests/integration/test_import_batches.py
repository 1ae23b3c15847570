"""An import saves its rows in batches, one transaction each, on both databases: the log
keeps the file's order, a writer colliding with a batch stops the import and a rerun
completes it, each row is parsed and applied once and stamped when recorded, and the events
replay to the same state with snapshots; a large generated file imports every row once."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.integration.generated_rows import generate
from tests.integration.transfer_store import TEMPLATE, Store, rows, store
from tracker.domain.commands import Cancel, ReachMilestone
from tracker.domain.values import Envelope, Money
from tracker.eventstore.migrate import upgrade
from tracker.settings import Settings
from tracker.transfer.errors import ImportInterrupted
from tracker.transfer.references import project_id_for

__all__ = ["store"]  # the fixture, used by name


def test_rows_are_saved_in_batches_one_transaction_each(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: list[int] = []
    real = store.tracker.save_events

    def counting(events: Any) -> Any:
        recordings = real(events)
        saved.append(len(recordings))
        return recordings

    monkeypatch.setattr(store.tracker, "save_events", counting)
    report = store.load(generate(projects=3, events_per_project=10), batch_events=7)
    assert report.events_recorded == 2 + 3 * 11 == sum(saved)
    assert saved == [7, 7, 7, 7, 7]
    positions = [n.id for n in store.tracker.recorder.select_notifications(0, 100)]
    assert positions == list(range(1, 36))
    # the log keeps the file's order even though a batch saves several projects at once
    events = [
        store.tracker.mapper.to_domain_event(n)
        for n in store.tracker.recorder.select_notifications(0, 100)
    ]
    keys = [e.idempotency_key for e in events]
    expected = [f"import:{r['row_id']}" for r in csv.DictReader(io.StringIO(generate(3, 10)))]
    assert keys == expected


MORE_ROWS = rows(
    {
        "row_id": "cu-11",
        "type": "committed",
        "project_ref": "copper-plant",
        "effective_date": "2025-06-01",
        "amount": "100.00",
        "currency": "USD",
    },
    {
        "row_id": "lh-4",
        "type": "committed",
        "project_ref": "logistics-hub",
        "effective_date": "2025-06-01",
        "amount": "200.00",
        "currency": "USD",
    },
)


def test_a_writer_colliding_with_a_batch_stops_the_import_and_a_rerun_completes_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.load(TEMPLATE.read_bytes())
    real = store.tracker.save_events
    hub = project_id_for("logistics-hub")

    def collide(events: Any) -> Any:
        if any(e.originator_id == hub for e in events):  # another writer gets there first
            store.tracker.record(hub, ReachMilestone("site visit"), Envelope("api", date.today()))
        return real(events)

    monkeypatch.setattr(store.tracker, "save_events", collide)
    with pytest.raises(ImportInterrupted) as excinfo:
        store.load(MORE_ROWS, batch_events=1)
    assert "rows before line 3 were recorded" in excinfo.value.detail
    copper = store.tracker.project(project_id_for("copper-plant"))
    assert copper.version == 11  # line 2 was saved in its own batch
    monkeypatch.undo()

    again = store.load(MORE_ROWS)
    assert [r.outcome for r in again.rows] == ["already recorded", "new"]
    hub_figures = store.tracker.project_ledger(hub).figures_as_of()
    assert hub_figures.committed == (Money(Decimal("200.00"), "USD"),)
    assert hub_figures.milestones == ("site visit",)  # the other writer's event is kept


def test_a_project_changed_after_the_check_stops_the_import_before_its_row(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recording saves the events the check made; a project another writer changed
    since (here: cancelled, so line 3 would no longer apply) is not written over."""
    import tracker.transfer.importer as importing

    store.load(TEMPLATE.read_bytes())
    real_check = importing.check

    def check_then_cancel(*args: Any, **kwargs: Any) -> Any:
        checked = real_check(*args, **kwargs)
        store.tracker.record(
            project_id_for("logistics-hub"), Cancel("withdrawn"), Envelope("api", date.today())
        )
        return checked

    monkeypatch.setattr(importing, "check", check_then_cancel)
    with pytest.raises(ImportInterrupted) as excinfo:
        store.load(MORE_ROWS, batch_events=1)
    assert "another writer changed a project" in excinfo.value.detail
    assert "rows before line 3 were recorded" in excinfo.value.detail
    assert store.tracker.project(project_id_for("copper-plant")).version == 11
    hub = store.tracker.project_ledger(project_id_for("logistics-hub")).figures_as_of()
    assert hub.committed == ()  # cu-11 was not recorded on the cancelled project


def test_each_row_is_parsed_and_applied_once_and_its_events_stamped_when_recorded(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.transfer.importer as importing
    from tracker.transfer.workspace import Workspace

    applied: list[int] = []
    real_apply = Workspace.apply

    def counting(self: Workspace, row: Any, actor: str, today: date) -> Any:
        applied.append(row.line)
        return real_apply(self, row, actor, today)

    checked_at: list[datetime] = []
    real_check = importing.check

    def check_then_note(*args: Any, **kwargs: Any) -> Any:
        checked = real_check(*args, **kwargs)
        checked_at.append(datetime.now(UTC))
        return checked

    monkeypatch.setattr(Workspace, "apply", counting)
    monkeypatch.setattr(importing, "check", check_then_note)
    file = generate(projects=3, events_per_project=10)
    report = store.load(file, batch_events=7)

    lines = list(range(2, 2 + len(report.rows)))
    assert sorted(applied) == lines  # once each (the recording applied every new row again)
    events = [
        store.tracker.mapper.to_domain_event(n)
        for n in store.tracker.recorder.select_notifications(0, 100)
    ]
    assert len(events) == report.events_recorded == len(report.rows)
    assert len({e.idempotency_key for e in events}) == len(events)
    # Stamped when recorded, not when checked: known_at reports see them from then on.
    assert all(e.timestamp >= checked_at[0] for e in events)


def test_events_recorded_by_an_import_replay_to_the_same_state_with_snapshots(
    store: Store,
) -> None:
    store.load(generate(projects=2, events_per_project=12), batch_events=5)
    project_id = project_id_for("prj-1")
    snapshots = list(store.tracker.snapshots.get(project_id))  # type: ignore[union-attr]
    assert snapshots  # snapshot interval 5 in the tests
    loaded = store.tracker.project(project_id)  # from the latest snapshot
    replayed = store.tracker.project(project_id, known_at=datetime.now(UTC))  # every event
    assert (loaded.plan, loaded.status, loaded.corrections, loaded.retracted) == (
        replayed.plan,
        replayed.status,
        replayed.corrections,
        replayed.retracted,
    )
    assert loaded.version == replayed.version == 13


def test_a_large_generated_file_imports_every_row_once_and_again_nothing(tmp_path: Path) -> None:
    """10,202 event rows of every kind (the generator's mix); how fast is `make bench`'s
    business (docs/BENCHMARKS.md), not a test's."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/bulk.db")
    upgrade(settings)
    bulk = Store(settings)
    try:
        data = generate(projects=200, events_per_project=50).encode()
        assert bulk.load(data).events_recorded == 2 + 200 * 51
        bulk.projector.catch_up()
        assert bulk.load(data).events_recorded == 0
    finally:
        bulk.close()
