"""Bulk import and export on both databases: idempotent imports, every bad row reported with
nothing recorded, batches, and the round trip: a CSV export imported into an empty database
gives the same reports."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from click.testing import CliRunner
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from tests.iati import PUBLISHER_REF, iati_schema
from tests.rates import give_rates
from tracker.application import TrackerApplication
from tracker.cli import main
from tracker.domain.commands import (
    Cancel,
    ChangeStatus,
    CommitInvestment,
    Complete,
    Correct,
    CreateJobs,
    DisburseFunds,
    ReachMilestone,
    Replacement,
    Retract,
)
from tracker.domain.project import Plan
from tracker.domain.publisher import ReportingOrganisation
from tracker.domain.rate_set import RateSet
from tracker.domain.status import Status
from tracker.domain.values import Envelope, Money, Source
from tracker.eventstore.migrate import upgrade
from tracker.readmodel import reports, timeline
from tracker.readmodel import tables as t
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.settings import Settings
from tracker.transfer.columns import COLUMNS
from tracker.transfer.errors import ImportInterrupted, ImportRejected, RowError
from tracker.transfer.export import export_portfolio
from tracker.transfer.importer import Importer, import_rows
from tracker.transfer.portfolio_export import ExportQuery
from tracker.transfer.references import portfolio_id_for, project_id_for

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docs" / "import-template.csv"
DESK = Importer("desk")
#: Rates that are powers of 2 and 5, so every conversion is exact whatever the order.
RATES = [
    ("KZT", date(2024, 1, 1), Decimal("512")),
    ("UZS", date(2024, 1, 1), Decimal("12800")),
]


class Store:
    """One database: the application, a read-model engine and its projector."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tracker = TrackerApplication(settings)
        self.engine = create_readmodel_engine(settings, pool_size=2)
        self.projector = Projector(self.tracker, self.engine)

    def give_rates(self, portfolio: UUID) -> None:
        """A rate set with :data:`RATES`, the portfolio's only one (three events)."""
        give_rates(self.tracker, portfolio, RATES)

    def close(self) -> None:
        self.engine.dispose()
        self.tracker.close()

    def head(self) -> int:
        return self.tracker.recorder.max_notification_id() or 0

    def load(self, data: bytes | str, kind: str = "csv", **kwargs: Any) -> Any:
        raw = data.encode() if isinstance(data, str) else data
        return import_rows(self.tracker, raw, kind, DESK, **kwargs)  # type: ignore[arg-type]

    def export(self, portfolio_id: UUID, fmt: str, **query: Any) -> bytes:
        self.projector.catch_up()
        rendered = export_portfolio(
            self.tracker,
            self.engine,
            ExportQuery(portfolio_id, **query),
            fmt,  # type: ignore[arg-type]
        )
        return rendered.content


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store(settings)
    yield opened
    opened.close()


@pytest.fixture
def empty_twin(settings: Settings, tmp_path: Path) -> Iterator[Store]:
    """A second, empty database of the same kind as ``settings``."""
    schema = None
    if settings.is_postgres:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        twin = Settings(database_url=settings.database_url, db_schema=schema, snapshot_interval=5)
    else:
        twin = Settings(database_url=f"sqlite:///{tmp_path}/twin.db", snapshot_interval=5)
    upgrade(twin)
    opened = Store(twin)
    yield opened
    opened.close()
    if schema is not None:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def rows(*lines: dict[str, str]) -> str:
    """A CSV in the import format with these rows (every column in the header)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for line in lines:
        writer.writerow(line)
    return buffer.getvalue()


def errors_of(excinfo: pytest.ExceptionInfo[ImportRejected]) -> set[tuple[int, str | None]]:
    return {(e.line, e.column) for e in excinfo.value.errors}


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


# Exporting and the round trip


def build_portfolio(tracker: TrackerApplication) -> UUID:
    """A portfolio with every kind of event, recorded through the application."""

    def on(day: str, **kwargs: Any) -> Envelope:
        return Envelope("desk", date.fromisoformat(day), **kwargs)

    def usd(amount: str) -> Money:
        return Money(Decimal(amount), "USD")

    portfolio = tracker.establish_portfolio(
        "KZ–UZ industrial cooperation",
        "4th interregional forum, Samarkand",
        date(2024, 10, 22),
        on("2024-10-22", source=Source("Astana Times", "https://astanatimes.com/")),
    ).id
    tracker.restate_targets(portfolio, usd("2100000000"), 9000, 42, on("2024-03-01"))
    tracker.restate_targets(portfolio, usd("3400000000"), 14600, 74, on("2024-10-22"))

    def announce(
        title: str,
        sector: str,
        regions: tuple[str, ...],
        amount: Money,
        jobs: int,
        day: str,
        **plan: Any,
    ) -> UUID:
        values: dict[str, Any] = {
            "countries": (),
            "parties": (),
            "planned_start": None,
            "planned_end": None,
        }
        values.update(plan)
        return tracker.announce_project(
            portfolio,
            Plan(title, sector, regions, planned_investment=amount, planned_jobs=jobs, **values),
            on(day),
        ).id

    copper = announce(
        "Copper plant",
        "metallurgy",
        ("KZ-61", "UZ-SI"),
        usd("50000000.00"),
        300,
        "2024-11-01",
        parties=("KazInvest", "Uz; Industry"),
        planned_start=date(2025, 1, 1),
        planned_end=date(2027, 12, 31),
    )
    tracker.record(copper, ChangeStatus("agreed"), on("2024-12-01"))
    tracker.record(copper, ChangeStatus("under_implementation"), on("2025-02-01"))
    tracker.record(copper, CommitInvestment(usd("20000000.00")), on("2025-02-15"))
    tracker.record(copper, DisburseFunds(Money(Decimal("2560000000"), "KZT")), on("2025-03-01"))
    four = tracker.record(copper, DisburseFunds(usd("4000000.00")), on("2025-03-20")).version
    tracker.record(copper, CreateJobs(120, 40), on("2025-04-01"))
    tracker.record(copper, ReachMilestone("Foundation stone", "both ministers"), on("2025-04-20"))
    tracker.record(
        copper,
        Correct(four, "bank statement", Replacement(amount=usd("4500000.00"))),
        on("2025-05-02", source=Source("Bank statement")),
    )
    twice = tracker.record(copper, DisburseFunds(usd("1000000.00")), on("2025-04-15")).version
    tracker.record(copper, Retract(twice, "duplicate"), on("2025-05-03"))
    tracker.record(copper, ChangeStatus("suspended", "permits"), on("2025-05-10"))
    tracker.record(copper, ChangeStatus("resumed"), on("2025-06-01"))
    tracker.record(copper, Complete("handed over"), on("2025-09-30"))

    hub = announce(
        "Logistics hub", "transport", ("KZ-61", "UZ-TO"), usd("120000000.00"), 800, "2024-10-22"
    )
    tracker.record(hub, ChangeStatus("agreed"), on("2025-01-20"))
    hub_commitment = tracker.record(hub, CommitInvestment(usd("30000000")), on("2025-03-01"))
    tracker.record(
        hub,
        Correct(
            1, "revised plan", Replacement(planned_jobs=900, regions=("KZ-61", "UZ-TO", "UZ-TK"))
        ),
        on("2025-04-01"),
    )
    tracker.record(
        hub,
        Correct(
            hub_commitment.version, "signed later", Replacement(effective_date=date(2025, 7, 1))
        ),
        on("2025-07-02"),
    )
    tracker.record(hub, CreateJobs(0, 50), on("2025-08-01"))

    mill = announce(
        "Textile mill",
        "textiles",
        (),
        Money(Decimal("192000000000"), "UZS"),
        120,
        "2025-01-05",
        countries=("UZ",),
    )
    tracker.record(mill, CommitInvestment(Money(Decimal("25600000000"), "UZS")), on("2025-02-01"))
    tracker.record(mill, Cancel("investor withdrew"), on("2025-03-15"))

    energy = announce(
        "Wind farm", "energy", ("KZ-75",), Money(Decimal("5120000000"), "KZT"), 60, "2025-03-01"
    )
    tracker.record(energy, ChangeStatus("in_preparation"), on("2025-03-05"))
    tracker.record(energy, DisburseFunds(Money(Decimal("-51200000"), "KZT")), on("2025-03-06"))
    return portfolio


#: Rows imported on top of the portfolio built through the application: an event on a
#: project the API announced (named by its id) and a project of the file's own.
def extra_rows(portfolio: UUID, hub: UUID) -> str:
    return rows(
        {
            "row_id": "hub-x",
            "type": "disbursed",
            "project_ref": str(hub),
            "effective_date": "2025-08-15",
            "amount": "7000000.00",
            "currency": "USD",
        },
        {
            "row_id": "sol-1",
            "type": "announced",
            "portfolio_ref": str(portfolio),
            "project_ref": "solar",
            "effective_date": "2025-05-01",
            "title": "Solar park",
            "sector": "energy",
            "regions": "UZ-SI",
            "amount": "8000000",
            "currency": "USD",
            "planned_jobs": "40",
        },
        {
            "row_id": "sol-2",
            "type": "committed",
            "project_ref": "solar",
            "effective_date": "2025-06-01",
            "amount": "8000000",
            "currency": "USD",
        },
        {
            "row_id": "sol-3",
            "type": "corrected",
            "project_ref": "solar",
            "effective_date": "2025-06-03",
            "corrects": "sol-2",
            "reason": "fx",
            "amount": "7500000",
        },
        {"row_id": "sol-4", "type": "title_translated", "project_ref": "solar", "language": "ru"}
        | {"title": "Солнечная станция", "effective_date": "2025-06-04"},
        {"row_id": "sol-5", "type": "title_translated", "project_ref": "solar", "language": "ru"}
        | {"title": "Солнечный парк"},  # replaces sol-4; no date: today
        {"row_id": "hub-t", "type": "title_translated", "project_ref": str(hub)}
        | {"language": "uz", "title": "Logistika markazi", "effective_date": "2025-08-16"},
    )


def every_report(store: Store, portfolio: UUID, as_of: date | None) -> dict[str, Any]:
    """Progress, breakdowns and timeline, without when this database recorded the rates."""
    store.projector.catch_up()
    query = reports.ReportQuery(portfolio, as_of=as_of)
    with store.engine.connect() as conn:
        found: dict[str, Any] = {"progress": reports.progress(conn, query)}
        for by in reports.DIMENSIONS:
            found[f"breakdown by {by}"] = reports.breakdown(conn, query, by)
        found["timeline"] = timeline.timeline(conn, query, "month", date(2025, 12, 31))
    return {
        name: dataclasses.replace(
            report,
            rates_used=[dataclasses.replace(r, recorded_at=None) for r in report.rates_used],
            rate_sets=[(s.rate_set_id, s.name, s.illustrative) for s in report.rate_sets],
        )
        for name, report in found.items()
    }


def events_besides_rate_sets(store: Store) -> Counter[str]:
    """How many events of each type the database holds, those of rate sets left out."""
    notifications = store.tracker.recorder.select_notifications(start=1, limit=100_000)
    return Counter(n.topic for n in notifications if not n.topic.startswith(RateSet.TOPIC + "."))


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


def project_ids(engine: Engine, portfolio: UUID) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(t.projects.c.project_id).where(t.projects.c.portfolio_id == str(portfolio))
            ).scalars()
        )


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


def publish(tracker: TrackerApplication, portfolio: UUID) -> None:
    """Name the portfolio's IATI reporting organisation, which its IATI export needs."""
    tracker.set_reporting_organisation(
        portfolio,
        ReportingOrganisation(PUBLISHER_REF, "Ministry of Trade and Integration"),
        Envelope("desk", date(2025, 1, 1)),
    )


def results_of(activity: Any) -> dict[str, list[tuple[str, str, str | None, str]]]:
    """Each result indicator's periods: start, end, target, actual."""
    found = {}
    for indicator in activity.findall("result/indicator"):
        found[indicator.findtext("title/narrative")] = [
            (
                p.find("period-start").get("iso-date"),
                p.find("period-end").get("iso-date"),
                p.find("target").get("value") if p.find("target") is not None else None,
                p.find("actual").get("value"),
            )
            for p in indicator.findall("period")
        ]
    return found


def today_iso(year: int) -> str:
    """The end of ``year``'s period in an export as of today: 31 December, or today."""
    today = datetime.now(UTC).date()
    return (today if today.year == year else date(year, 12, 31)).isoformat()


def later_years(target: str | None, actual: str) -> list[tuple[str, str, str | None, str]]:
    """The periods of the years after 2025 up to today, with nothing new in them."""
    today = datetime.now(UTC).date()
    return [
        (f"{year}-01-01", today_iso(year), target, actual) for year in range(2026, today.year + 1)
    ]


def test_the_iati_export_is_valid_iati_2_03_with_transactions_and_results(store: Store) -> None:
    schema = iati_schema()
    portfolio = build_portfolio(store.tracker)
    publish(store.tracker, portfolio)
    document = etree.fromstring(store.export(portfolio, "iati"))
    assert schema.validate(document), schema.error_log
    assert document.get("version") == "2.03"
    activities = document.findall("iati-activity")
    assert len(activities) == 4
    copper = next(a for a in activities if a.findtext("title/narrative") == "Copper plant")
    assert copper.find("activity-status").get("code") == "4"  # closed
    assert [(d.get("type"), d.get("iso-date")) for d in copper.findall("activity-date")] == [
        ("1", "2025-01-01"),
        ("2", "2025-02-01"),
        ("3", "2027-12-31"),
        ("4", "2025-09-30"),
    ]
    assert [c.get("code") for c in copper.findall("recipient-country")] == ["KZ", "UZ"]
    assert [c.get("percentage") for c in copper.findall("recipient-country")] == ["50", "50"]
    sectors = [(s.get("vocabulary"), s.get("code")) for s in copper.findall("sector")]
    assert sectors == [("1", "32169"), ("99", "metallurgy")]  # DAC basic metal industries
    transactions = [
        (
            x.find("transaction-type").get("code"),
            x.find("value").get("currency"),
            x.findtext("value"),
            x.find("value").get("value-date"),
        )
        for x in copper.findall("transaction")
    ]
    assert transactions == [
        ("2", "USD", "20000000.00", "2025-02-15"),
        ("3", "KZT", "2560000000", "2025-03-01"),
        ("3", "USD", "4500000.00", "2025-03-20"),  # corrected; the retracted one is gone
    ]
    assert results_of(copper) == {
        "Jobs created (permanent and temporary, cumulative)": [
            ("2024-11-01", "2024-12-31", "300", "0"),
            ("2025-01-01", copper_end := today_iso(2025), "300", "160"),
            *later_years("300", "160"),
        ],
        "Investment disbursed in USD (cumulative)": [
            ("2024-11-01", "2024-12-31", "50000000.00", "0"),
            ("2025-01-01", copper_end, "50000000.00", "4500000.00"),  # corrected, not 4.0 M
            *later_years("50000000.00", "4500000.00"),
        ],
        "Investment disbursed in KZT (cumulative)": [
            ("2024-11-01", "2024-12-31", None, "0"),
            ("2025-01-01", copper_end, None, "2560000000"),
            *later_years(None, "2560000000"),
        ],
    }
    jobs = copper.find("result/indicator")
    assert (jobs.get("measure"), jobs.get("ascending"), jobs.get("aggregation-status")) == (
        "1",
        "true",
        "false",
    )
    baseline = jobs.find("baseline")
    assert (baseline.get("year"), baseline.get("iso-date"), baseline.get("value")) == (
        "2024",
        "2024-11-01",
        "0",
    )
    assert [r.get("type") for r in copper.findall("result")] == ["2", "1"]
    mill = next(a for a in activities if a.findtext("title/narrative") == "Textile mill")
    assert mill.find("activity-status").get("code") == "5"
    wind = next(a for a in activities if a.findtext("title/narrative") == "Wind farm")
    assert wind.find("transaction/value").text == "-51200000"  # a decrease stays negative


def test_the_iati_export_as_of_a_day_shows_that_day(store: Store) -> None:
    schema = iati_schema()
    portfolio = build_portfolio(store.tracker)
    publish(store.tracker, portfolio)
    document = etree.fromstring(store.export(portfolio, "iati", as_of=date(2025, 2, 20)))
    assert schema.validate(document), schema.error_log
    titles = [a.findtext("title/narrative") for a in document.findall("iati-activity")]
    assert titles == ["Copper plant", "Logistics hub", "Textile mill"]  # no wind farm yet
    copper = document.find("iati-activity")
    assert copper.find("activity-status").get("code") == "2"
    assert len(copper.findall("transaction")) == 1
    assert results_of(copper)["Jobs created (permanent and temporary, cumulative)"] == [
        ("2024-11-01", "2024-12-31", "300", "0"),
        ("2025-01-01", "2025-02-20", "300", "0"),  # the last period ends on the day asked
    ]


def test_a_csv_export_takes_no_as_of(store: Store) -> None:
    store.load(TEMPLATE.read_bytes())
    from tracker.domain.errors import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        store.export(portfolio_id_for("kz-uz-2024"), "csv", as_of=date(2025, 1, 1))
    assert excinfo.value.field == "as_of"


# The command line


def cli_env(settings: Settings) -> dict[str, str]:
    return {"TRACKER_DATABASE_URL": settings.database_url, "TRACKER_DB_SCHEMA": settings.db_schema}


def test_tracker_import_and_export_on_the_command_line(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = cli_env(settings)
    dry = runner.invoke(main, ["import", str(TEMPLATE), "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "line       4  announced       cu-1" in dry.stdout
    assert "15 rows would be recorded, 0 already recorded" in dry.stdout
    assert store.head() == 0

    done = runner.invoke(main, ["import", str(TEMPLATE), "--actor", "ministry desk"], env=env)
    assert done.exit_code == 0, done.output
    assert "15 events recorded" in done.stdout
    assert store.tracker.project(project_id_for("copper-plant")).version == 10
    with store.engine.connect() as conn:  # the read model caught up
        assert conn.execute(select(func.count()).select_from(t.projects)).scalar_one() == 2
    events = store.tracker.project_history(project_id_for("logistics-hub"))
    assert {e.event.actor for e in events} == {"ministry desk"}

    again = runner.invoke(main, ["import", str(TEMPLATE)], env=env)
    assert again.exit_code == 0 and "0 events recorded, 15 rows already recorded" in again.stdout

    target = tmp_path / "out.xlsx"
    portfolio = str(portfolio_id_for("kz-uz-2024"))
    exported = runner.invoke(
        main, ["export", "--portfolio", portfolio, "--format", "xlsx", "-o", str(target)], env=env
    )
    assert exported.exit_code == 0, exported.output
    assert load_workbook(target).sheetnames[:2] == ["Projects", "Events"]
    as_csv = runner.invoke(main, ["export", "--portfolio", portfolio, "--format", "csv"], env=env)
    assert as_csv.exit_code == 0
    assert as_csv.stdout.splitlines()[0] == ",".join(COLUMNS)
    assert len(as_csv.stdout.splitlines()) == 16


def test_command_line_errors_are_one_line_each_with_exit_codes(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = cli_env(settings)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        TEMPLATE.read_text().replace("2025-04-01", "2025-04-31").replace(",KZT,", ",kzt,")
    )
    refused = runner.invoke(main, ["import", str(bad)], env=env)
    assert refused.exit_code == 1
    assert f"{bad}:7: column currency: 'kzt' is not an ISO 4217 currency code" in refused.stderr
    assert f"{bad}:9: column effective_date: '2025-04-31' is not a date" in refused.stderr
    assert "nothing was recorded; rows with errors: 2, errors: 2" in refused.stderr
    assert "Traceback" not in refused.output
    assert store.head() == 0

    other = tmp_path / "rows.ods"
    other.write_text("row_id,type\n")
    wrong_kind = runner.invoke(main, ["import", str(other)], env=env)
    assert wrong_kind.exit_code == 2 and "must end in .csv, .tsv, .txt, .json, .xlsx" in (
        wrong_kind.stderr
    )

    unknown = runner.invoke(
        main, ["export", "--portfolio", str(uuid.uuid4()), "--format", "json"], env=env
    )
    assert unknown.exit_code == 1 and "there is no portfolio" in unknown.stderr
    as_of = runner.invoke(
        main,
        ["export", "--portfolio", str(uuid.uuid4()), "--format", "csv", "--as-of", "2025-01-01"],
        env=env,
    )
    assert as_of.exit_code == 2 and "takes no as_of" in as_of.stderr
    assert "Traceback" not in unknown.output + as_of.output


# 100,000 rows (measured once and written into docs/import-format.md)


def generate(projects: int, events_per_project: int) -> str:
    """A portfolio row, its targets, and per project an announcement and its events: status
    moves, commitments and disbursements in two currencies, jobs, milestones, a correction
    and a retraction."""
    lines: list[dict[str, str]] = [
        {
            "row_id": "p",
            "type": "portfolio",
            "portfolio_ref": "bulk",
            "title": "Bulk",
            "forum": "Load test",
            "effective_date": "2019-12-01",
        },
        {
            "row_id": "t",
            "type": "targets",
            "portfolio_ref": "bulk",
            "amount": "1000000000",
            "currency": "USD",
            "jobs": "10000",
            "projects": str(projects),
            "effective_date": "2019-12-01",
        },
    ]
    sectors = ["energy", "metallurgy", "transport", "agriculture", "textiles"]
    regions = ["KZ-61", "UZ-SI", "UZ-TO", "KZ-75"]
    start = date(2020, 1, 1)
    for p in range(projects):
        ref = f"prj-{p}"
        lines.append(
            {
                "row_id": f"{ref}-0",
                "type": "announced",
                "portfolio_ref": "bulk",
                "project_ref": ref,
                "effective_date": "2020-01-01",
                "title": f"Project {p}",
                "sector": sectors[p % 5],
                "regions": regions[p % 4],
                "amount": "5000000.00",
                "currency": "USD",
                "planned_jobs": "100",
            }
        )
        for i in range(1, events_per_project + 1):
            row = {
                "row_id": f"{ref}-{i}",
                "project_ref": ref,
                "effective_date": (start + timedelta(days=i)).isoformat(),
            }
            if i <= 2:
                row.update(type="status_changed", status=["agreed", "under_implementation"][i - 1])
            elif i == events_per_project - 1 and i > 6:
                # row 5 is a commitment, row 6 a disbursement
                row.update(type="corrected", corrects=f"{ref}-5", reason="typo", amount="1500.00")
            elif i == events_per_project and i > 7:
                row.update(type="retracted", retracts=f"{ref}-6", reason="duplicate")
            else:
                kind = ["committed", "disbursed", "disbursed", "jobs_created", "milestone"][i % 5]
                row["type"] = kind
                if kind in ("committed", "disbursed"):
                    row.update(amount=f"{1000 + i}.00", currency="USD" if i % 3 else "KZT")
                elif kind == "jobs_created":
                    row.update(permanent=str(i % 7 + 1), temporary="2")
                else:
                    row["name"] = f"Milestone {i}"
            lines.append(row)
    return rows(*lines)


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


def test_row_errors_print_as_file_line_column() -> None:
    assert RowError(7, "amount", "bad").as_dict() == {
        "line": 7,
        "column": "amount",
        "message": "bad",
    }
