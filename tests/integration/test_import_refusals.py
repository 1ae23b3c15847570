"""What an import refuses, on both databases: every bad row is reported, with its line and
column, and nothing is recorded; a changed row under a row id already imported, a title in
another language checked like a recorded one, an announcement taking over a project."""

from __future__ import annotations

import pytest

from tests.integration.transfer_store import TEMPLATE, Store, errors_of, rows, store
from tracker.transfer.errors import ImportRejected, RowError
from tracker.transfer.references import project_id_for

__all__ = ["store"]  # the fixture, used by name


def test_json_rows_name_their_own_lines_and_refuse_numeric_amounts(store: Store) -> None:
    text = """[
  {"row_id": "p", "type": "portfolio", "portfolio_ref": "pf", "title": "P", "forum": "F",
   "effective_date": "2024-10-22"},
  {"row_id": "a", "type": "announced", "portfolio_ref": "pf", "project_ref": "x",
   "effective_date": "2025-01-10", "title": "Plant", "sector": "energy",
   "regions": ["KZ-61"], "amount": 5000000.5, "currency": "USD"},
  {"row_id": "b", "type": "comitted", "project_ref": "x"}
]"""
    with pytest.raises(ImportRejected) as excinfo:
        store.load(text, "json")
    assert errors_of(excinfo) == {(4, "amount"), (7, "type")}
    assert store.head() == 0


def test_every_bad_row_is_listed_and_nothing_is_recorded(store: Store) -> None:
    good = {"project_ref": "plant", "effective_date": "2025-02-01"}
    text = rows(
        {
            "row_id": "p",
            "type": "portfolio",
            "portfolio_ref": "pf",
            "title": "P",
            "forum": "F",
            "effective_date": "2024-10-22",
        },  # line 2: fine
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
        },  # 3: fine
        {"row_id": "c1", "type": "committed", **good, "amount": "1,5", "currency": "USD"},  # 4
        {"row_id": "c2", "type": "committed", **good, "amount": "0", "currency": "USD"},  # 5
        {"row_id": "c3", "type": "disbursed", **good, "amount": "10", "currency": "XYZ"},  # 6
        {
            "row_id": "d1",
            "type": "milestone",
            "project_ref": "plant",
            "effective_date": "2025-02-30",
            "name": "x",
        },  # 7
        {"row_id": "s1", "type": "status_changed", **good, "status": "resumed"},  # 8
        {
            "row_id": "k1",
            "type": "corrected",
            **good,
            "corrects": "nope",
            "reason": "typo",
            "amount": "5",
        },  # 9
        {
            "row_id": "u1",
            "type": "jobs_created",
            "project_ref": "elsewhere",
            "effective_date": "2025-02-01",
            "permanent": "3",
        },  # 10
        {
            "row_id": "c4",
            "type": "committed",
            **good,
            "amount": "10",
            "currency": "USD",
            "title": "not for a commitment",
        },  # 11
        {"row_id": "c1", "type": "committed", **good, "amount": "5", "currency": "USD"},  # 12
        {
            "row_id": "f1",
            "type": "committed",
            **good,
            "effective_date": "2999-01-01",
            "amount": "5",
            "currency": "USD",
        },  # 13
        {"row_id": "ok", "type": "committed", **good, "amount": "5", "currency": "USD"},  # 14
        {
            "row_id": "r1",
            "type": "announced",
            "portfolio_ref": "pf",
            "project_ref": "other",
            "effective_date": "2025-01-10",
            "title": "Mill",
            "sector": "textiles",
            "regions": "KZ-99",
            "amount": "1",
            "currency": "USD",
        },  # 15
        {
            "row_id": "r2",
            "type": "retracted",
            "project_ref": "plant",
            "retracts": "a",
            "reason": "x",
            "effective_date": "2025-03-01",
        },  # 16
    )
    with pytest.raises(ImportRejected) as excinfo:
        store.load(text, source="bad.csv")
    assert errors_of(excinfo) == {
        (4, "amount"),
        (5, "amount"),
        (6, "currency"),
        (7, "effective_date"),
        (8, "status"),
        (9, "corrects"),
        (10, "project_ref"),
        (11, "title"),
        (12, "row_id"),
        (13, "effective_date"),
        (15, "regions"),
        (16, "retracts"),
    }
    messages = {e.line: e.message for e in excinfo.value.errors}
    assert "already used on line 4" in messages[12]
    assert "only a suspended project can be resumed" in messages[8]
    assert "in the future" in messages[13]
    assert excinfo.value.detail.startswith("bad.csv: nothing was recorded; rows with errors: 12,")
    assert store.head() == 0  # the good rows were not recorded either


def test_the_rows_of_a_bad_announcement_only_report_the_announcement(store: Store) -> None:
    text = rows(
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
            "amount": "lots",
            "currency": "USD",
        },  # line 3
        {
            "row_id": "b",
            "type": "committed",
            "project_ref": "plant",
            "effective_date": "2025-02-01",
            "amount": "5",
            "currency": "USD",
        },
        {
            "row_id": "c",
            "type": "announced",
            "portfolio_ref": "nowhere",
            "project_ref": "mill",
            "effective_date": "2025-01-10",
            "title": "Mill",
            "sector": "textiles",
            "regions": "KZ-61",
            "amount": "5",
            "currency": "USD",
        },  # line 5
        {
            "row_id": "d",
            "type": "committed",
            "project_ref": "mill",
            "effective_date": "2025-02-01",
            "amount": "5",
            "currency": "USD",
        },
        {
            "row_id": "e",
            "type": "committed",
            "project_ref": "plant",
            "effective_date": "2025-02-01",
            "amount": "oops",
            "currency": "USD",
        },  # line 7
    )
    with pytest.raises(ImportRejected) as excinfo:
        store.load(text)
    assert errors_of(excinfo) == {(3, "amount"), (5, "portfolio_ref"), (7, "amount")}


def test_a_bad_header_is_reported_before_any_row(store: Store) -> None:
    with pytest.raises(ImportRejected) as excinfo:
        store.load("row_id,kind,amount,amount\nx,committed,1,2\n")
    assert errors_of(excinfo) == {(1, "kind"), (1, "amount"), (1, "type")}


def test_a_changed_row_under_a_row_id_already_imported_is_refused(store: Store) -> None:
    store.load(TEMPLATE.read_bytes())
    changed = TEMPLATE.read_text().replace(",20000000.00,USD", ",21000000.00,USD")
    with pytest.raises(ImportRejected) as excinfo:
        store.load(changed)
    assert errors_of(excinfo) == {(6, "row_id")}
    assert "already imported with different values" in excinfo.value.errors[0].message


def test_a_title_in_another_language_is_checked_like_a_recorded_one(store: Store) -> None:
    store.load(TEMPLATE.read_bytes())
    given = {"type": "title_translated", "project_ref": "copper-plant"}
    bad = rows(
        {"row_id": "t-1", **given, "language": "de", "title": "Kupferwerk"},
        {"row_id": "t-2", **given, "language": "ru", "title": "Завод\tмеди"},
        {"row_id": "t-3", **given, "title": "Завод"},
        {"row_id": "t-4", **given, "language": "ru", "title": "Завод", "amount": "1"},
    )
    with pytest.raises(ImportRejected) as excinfo:
        store.load(bad)
    assert errors_of(excinfo) == {(2, "language"), (3, "title"), (4, "language"), (5, "amount")}
    good = rows({"row_id": "t-5", **given, "language": "ru", "title": "Медеплавильный завод"})
    assert store.load(good).events_recorded == 1
    assert store.load(good).events_recorded == 0  # imported again: nothing new
    project = store.tracker.project_ledger(project_id_for("copper-plant"))
    assert project.titles == {"ru": "Медеплавильный завод"}


def test_an_announcement_cannot_take_over_an_existing_project(store: Store) -> None:
    store.load(TEMPLATE.read_bytes())
    other = rows(
        {
            "row_id": "x-1",
            "type": "announced",
            "portfolio_ref": "kz-uz-2024",
            "project_ref": "copper-plant",
            "effective_date": "2025-01-10",
            "title": "Another",
            "sector": "energy",
            "regions": "KZ-61",
            "amount": "1",
            "currency": "USD",
        },
    )
    with pytest.raises(ImportRejected) as excinfo:
        store.load(other)
    assert errors_of(excinfo) == {(2, "project_ref")}


def test_row_errors_print_as_file_line_column() -> None:
    assert RowError(7, "amount", "bad").as_dict() == {
        "line": 7,
        "column": "amount",
        "message": "bad",
    }
