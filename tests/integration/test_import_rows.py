"""What an import records, on both databases: the template imports and importing it again
records nothing, the same rows as JSON are the same rows, a dry run says row by row what
would be recorded, and a later file adds to and corrects what an earlier one imported."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.transfer_store import TEMPLATE, Store, errors_of, rows, store
from tracker.domain.status import Status
from tracker.domain.values import Money
from tracker.transfer.errors import ImportRejected
from tracker.transfer.references import portfolio_id_for, project_id_for

__all__ = ["store"]  # the fixture, used by name


# Importing


def test_the_template_imports_and_importing_it_again_records_nothing(store: Store) -> None:
    first = store.load(TEMPLATE.read_bytes())
    assert first.events_recorded == 15 == store.head()
    assert {r.outcome for r in first.rows} == {"new"}

    copper = store.tracker.project_ledger(project_id_for("copper-plant"))
    figures = copper.figures_as_of()
    assert figures.status is Status.UNDER_IMPLEMENTATION
    assert figures.committed == (Money(Decimal("20000000.00"), "USD"),)
    # the USD disbursement corrected to 4.5 M (currency kept from the blank cell), the
    # duplicate retracted
    assert figures.disbursed == (
        Money(Decimal("2500000000"), "KZT"),
        Money(Decimal("4500000.00"), "USD"),
    )
    assert (figures.jobs_permanent, figures.jobs_temporary) == (120, 40)
    assert copper.plan.countries == ("KZ", "UZ")  # derived from the regions
    assert copper.portfolio_id == portfolio_id_for("kz-uz-2024")
    hub = store.tracker.project_ledger(project_id_for("logistics-hub"))
    assert hub.figures_as_of().status is Status.SUSPENDED
    portfolio = store.tracker.portfolio(portfolio_id_for("kz-uz-2024"))
    assert portfolio.targets_as_of() is not None
    assert portfolio.targets_as_of().jobs == 14600  # type: ignore[union-attr]

    again = store.load(TEMPLATE.read_bytes())
    assert again.events_recorded == 0
    assert {r.outcome for r in again.rows} == {"already recorded"}
    assert store.head() == 15


def test_the_same_rows_as_json_are_the_same_rows(store: Store) -> None:
    store.load(TEMPLATE.read_bytes())
    records = list(csv.DictReader(io.StringIO(TEMPLATE.read_text())))
    as_json: list[dict[str, Any]] = []
    for record in records:
        item: dict[str, Any] = {k: v for k, v in record.items() if v}
        for name in ("regions", "parties"):
            if name in item:
                item[name] = item[name].split(";")
        for name in ("planned_jobs", "jobs", "projects", "permanent", "temporary"):
            if name in item:
                item[name] = int(item[name])
        if "illustrative" in item:
            item["illustrative"] = item["illustrative"] == "true"
        as_json.append(item)
    report = store.load(json.dumps(as_json, indent=2, ensure_ascii=False), "json")
    assert report.events_recorded == 0
    assert len(report.rows) == 15 and report.already_recorded == 15


def test_a_dry_run_says_row_by_row_what_would_be_recorded(store: Store) -> None:
    lines = TEMPLATE.read_text().splitlines(keepends=True)
    store.load("".join(lines[:5]))  # the header and the first four rows
    assert store.head() == 4
    report = store.load(TEMPLATE.read_bytes(), dry_run=True)
    assert [(r.line, r.outcome) for r in report.rows[:5]] == [
        (2, "already recorded"),
        (3, "already recorded"),
        (4, "already recorded"),
        (5, "already recorded"),
        (6, "new"),
    ]
    assert (report.new, report.already_recorded, report.events_recorded) == (11, 4, 0)
    assert store.head() == 4


def test_a_later_file_adds_to_and_corrects_what_an_earlier_one_imported(store: Store) -> None:
    store.load(TEMPLATE.read_bytes())
    later = rows(
        {
            "row_id": "cu-11",
            "type": "disbursed",
            "project_ref": "copper-plant",
            "effective_date": "2025-06-01",
            "amount": "500000.00",
            "currency": "USD",
        },
        {
            "row_id": "cu-12",
            "type": "corrected",
            "project_ref": "copper-plant",
            "effective_date": "2025-06-02",
            "corrects": "cu-3",
            "reason": "signed amendment",
            "amount": "22000000.00",
            "replacement_effective_date": "2025-02-16",
        },
        {
            "row_id": "cu-13",
            "type": "corrected",
            "project_ref": "copper-plant",
            "effective_date": "2025-06-02",
            "corrects": "cu-1",
            "reason": "revised plan",
            "planned_jobs": "350",
        },
    )
    assert store.load(later).events_recorded == 3
    copper = store.tracker.project_ledger(project_id_for("copper-plant"))
    assert copper.figures_as_of().committed == (Money(Decimal("22000000.00"), "USD"),)
    assert copper.facts[3].effective_date == date(2025, 2, 16)
    # blank cells kept the plan's other values
    assert copper.plan.planned_jobs == 350
    assert copper.plan.planned_investment == Money(Decimal("50000000.00"), "USD")
    assert copper.plan.regions == ("KZ-61", "UZ-SI")
    assert store.load(later).events_recorded == 0


def _copper_row(row_id: str, kind: str, **cells: str) -> dict[str, str]:
    return {
        "row_id": row_id,
        "type": kind,
        "project_ref": "copper-plant",
        "effective_date": "2025-06-01",
        **cells,
    }


@pytest.mark.parametrize("batch_events", [1, 1000], ids=["each-row-saved", "one-batch"])
def test_a_blank_amount_keeps_the_value_earlier_corrections_left_saved_or_not(
    store: Store, batch_events: int
) -> None:
    """A correction's blank cells keep the fact's current values: the fact folded with the
    corrections before it, whether those are stored or still unsaved rows of the same file."""
    store.load(TEMPLATE.read_bytes())
    first = rows(
        _copper_row("cu-21", "committed", amount="100.00", currency="USD"),
        _copper_row("cu-22", "corrected", corrects="cu-21", reason="typo", amount="150.00"),
        _copper_row("cu-23", "corrected", corrects="cu-21", reason="euros", currency="EUR"),
    )
    assert store.load(first, batch_events=batch_events).events_recorded == 3
    copper_id = project_id_for("copper-plant")
    version = store.tracker.command_records(copper_id, ["import:cu-21"])["import:cu-21"].version
    fact = store.tracker.project_ledger(copper_id).facts[version]
    assert fact.amount == Money(Decimal("150.00"), "EUR")
    later = rows(
        _copper_row("cu-24", "corrected", corrects="cu-21", reason="dollars", currency="USD"),
        _copper_row("cu-25", "retracted", retracts="cu-21", reason="duplicate"),
    )
    assert store.load(later, batch_events=batch_events).events_recorded == 2
    fact = store.tracker.project_ledger(copper_id).facts[version]
    assert (fact.amount, fact.retracted_by) == (Money(Decimal("150.00"), "USD"), version + 4)
    too_late = rows(
        _copper_row("cu-26", "corrected", corrects="cu-21", reason="again", amount="1.00")
    )
    with pytest.raises(ImportRejected) as excinfo:
        store.load(too_late)
    assert errors_of(excinfo) == {(2, "corrects")}
    assert f"retracted by event {version + 4}" in excinfo.value.errors[0].message
