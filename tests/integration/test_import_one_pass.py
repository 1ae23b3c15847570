"""A file whose rows name no other row is read once: its rows are counted and its row ids used
twice are found as it is checked (in memory, and in a temporary file past a bound); a file
with a correction or retraction is surveyed first and read again, with the same verdicts. On
both databases."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.integration.generated_rows import generate
from tests.integration.transfer_store import Store, empty_twin, errors_of, store
from tracker.transfer import windows
from tracker.transfer.errors import ImportRejected, RowError
from tracker.transfer.raw_rows import RawRow
from tracker.transfer.references import portfolio_id_for, project_id_for
from tracker.transfer.rows import parse_row
from tracker.transfer.workspace import Workspace

__all__ = ["empty_twin", "store"]  # fixtures shared with transfer_store


def without_corrections(projects: int, events_per_project: int) -> list[str]:
    """``generate``'s lines less its corrections and retractions (rows naming other rows)."""
    return [
        line
        for line in generate(projects, events_per_project).splitlines(keepends=True)
        if line.split(",")[1] not in ("corrected", "retracted")
    ]


def line_of(lines: list[str], row_id: str) -> int:
    return next(n for n, line in enumerate(lines, 1) if line.startswith(f"{row_id},"))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the file was read from its start (one entry per read)."""
    counted: list[int] = []
    real = windows.read_rows

    def counting(*args: Any) -> Iterator[Any]:
        counted.append(1)
        return real(*args)

    monkeypatch.setattr(windows, "read_rows", counting)
    return counted


def test_a_file_naming_no_other_row_is_read_once_and_one_with_a_correction_again(
    store: Store, empty_twin: Store, reads: list[int]
) -> None:
    lines = without_corrections(3, 10)
    report = store.load("".join(lines))
    assert len(reads) == 1
    assert report.events_recorded == len(report.rows) == len(lines) - 1
    correction = next(
        line for line in generate(3, 12).splitlines(keepends=True) if ",corrected," in line
    )
    reads.clear()
    report = empty_twin.load("".join([*lines, correction]))
    # the one pass gives way at the correction: the survey, then the check from the start
    assert len(reads) == 3
    assert report.events_recorded == len(report.rows) == len(lines)


@pytest.mark.parametrize("kept_ids", [10_000, 3], ids=["in-memory", "in-file"])
def test_row_ids_used_twice_are_found_in_one_pass_as_the_survey_finds_them(
    store: Store, monkeypatch: pytest.MonkeyPatch, reads: list[int], kept_ids: int
) -> None:
    monkeypatch.setattr(windows, "WINDOW_ROWS", 7)
    monkeypatch.setattr(windows, "KEPT_IDS", kept_ids)
    lines = without_corrections(4, 10)
    first = {row_id: line_of(lines, row_id) for row_id in ("prj-1-5", "prj-2-0", "prj-0-2")}
    reused = {
        "prj-1-6": "prj-1-5",  # the row before, in the same window
        "prj-2-7": "prj-2-0",  # a window later (the first is a window's last row)
        "prj-2-8": "prj-2-0",  # again, a window later still: the first use is named, not the second
        "prj-3-4": "prj-0-2",  # another project's row id: not the same row
    }
    for row_id, reuse in reused.items():
        n = line_of(lines, row_id) - 1
        lines[n] = lines[n].replace(f"{row_id},", f"{reuse},", 1)
    expected = {  # prj-1-6's row, right after prj-1-5's
        first["prj-1-5"] + 1: f"row_id 'prj-1-5' is already used on line {first['prj-1-5']}"
    }
    with pytest.raises(ImportRejected) as once:
        store.load("".join(lines))
    assert len(reads) == 1
    correction = next(
        line.replace("prj-0", "prj-3")
        for line in generate(1, 12).splitlines(keepends=True)
        if ",corrected," in line
    )
    with pytest.raises(ImportRejected) as surveyed:
        store.load("".join([*lines, correction]))
    assert len(reads) == 4
    messages = {e.line: e.message for e in once.value.errors}
    twice = [n for n, line in enumerate(lines, 1) if line.startswith("prj-2-0,")][1:]
    expected.update(
        {n: f"row_id 'prj-2-0' is already used on line {first['prj-2-0']}" for n in twice}
    )
    assert messages == expected
    assert errors_of(once) == errors_of(surveyed)
    assert [e.message for e in once.value.errors] == [e.message for e in surveyed.value.errors]
    assert store.head() == 0


def test_the_lookups_made_per_window_are_single_statements_without_a_transaction_block(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which aggregates are stored, and the receipts of their keys, are asked once per window
    of rows: on PostgreSQL each is one statement in autocommit, not a BEGIN and a ROLLBACK
    around it (two more round trips each, costly on a loaded machine)."""
    report = store.load("".join(without_corrections(2, 4)))
    stored = {row.ref for row in report.rows}
    ids = [project_id_for(ref) for ref in stored if ref.startswith("prj-")]
    opened: list[str] = []

    def transaction(*args: Any, **kwargs: Any) -> Any:
        opened.append("transaction")
        raise AssertionError("a lookup opened a transaction block")

    monkeypatch.setattr(psycopg.Connection, "transaction", transaction)
    recorder = store.tracker.store
    assert recorder.stored_aggregates([*ids, project_id_for("nowhere")]) == set(ids)
    receipts = recorder.find_receipts(project_id_for("prj-0"), ["import:prj-0-1", "import:nothing"])
    assert set(receipts) == {"import:prj-0-1"}
    assert opened == []
    again = store.load("".join(without_corrections(2, 4)))  # every row found already recorded
    assert again.events_recorded == 0 and again.already_recorded == len(again.rows)
    assert opened == []


def test_a_window_wants_the_receipts_of_stored_aggregates_only(store: Store) -> None:
    """The keys a window's rows carry are gathered only for the aggregates already in the
    store: a new project has no receipts to read."""
    lines = without_corrections(2, 4)
    store.load("".join(lines[:-5]))  # prj-0 stored, prj-1 not (its rows are the last five)
    errors: list[RowError] = []
    header = next(csv.reader([lines[0]]))
    window = [
        parse_row(RawRow(n, {k: v for k, v in zip(header, cells, strict=True) if v}), errors)
        for n, cells in enumerate(csv.reader(lines[1:]), 2)
    ]
    assert errors == [] and all(window)
    workspace = Workspace(store.tracker, referenced=set())
    workspace.begin([row for row in window if row is not None])
    assert workspace.wanted == {
        portfolio_id_for("bulk"): {"import:p", "import:t"},
        project_id_for("prj-0"): {f"import:prj-0-{k}" for k in range(5)},
    }


def test_an_import_leaves_its_events_in_the_database_file_not_only_in_its_log(
    store: Store, tmp_path: Path
) -> None:
    """On SQLite the import copies the write-ahead log's pages into the database file as it
    ends (a checkpoint): the next writer does not pay for them."""
    report = store.load("".join(without_corrections(3, 10)))
    if not store.settings.is_postgres:
        alone = tmp_path / "alone.db"
        shutil.copyfile(store.settings.sqlite_path, alone)  # the file without its log
        with closing(sqlite3.connect(alone)) as db:
            (count,) = db.execute("SELECT count(*) FROM stored_events").fetchone()
        assert count == report.events_recorded
