"""Rate rows in an import file, on both databases: a rate set, its rates and a portfolio's
choice of sets are refused by line and column when bad, with nothing recorded; they import
once, a changed rate row is refused, and only an admin imports them."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from tests.integration.transfer_store import Store, rows, store
from tracker.transfer.errors import ImportForbidden, ImportRejected
from tracker.transfer.importer import Importer
from tracker.transfer.references import portfolio_id_for, rate_set_id_for
from tracker.transfer.status import import_status

__all__ = ["store"]  # the fixture, used by name


RATE_SET = {"row_id": "cb", "type": "rate_set", "rate_set_ref": "cb", "title": "Central bank"}


def rate_row(row_id: str, currency: str, amount: str, day: str = "2025-01-01") -> dict[str, str]:
    return {
        "row_id": row_id,
        "type": "rate",
        "rate_set_ref": "cb",
        "effective_date": day,
        "currency": currency,
        "amount": amount,
    }


PORTFOLIO = {
    "row_id": "pf",
    "type": "portfolio",
    "portfolio_ref": "pf",
    "effective_date": "2024-10-22",
    "title": "KZ-UZ",
    "forum": "Forum",
}
CHOSEN = {
    "row_id": "pf-rates",
    "type": "rate_sets_chosen",
    "portfolio_ref": "pf",
    "rate_sets": "cb",
}


def test_bad_rate_rows_are_refused_by_line_and_column_and_nothing_is_recorded(
    store: Store,
) -> None:
    data = rows(
        RATE_SET,  # line 2
        rate_row("r1", "kzt", "512"),  # 3: not a code
        rate_row("r2", "KZT", "0"),  # 4: zero
        rate_row("r3", "USD", "1"),  # 5: the reference currency
        rate_row("r4", "UZS", "-12800"),  # 6: below zero
        rate_row("r5", "UZS", "12800", day="2999-01-01"),  # 7: in the future
        rate_row("r6", "KZT", "512"),  # 8: good
        rate_row("r7", "KZT", "513"),  # 9: another value for the same rate
        {**rate_row("r8", "XXY", "1"), "rate_set_ref": "nowhere"},  # 10: a code, not ISO
        {**CHOSEN, "rate_sets": "cb;nowhere"},  # 11: no portfolio pf
        PORTFOLIO,  # 12
        {**CHOSEN, "row_id": "c2", "rate_sets": "cb;nowhere"},  # 13: no rate set nowhere
        {**CHOSEN, "row_id": "c3", "rate_sets": "cb;cb"},  # 14: twice
        {**CHOSEN, "row_id": "c4", "rate_sets": ""},  # 15: blank
        {**RATE_SET, "row_id": "cb2"},  # 16: the reference is taken
    )
    with pytest.raises(ImportRejected) as refused:
        store.load(data)
    found = {(e.line, e.column) for e in refused.value.errors}
    assert found == {
        (3, "currency"),
        (4, "amount"),
        (5, "currency"),
        (6, "amount"),
        (7, "effective_date"),
        (9, "amount"),
        (10, "currency"),
        (11, "portfolio_ref"),
        (13, "rate_sets"),
        (14, "rate_sets"),
        (15, "rate_sets"),
        (16, "rate_set_ref"),
    }, refused.value.errors
    messages = {(e.line, e.column): e.message for e in refused.value.errors}
    assert "reference currency" in messages[(5, "currency")]
    assert "already published as 512" in messages[(9, "amount")]
    assert store.head() == 0  # nothing of the file


def test_rate_rows_import_once_and_a_changed_rate_row_is_refused(store: Store) -> None:
    data = rows(
        RATE_SET,
        rate_row("r1", "KZT", "512"),
        rate_row("r2", "UZS", "12800"),
        PORTFOLIO,
        CHOSEN,
        rate_row("r3", "KZT", "512"),  # the same rate again: nothing new to publish
    )
    first = store.load(data)
    assert (first.new, first.events_recorded) == (5, 5)
    assert [r.outcome for r in first.rows][-1] == "already recorded"
    rate_set = store.tracker.rate_set(rate_set_id_for("cb"))
    assert rate_set.rate_on("UZS", date(2025, 1, 1)) == Decimal("12800")
    assert store.tracker.portfolio(portfolio_id_for("pf")).rate_sets == (rate_set.id,)

    head = store.head()
    again = store.load(data)
    assert (again.new, again.events_recorded, store.head()) == (0, 0, head)
    status = import_status(store.tracker, data.encode(), "csv")
    assert status.not_recorded == 1  # r3 published nothing, so it has no receipt

    with pytest.raises(ImportRejected) as refused:
        store.load(rows(RATE_SET, rate_row("r1", "KZT", "513")))
    assert [(e.line, e.column) for e in refused.value.errors] == [(3, "row_id")]

    # The same rows as JSON (rate_sets as an array) are the same rows.
    as_json = [
        {k: v for k, v in row.items() if v}
        for row in (RATE_SET, rate_row("r1", "KZT", "512"), {**CHOSEN, "rate_sets": ["cb"]})
    ]
    assert store.load(json.dumps(as_json), "json").new == 0


def test_who_may_import_rate_rows(store: Store) -> None:
    store.load(rows(PORTFOLIO))
    recorder = Importer("desk", admin=False)
    scoped = Importer("pf-admin", admin=True, portfolio_scope=portfolio_id_for("pf"))
    with pytest.raises(ImportForbidden) as denied:
        store.load(rows(RATE_SET, rate_row("r1", "KZT", "512"), CHOSEN), importer=recorder)
    assert [(e.line, e.column) for e in denied.value.errors] == [
        (2, "type"),
        (3, "type"),
        (4, "type"),
    ]
    with pytest.raises(ImportForbidden) as denied:
        store.load(rows(RATE_SET, rate_row("r1", "KZT", "512")), importer=scoped)
    assert [(e.line, e.column) for e in denied.value.errors] == [(2, "type"), (3, "type")]
    store.load(rows(RATE_SET, rate_row("r1", "KZT", "512")))
    assert store.load(rows(CHOSEN), importer=scoped).events_recorded == 1
