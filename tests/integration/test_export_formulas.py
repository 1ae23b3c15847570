"""Spreadsheet formulas never leave in an export, on both databases: the CSV export quotes a
text cell that starts with = + - @ tab or CR and an import takes the quote off again, the XLSX
export marks such text as text, and the importer removes one quote before a formula
character."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from openpyxl import load_workbook

from tests.integration.round_trip import project_ids
from tests.integration.transfer_store import TEMPLATE, Store, empty_twin, store
from tracker.domain.commands import CommitInvestment, Correct, ReachMilestone, Replacement
from tracker.domain.project import Plan
from tracker.domain.values import Envelope, Money, Source
from tracker.transfer.references import project_id_for

__all__ = ["empty_twin", "store"]  # the fixtures, used by name


# 2. Formula injection: an export never starts a text cell with = + - @ tab or CR


FORMULAS = {
    "title": '=HYPERLINK("http://evil.example","click")',
    "sector": "+cmd|' /C calc'!A0",
    "parties": ("-2+3", "@SUM(A1:A9)"),
    "milestone": "=1+2",
    "reason": "'=already quoted by hand",
    "source": "-minus",
}


def record_formulas(store: Store) -> Any:
    tracker = store.tracker
    on = Envelope("=desk", date(2025, 1, 10), source=Source(FORMULAS["source"]))
    portfolio = tracker.establish_portfolio("@portfolio", "+forum", date(2024, 10, 22), on)
    plan = Plan(
        title=FORMULAS["title"],
        sector=FORMULAS["sector"],
        regions=("KZ-61",),
        countries=(),
        parties=FORMULAS["parties"],
        planned_investment=Money(Decimal("5000"), "USD"),
        planned_jobs=10,
        planned_start=None,
        planned_end=None,
    )
    project = tracker.announce_project(portfolio.id, plan, on).id
    tracker.record(project, ReachMilestone(FORMULAS["milestone"], "'plain"), on)
    tracker.record(project, CommitInvestment(Money(Decimal("5000"), "USD")), on)
    tracker.record(
        project,
        Correct(3, FORMULAS["reason"], Replacement(amount=Money(Decimal("-5000"), "USD"))),
        on,
    )
    return portfolio.id


def test_the_csv_export_neutralises_formulas_and_an_import_restores_them_exactly(
    store: Store, empty_twin: Store
) -> None:
    portfolio = record_formulas(store)
    exported = store.export(portfolio, "csv")
    records = list(csv.DictReader(io.StringIO(exported.decode())))
    announced = next(r for r in records if r["type"] == "announced")
    assert announced["title"] == "'" + FORMULAS["title"]
    assert announced["sector"] == "'" + FORMULAS["sector"]
    assert announced["actor"] == "'=desk"
    assert announced["source_title"] == "'-minus"
    assert announced["amount"] == "5000"
    assert announced["parties"] == "'-2+3;@SUM(A1:A9)"  # the cell, not each item
    milestone = next(r for r in records if r["type"] == "milestone")
    assert (milestone["name"], milestone["description"]) == ("'=1+2", "''plain")
    correction = next(r for r in records if r["type"] == "corrected")
    assert correction["reason"] == "''=already quoted by hand"
    assert correction["amount"] == "-5000"  # amounts stay numbers, negative ones too
    portfolio_row = next(r for r in records if r["type"] == "portfolio")
    assert (portfolio_row["title"], portfolio_row["forum"]) == ("'@portfolio", "'+forum")
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    for record in records:
        for column, cell in record.items():
            if column != "amount":
                assert not cell.startswith(dangerous), (column, cell)

    empty_twin.load(exported)
    copy = empty_twin.tracker.project(next(iter(project_ids_of(store, portfolio))))
    assert copy.plan.title == FORMULAS["title"]
    assert copy.plan.sector == FORMULAS["sector"]
    assert copy.plan.parties == FORMULAS["parties"]
    events = empty_twin.tracker.project_history(copy.id)
    assert events[1].event.name == FORMULAS["milestone"]  # type: ignore[attr-defined]
    assert events[1].event.description == "'plain"  # type: ignore[attr-defined]
    assert events[3].event.reason == FORMULAS["reason"]  # type: ignore[attr-defined]
    assert {e.event.actor for e in events} == {"=desk"}
    assert events[0].event.source == Source("-minus")
    assert empty_twin.tracker.portfolio(portfolio).name == "@portfolio"
    assert empty_twin.export(portfolio, "csv") == exported  # the round trip is exact


def project_ids_of(store: Store, portfolio: Any) -> list[UUID]:
    store.projector.catch_up()
    return [UUID(p) for p in project_ids(store.engine, portfolio)]


def test_the_xlsx_export_marks_formula_like_text_as_text(store: Store) -> None:
    portfolio = record_formulas(store)
    book = load_workbook(io.BytesIO(store.export(portfolio, "xlsx")))
    projects = book["Projects"]
    header = [c.value for c in projects[1]]
    title = projects.cell(row=2, column=header.index("title") + 1)
    sector = projects.cell(row=2, column=header.index("sector") + 1)
    for cell, text in ((title, FORMULAS["title"]), (sector, FORMULAS["sector"])):
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    events = book["Events"]
    header = [c.value for c in events[1]]
    amounts = [r[header.index("amount")].value for r in events.iter_rows(min_row=2)]
    assert Decimal("5000") in amounts  # numbers stay numbers


def test_the_importer_removes_one_quote_before_a_formula_character(store: Store) -> None:
    text = TEMPLATE.read_text().replace("Copper cathode plant", "'=Copper")
    text = text.replace("Cross-border logistics hub", "''+Hub")
    text = text.replace("Foundation stone laid", "'Foundation")
    text = text.replace("Ceremony with both ministers", "'@ceremony")
    store.load(text)
    copper = store.tracker.project(project_id_for("copper-plant"))
    assert copper.plan.title == "=Copper"
    assert store.tracker.project(project_id_for("logistics-hub")).plan.title == "'+Hub"
    milestone = store.tracker.project_history(copper.id)[6].event
    assert (milestone.name, milestone.description) == ("'Foundation", "@ceremony")  # type: ignore[attr-defined]
