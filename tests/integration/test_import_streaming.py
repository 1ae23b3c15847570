"""An import reads its file as a stream in windows of rows, on both databases: so it holds a
window, not the file, and gives the same result as the whole file at once (the same rows
recorded, every bad row of every window listed, a correction naming a row many windows
earlier); what is recorded is what was checked; and the errors of a stream keep their lines
however far into the file they are."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import tracker.transfer.importer as importing
from tests.integration.generated_rows import generate
from tests.integration.transfer_store import (
    DESK,
    TEMPLATE,
    Store,
    empty_twin,
    errors_of,
    rows,
    store,
    stored,
)
from tracker.domain.values import Money
from tracker.transfer import errors, readers, windows
from tracker.transfer.errors import ImportRejected
from tracker.transfer.file_format import FileKind
from tracker.transfer.importer import import_rows
from tracker.transfer.references import project_id_for

__all__ = ["empty_twin", "store"]  # the fixtures, used by name


def outcomes(report: Any) -> list[tuple[int, str, str, str, str]]:
    return [(r.line, r.row_id, r.type, r.ref, r.outcome) for r in report.rows]


# 1. Streaming: windows of rows, the same result as the whole file at once


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows of 7 rows, so that small files span many of them."""
    monkeypatch.setattr(windows, "WINDOW_ROWS", 7)


def test_an_import_streamed_from_a_file_gives_the_same_result_as_from_bytes(
    store: Store, empty_twin: Store, tmp_path: Path, small_windows: None
) -> None:
    data = generate(projects=3, events_per_project=12).encode()
    path = tmp_path / "rows.csv"
    path.write_bytes(data)
    from_bytes = import_rows(store.tracker, data, "csv", DESK, batch_events=5)
    from_path = import_rows(empty_twin.tracker, path, "csv", DESK, batch_events=5)
    assert outcomes(from_path) == outcomes(from_bytes)
    assert from_path.events_recorded == from_bytes.events_recorded == 2 + 3 * 13
    assert stored(empty_twin) == stored(store)
    with path.open("rb") as stream:  # an open binary file streams too (the API's spool)
        again = import_rows(empty_twin.tracker, stream, "csv", DESK)
    assert again.events_recorded == 0 and again.already_recorded == 2 + 3 * 13


def test_json_rows_stream_in_windows_and_name_their_lines(
    store: Store, small_windows: None
) -> None:
    records = list(csv.DictReader(io.StringIO(generate(projects=2, events_per_project=10))))
    items = [{k: v for k, v in record.items() if v} for record in records]
    text = "[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]\n"
    report = store.load(text, "json")
    assert report.events_recorded == len(items) == 24
    assert [r.line for r in report.rows] == list(range(2, 26))  # one object per line
    bad = text.replace('"amount": "1007.00"', '"amount": 1007.0')
    with pytest.raises(ImportRejected) as excinfo:
        store.load(bad, "json")
    assert errors_of(excinfo) == {(11, "amount"), (22, "amount")}


def test_a_refusal_lists_every_bad_row_of_every_window_and_records_nothing(
    store: Store, small_windows: None
) -> None:
    lines = generate(projects=3, events_per_project=12).splitlines(keepends=True)
    # line 4 (window 1): a bad date; line 20 (window 3): a reused row_id; line 40: a bad amount
    lines[3] = lines[3].replace("2020-01-01", "2020-01-32")
    lines[19] = lines[19].replace("prj-1-3,", "prj-1-2,")
    lines[39] = lines[39].replace(",1010.00,", ",1O10.00,")
    with pytest.raises(ImportRejected) as excinfo:
        store.load("".join(lines))
    assert errors_of(excinfo) == {(4, "effective_date"), (20, "row_id"), (40, "amount")}
    messages = {e.line: e.message for e in excinfo.value.errors}
    assert messages[20] == "row_id 'prj-1-2' is already used on line 19"
    assert store.head() == 0


def test_a_correction_names_a_row_many_windows_earlier(store: Store, small_windows: None) -> None:
    lines = [
        {
            "row_id": "p",
            "type": "portfolio",
            "portfolio_ref": "pf",
            "title": "P",
            "forum": "F",
            "effective_date": "2024-10-22",
        },
        {
            "row_id": "a",
            "type": "announced",
            "portfolio_ref": "pf",
            "project_ref": "plant",
            "effective_date": "2025-01-10",
            "title": "Plant",
            "sector": "energy",
            "regions": "KZ-61",
            "amount": "1000000",
            "currency": "USD",
        },
        {
            "row_id": "c",
            "type": "committed",
            "project_ref": "plant",
            "effective_date": "2025-02-01",
            "amount": "100.00",
            "currency": "USD",
        },
        *(
            {
                "row_id": f"m{i}",
                "type": "milestone",
                "project_ref": "plant",
                "effective_date": "2025-02-02",
                "name": f"Step {i}",
            }
            for i in range(30)
        ),
        {
            "row_id": "k1",
            "type": "corrected",
            "project_ref": "plant",
            "effective_date": "2025-03-01",
            "corrects": "c",
            "reason": "typo",
            "amount": "150.00",
        },
        *(
            {
                "row_id": f"n{i}",
                "type": "milestone",
                "project_ref": "plant",
                "effective_date": "2025-03-02",
                "name": f"Later {i}",
            }
            for i in range(20)
        ),
        {
            "row_id": "k2",
            "type": "corrected",
            "project_ref": "plant",
            "effective_date": "2025-04-01",
            "corrects": "c",
            "reason": "in euros",
            "currency": "EUR",
        },
        {
            "row_id": "r",
            "type": "retracted",
            "project_ref": "plant",
            "effective_date": "2025-04-02",
            "retracts": "m3",
            "reason": "duplicate",
        },
    ]
    text = rows(*lines)
    assert store.load(text, dry_run=True).new == len(lines)
    assert store.load(text, batch_events=4).events_recorded == len(lines)
    plant = store.tracker.project_ledger(project_id_for("plant"))
    assert plant.figures_as_of().committed == (Money(Decimal("150.00"), "EUR"),)
    assert "Step 3" not in plant.figures_as_of().milestones
    again = store.load(text)
    assert (again.events_recorded, again.already_recorded) == (0, len(lines))


def test_a_dry_run_holds_a_window_of_rows_in_memory_not_the_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted by tracemalloc, not timed: reading, decoding and parsing the whole file at once
    took about 20 times its size (docs/RELIABILITY.md); a window of rows is a constant, and
    here a small one (the default, 1,000 rows, is about 1.5 MB). The dry run alone peaks at
    0.35-0.45 of the file's size; tracemalloc also counts what the process's other threads
    allocate meanwhile (0.51 once, under a full parallel run), so the bound is the file itself:
    holding it, even undecoded, fails."""
    monkeypatch.setattr(windows, "WINDOW_ROWS", 100)
    store.load(TEMPLATE.read_bytes(), dry_run=True)  # loads the code lists (ISO 3166) once
    path = tmp_path / "big.csv"
    path.write_text(generate(projects=20, events_per_project=1000))
    size = path.stat().st_size  # about 1.5 MB, 20,022 rows
    tracemalloc.start()
    try:
        report = import_rows(store.tracker, path, "csv", DESK, dry_run=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.new == 2 + 20 * 1001
    assert peak < size, f"peak {peak:,} bytes for a file of {size:,}"


def test_what_is_recorded_is_what_was_checked_even_if_the_file_changes_meanwhile(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is not read again to record it: the events the check made are recorded, so
    a file edited after its check records the rows as they were checked, never unchecked
    ones."""
    path = tmp_path / "rows.csv"
    path.write_bytes(TEMPLATE.read_bytes())
    real_check = importing.check

    def check_then_edit(*args: Any, **kwargs: Any) -> Any:
        checked = real_check(*args, **kwargs)
        path.write_text(TEMPLATE.read_text().replace(",4000000.00,USD", ",9000000.00,USD"))
        return checked

    monkeypatch.setattr(importing, "check", check_then_edit)
    monkeypatch.setattr(windows, "WINDOW_ROWS", 2)
    report = import_rows(store.tracker, path, "csv", DESK, batch_events=1)
    assert store.head() == report.events_recorded == report.new
    amounts = {
        str(money.amount)
        for n in store.tracker.recorder.select_notifications(0, 1000)
        for money in [getattr(store.tracker.mapper.to_domain_event(n), "amount", None)]
        if money is not None
    }
    assert "4000000.00" in amounts
    assert "9000000.00" not in amounts


# Reading a stream: errors keep their lines however far into the file they are


def json_lines(projects: int, events: int) -> list[str]:
    """A JSON array with one row object per line: the object on line n is row n - 1."""
    records = csv.DictReader(io.StringIO(generate(projects=projects, events_per_project=events)))
    items = [json.dumps({k: v for k, v in r.items() if v}) for r in records]
    return ["[", *(item + "," for item in items[:-1]), items[-1], "]"]


def read_all(data: bytes, kind: FileKind) -> tuple[int, list[errors.RowError]]:
    stream = io.BytesIO(data)
    found = list(readers.read_rows(stream, readers.resolved(stream, kind)))
    rows = sum(isinstance(item, readers.RawRow) for item in found)
    return rows, [item for item in found if isinstance(item, errors.RowError)]


def test_a_long_json_array_is_read_in_pieces_with_the_right_lines() -> None:
    lines = json_lines(10, 100)  # 1,012 rows, about 150 kB: several pieces of 64 kB
    rows, errors = read_all("\n".join(lines).encode(), "json")
    assert (rows, errors) == (1012, [])
    broken = [*lines]
    broken[899] = broken[899].replace('"type": ', '"type" ')  # line 900
    rows, errors = read_all("\n".join(broken).encode(), "json")
    assert rows == 898  # the rows before it
    assert [(e.line, e.message) for e in errors] == [(900, "invalid JSON: Expecting ':' delimiter")]
    rows, errors = read_all("\n".join(lines[:-1]).encode(), "json")  # no closing bracket
    assert rows == 1012
    assert [(e.line, e.message) for e in errors] == [(1013, "expected ',' or ']' after a row")]
    spaced = "\n".join(lines).replace(",\n", ",\n\n\n").encode()
    rows, errors = read_all(spaced, "json")
    assert (rows, errors) == (1012, [])


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_a_byte_that_is_not_utf8_far_into_the_file_is_the_one_error(
    store: Store, kind: str
) -> None:
    if kind == "csv":
        lines = generate(projects=10, events_per_project=100).splitlines()
    else:
        lines = json_lines(10, 100)
    data = "\n".join(lines).encode().splitlines(keepends=True)
    data[799] = data[799].replace(b"Milestone", b"Mil\xe9stone")  # line 800: Latin-1
    assert b"\xe9" in data[799]
    with pytest.raises(ImportRejected) as excinfo:
        store.load(b"".join(data), kind)
    assert [(e.line, e.message.split(" (")[0]) for e in excinfo.value.errors] == [
        (800, "the file is not UTF-8 text")
    ]
    assert store.head() == 0


def test_a_line_too_long_to_be_a_row_ends_the_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE", 1000)
    text = TEMPLATE.read_text().replace("Ceremony with both ministers", "x" * 2000)
    rows, errors = read_all(text.encode(), "csv")
    assert rows == 8  # lines 2 to 9; line 10 holds the long cell
    assert [(e.line, e.message) for e in errors] == [
        (10, "unreadable CSV: a line longer than 1,000 characters")
    ]
