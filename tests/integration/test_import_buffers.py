"""An import keeps its checked events and its rows' outcomes in memory up to a bound, and in
temporary files past it: the same events are recorded and the same outcomes answered either
way. The garbage collector is paused a window of rows at a time, and left on after."""

from __future__ import annotations

import gc
from typing import Any

import pytest

import tracker.transfer.importer as importing
from tests.integration.generated_rows import generate
from tests.integration.transfer_store import TEMPLATE, Store, empty_twin, store
from tracker.transfer import checked_events, outcomes, windows
from tracker.transfer.importer import import_rows
from tracker.transfer.workspace import Workspace

__all__ = ["empty_twin", "store"]  # fixtures shared with transfer_store

DESK = importing.Importer("desk")


def answered(report: Any) -> list[tuple[int, str, str, str, str]]:
    return [(r.line, r.row_id, r.type, r.ref, r.outcome) for r in report.rows]


def recorded(store: Store) -> list[tuple[Any, ...]]:
    """Every stored event but its recording time, in log order."""
    found = []
    for n in store.tracker.recorder.select_notifications(0, 1_000_000):
        event = vars(store.tracker.mapper.to_domain_event(n))
        fields = sorted((k, repr(v)) for k, v in event.items() if k != "timestamp")
        found.append((n.originator_id, n.originator_version, n.topic, fields))
    return found


def test_kept_in_files_or_in_memory_an_import_records_and_answers_the_same(
    store: Store, empty_twin: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = generate(projects=3, events_per_project=12).encode()  # 41 rows
    monkeypatch.setattr(windows, "WINDOW_ROWS", 7)  # ten windows: 70 outcomes in memory
    kept_in: list[bool] = []
    real_record = importing.record_in_batches

    def noting(tracker: Any, made: Any, *args: Any, **kwargs: Any) -> Any:
        kept_in.append(made.in_file)
        return real_record(tracker, made, *args, **kwargs)

    monkeypatch.setattr(importing, "record_in_batches", noting)
    in_memory = import_rows(store.tracker, data, "csv", DESK, batch_events=5)
    dry_in_memory = import_rows(empty_twin.tracker, data, "csv", DESK, dry_run=True)
    monkeypatch.setattr(checked_events, "KEPT_IN_MEMORY", 4)
    monkeypatch.setattr(outcomes, "KEPT_WINDOWS", 2)  # 14 rows, then the file
    in_files = import_rows(empty_twin.tracker, data, "csv", DESK, batch_events=5)
    dry_in_files = import_rows(store.tracker, data, "csv", DESK, dry_run=True)
    assert kept_in == [False, True]
    assert not in_memory.rows.in_file and not dry_in_memory.rows.in_file
    assert in_files.rows.in_file and dry_in_files.rows.in_file
    assert in_files.events_recorded == in_memory.events_recorded == 2 + 3 * 13
    assert recorded(empty_twin) == recorded(store)
    assert answered(in_files) == answered(in_memory) == answered(dry_in_memory)
    assert in_files.new == in_memory.new == dry_in_memory.new == 41
    assert [r.outcome for r in dry_in_files.rows] == ["already recorded"] * 41
    for index in (0, 13, 14, 40, -1):
        assert in_files.rows[index] == in_memory.rows[index]
    assert in_files.rows[10:20] == in_memory.rows[10:20]
    with pytest.raises(IndexError):
        in_files.rows[41]
    with pytest.raises(IndexError):
        in_memory.rows[41]
    assert [len(c) for c in in_memory.rows.chunks(20)] == [len(c) for c in in_files.rows.chunks(20)]
    for report in (in_memory, dry_in_memory, in_files, dry_in_files):
        report.close()


def test_rows_are_checked_with_the_collector_paused_and_left_on_after(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert gc.isenabled()
    collecting: list[bool] = []
    real_apply = Workspace.apply

    def noting(self: Workspace, *args: Any) -> Any:
        collecting.append(gc.isenabled())
        return real_apply(self, *args)

    monkeypatch.setattr(Workspace, "apply", noting)
    store.load(TEMPLATE.read_bytes())
    assert collecting and not any(collecting)
    assert gc.isenabled()
    collecting.clear()

    def failing(self: Workspace, *args: Any) -> Any:
        collecting.append(gc.isenabled())
        raise RuntimeError("a fault in the middle of a window")

    monkeypatch.setattr(Workspace, "apply", failing)
    with pytest.raises(RuntimeError):
        store.load(TEMPLATE.read_bytes())
    assert collecting == [False]
    assert gc.isenabled()


def test_an_import_commits_its_events_five_thousand_at_a_time(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch is one transaction, made durable by its commit: fewer, larger batches
    spend less on commits (an fsync each) and on PostgreSQL's round trips."""
    data = generate(projects=100, events_per_project=59).encode()  # 2 + 100 × 60 rows
    saved: list[int] = []
    real_save = store.tracker.save_events

    def counting(events: Any) -> list[int]:
        saved.append(len(events))
        return real_save(events)

    monkeypatch.setattr(store.tracker, "save_events", counting)
    report = import_rows(store.tracker, data, "csv", DESK)
    assert report.events_recorded == 6002
    assert saved == [5000, 1002]
    report.close()
