"""A portfolio's export on both databases, and the round trip: a CSV export imported into
an empty database gives the same reports; the CSV export as known at a moment, the JSON
export against the progress report, the XLSX export's sheets."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from openpyxl import load_workbook

from tests.integration.round_trip import (
    build_portfolio,
    events_besides_rate_sets,
    every_report,
    extra_rows,
    project_ids,
)
from tests.integration.transfer_store import TEMPLATE, Store, empty_twin, rows, store
from tracker.transfer.references import portfolio_id_for

__all__ = ["empty_twin", "store"]  # the fixtures, used by name


# Exporting and the round trip


def test_a_csv_export_imported_into_an_empty_database_gives_the_same_reports(
    store: Store, empty_twin: Store
) -> None:
    portfolio = build_portfolio(store.tracker)
    store.give_rates(portfolio)
    store.projector.catch_up()
    hub = next(
        p.id
        for p in (store.tracker.project(UUID(i)) for i in project_ids(store.engine, portfolio))
        if p.plan.title == "Logistics hub"
    )
    store.load(extra_rows(portfolio, hub))
    exported = store.export(portfolio, "csv")

    report = empty_twin.load(exported)
    assert report.events_recorded == empty_twin.head()
    # Every event of the portfolio and its projects, and only this portfolio's; and its rate
    # set, with the same rates in force (the export carries the rates, not each event).
    assert events_besides_rate_sets(empty_twin) == events_besides_rate_sets(store)
    (rate_set,) = store.tracker.portfolio(portfolio).rate_sets
    assert empty_twin.tracker.portfolio(portfolio).rate_sets == (rate_set,)
    copied, original = empty_twin.tracker.rate_set(rate_set), store.tracker.rate_set(rate_set)
    assert (copied.name, copied.illustrative, copied.rates) == (
        original.name,
        original.illustrative,
        original.rates,
    )
    for as_of in (
        None,
        date(2024, 12, 31),
        date(2025, 3, 10),
        date(2025, 6, 15),
        date(2025, 7, 1),
        date(2025, 12, 31),
    ):
        before, after = (
            every_report(store, portfolio, as_of),
            every_report(empty_twin, portfolio, as_of),
        )
        for name, value in before.items():
            assert after[name] == value, f"{name} as of {as_of}"
    progress = every_report(store, portfolio, None)["progress"]
    assert progress.figures.project_count == 5  # the reports are not trivially empty
    assert progress.figures.committed.amount > 0 and progress.targets.projects == 74
    assert {r.currency for r in progress.rates_used} == {"KZT", "UZS"}
    assert progress.figures.committed.unconverted == {}

    # The export of the copy is the export of the original, and importing it again changes
    # nothing: the row ids are the import's idempotency keys.
    assert empty_twin.export(portfolio, "csv") == exported
    assert empty_twin.load(exported).events_recorded == 0


def test_the_csv_export_as_known_at_leaves_out_what_came_later(store: Store) -> None:
    store.load(TEMPLATE.read_bytes())
    portfolio = portfolio_id_for("kz-uz-2024")
    before = datetime.now(UTC)
    time.sleep(0.01)
    store.load(
        rows(
            {
                "row_id": "cu-11",
                "type": "corrected",
                "project_ref": "copper-plant",
                "effective_date": "2025-06-02",
                "corrects": "cu-3",
                "reason": "amended",
                "amount": "1.00",
            },
        )
    )
    then = list(
        csv.DictReader(io.StringIO(store.export(portfolio, "csv", known_at=before).decode()))
    )
    now = list(csv.DictReader(io.StringIO(store.export(portfolio, "csv").decode())))
    assert [r["row_id"] for r in then] == [r["row_id"] for r in now[:-1]]
    assert now[-1]["row_id"] == "cu-11" and now[-1]["corrects"] == "cu-3"
    document = json.loads(store.export(portfolio, "json", known_at=before))
    copper = next(p for p in document["projects"] if p["title"] == "Copper cathode plant")
    assert copper["committed"] == [{"amount": "20000000.00", "currency": "USD"}]
    assert document["known_at"] == before.isoformat()


def test_the_json_export_agrees_with_the_progress_report(store: Store) -> None:
    portfolio = build_portfolio(store.tracker)
    store.give_rates(portfolio)
    as_of = date(2025, 6, 15)
    document = json.loads(store.export(portfolio, "json", as_of=as_of))
    progress = every_report(store, portfolio, as_of)["progress"]
    projects = document["projects"]
    assert len(projects) == progress.figures.project_count == 4
    by_status: dict[str, int] = {}
    for project in projects:
        by_status[project["status"]] = by_status.get(project["status"], 0) + 1
    assert by_status == dict(progress.figures.projects_by_status)
    jobs = sum(p["jobs_created"]["total"] for p in projects)
    assert jobs == progress.figures.jobs_permanent + progress.figures.jobs_temporary == 160
    copper = next(p for p in projects if p["title"] == "Copper plant")
    assert copper["status"] == "under_implementation"  # resumed on 2025-06-01
    assert copper["disbursed"] == [
        {"amount": "2560000000", "currency": "KZT"},
        {"amount": "4500000.00", "currency": "USD"},
    ]
    assert [e["type"] for e in copper["events"]][:3] == [
        "announced",
        "status_changed",
        "status_changed",
    ]
    retracted = next(e for e in copper["events"] if e["retracted_by"])
    assert retracted["payload"]["amount"] == {"amount": "1000000.00", "currency": "USD"}
    usd_committed = sum(
        Decimal(m["amount"]) for p in projects for m in p["committed"] if m["currency"] == "USD"
    )
    uzs_committed = sum(
        Decimal(m["amount"]) for p in projects for m in p["committed"] if m["currency"] == "UZS"
    )
    assert usd_committed + uzs_committed / 12800 == progress.figures.committed.amount


def test_the_xlsx_export_has_a_sheet_of_projects_and_one_of_events(store: Store) -> None:
    portfolio = build_portfolio(store.tracker)
    sneaky = {
        "row_id": "x",
        "type": "announced",
        "portfolio_ref": str(portfolio),
        "project_ref": "sneaky",
        "effective_date": "2025-01-01",
        "title": "=1+2",
        "sector": "energy",
        "countries": "KZ",
        "amount": "1",
        "currency": "USD",
    }
    store.load(rows(sneaky))
    book = load_workbook(io.BytesIO(store.export(portfolio, "xlsx")))
    title_cell = next(c for c in book["Projects"]["B"] if c.value == "=1+2")
    assert title_cell.data_type == "s"  # a title is text, never a formula
    assert book.sheetnames[:2] == ["Projects", "Events"]
    projects = list(book["Projects"].iter_rows(values_only=True))
    header = list(projects[0])
    assert "committed_USD" in header and "disbursed_KZT" in header
    copper = dict(zip(header, next(r for r in projects[1:] if r[1] == "Copper plant"), strict=True))
    assert copper["status"] == "closed" and copper["iati_activity_status"] == 4
    assert copper["disbursed_USD"] == 4500000 and copper["jobs_total"] == 160
    assert copper["parties"] == "KazInvest; Uz; Industry"
    events = list(book["Events"].iter_rows(values_only=True))
    assert len(events) - 1 == store.head() - 3  # every project event (not the portfolio's)
    assert len(projects) - 1 == 5
    event_header = list(events[0])
    correction = dict(
        zip(event_header, next(r for r in events if r[4] == "corrected"), strict=True)
    )
    assert correction["corrects"] == 6 and correction["reason"] == "bank statement"


def test_a_csv_export_takes_no_as_of(store: Store) -> None:
    store.load(TEMPLATE.read_bytes())
    from tracker.domain.errors import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        store.export(portfolio_id_for("kz-uz-2024"), "csv", as_of=date(2025, 1, 1))
    assert excinfo.value.field == "as_of"
