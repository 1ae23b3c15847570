"""A portfolio's statements travel with its exports, on both databases: the CSV export
imported into an empty database gives the same statements (and again nothing), and the JSON
export carries those made by its as_of."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from tests.integration.transfer_store import Store, empty_twins, store
from tracker.domain.values import Envelope, Money, Source
from tracker.transfer.errors import ImportRejected
from tracker.transfer.importer import Importer
from tracker.transfer.references import portfolio_id_for

__all__ = ["empty_twins", "store"]  # the fixtures, used by name


def test_statements_travel_with_the_csv_export(
    store: Store, empty_twins: Callable[[], Store]
) -> None:
    """Found by schemathesis: the CSV export failed (500) on a portfolio with a statement."""
    tracker = store.tracker
    envelope = Envelope("desk", date(2024, 5, 3), Source("Astana Times", "https://astanatimes.com"))
    portfolio = tracker.establish_portfolio("P", "F", date(2024, 1, 1), envelope).id
    tracker.record_statement(
        portfolio,
        "completed",
        "11 projects worth USD 144 M done",
        envelope,
        count=11,
        amount=Money(Decimal(144_000_000), "USD"),
    )
    tracker.record_statement(portfolio, "programme", "A programme; =SUM(A1) quoted", envelope)
    exported = store.export(portfolio, "csv")
    assert b",statement," in exported
    twin = empty_twins()
    loaded = twin.load(exported, importer=Importer("desk", admin=True))
    assert loaded.events_recorded == 3
    copy = twin.tracker.portfolio(portfolio_id_for(str(portfolio)))
    assert [
        (s.measure, s.summary, s.count, s.amount, s.jobs, s.source) for s in copy.statements
    ] == [
        (s.measure, s.summary, s.count, s.amount, s.jobs, s.source)
        for s in tracker.portfolio(portfolio).statements
    ]
    assert twin.load(exported, importer=Importer("desk", admin=True)).events_recorded == 0
    unsourced = (
        "row_id,type,portfolio_ref,effective_date,measure,description,amount\n"
        f"s-1,statement,{portfolio},2024-05-03,completed,Said,100\n"
    )
    with pytest.raises(ImportRejected) as refused:
        store.load(unsourced, importer=Importer("desk", admin=True))
    assert {(e.line, e.column) for e in refused.value.errors} == {(2, "currency")}


def test_the_json_export_carries_the_statements_made_by_as_of(store: Store) -> None:
    envelope = Envelope("desk", date(2024, 5, 3), Source("Astana Times"))
    portfolio = store.tracker.establish_portfolio("P", "F", date(2024, 1, 1), envelope).id
    store.tracker.record_statement(portfolio, "completed", "11 done", envelope, count=11)
    document = json.loads(store.export(portfolio, "json"))
    [said] = document["portfolio"]["statements"]
    assert (said["measure"], said["count"], said["source"]["title"]) == (
        "completed",
        11,
        "Astana Times",
    )
    before = json.loads(store.export(portfolio, "json", as_of=date(2024, 5, 2)))
    assert before["portfolio"]["statements"] == []
