"""Documents travel with the data: a portfolio's export carries its register of documents.

The CSV export writes each document's events as ``document_*`` rows; imported into an empty
database of the same kind they give the same register (count, kinds, statuses, the sum of
values in USD, what is unconverted) and the same list, at several days, and an export known
at a past moment gives the register as known then. The JSON export lists the documents.
Bad document rows are refused with their line and column.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.integration.transfer_store import empty_databases
from tests.rates import give_rates
from tracker.application import TrackerApplication
from tracker.domain.document import Amendment, DocumentTerms
from tracker.domain.plan import Plan
from tracker.domain.values import Envelope, Money, Source
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.documents import DocumentFilter, document_register, list_documents
from tracker.readmodel.projector import Projector
from tracker.settings import Settings
from tracker.transfer.errors import ImportRejected
from tracker.transfer.export import Format, export_portfolio
from tracker.transfer.importer import Importer, import_rows
from tracker.transfer.portfolio_export import ExportQuery

DESK = Importer("desk")
AS_OF = (None, date(2024, 12, 31), date(2025, 3, 10), date(2025, 6, 30))


class Store:
    def __init__(self, settings: Settings) -> None:
        self.tracker = TrackerApplication(settings)
        self.engine = create_readmodel_engine(settings, pool_size=2)
        self.projector = Projector(self.tracker, self.engine)

    def close(self) -> None:
        self.engine.dispose()
        self.tracker.close()

    def load(self, data: bytes, kind: str = "csv") -> Any:
        return import_rows(self.tracker, data, kind, DESK)  # type: ignore[arg-type]

    def export(self, portfolio_id: UUID, fmt: Format, **query: Any) -> bytes:
        self.projector.catch_up()
        return export_portfolio(
            self.tracker, self.engine, ExportQuery(portfolio_id, **query), fmt
        ).content

    def register(self, portfolio_id: UUID, **moment: Any) -> tuple[Any, ...]:
        """The register and its list at a moment, as plain values to compare."""
        self.projector.catch_up()
        with self.engine.connect() as conn:
            r = document_register(conn, portfolio_id, **moment)
            page = list_documents(
                conn, DocumentFilter(portfolio_id=portfolio_id), limit=500, **moment
            )
        unconverted = sorted((u.currency, u.amount, u.count) for u in r.total.unconverted.values())
        rows = [
            (
                d.document_id,
                d.title,
                d.kind,
                d.signed_on,
                d.forum,
                d.parties,
                d.value_amount,
                d.currency,
                d.value_date,
                d.projects,
                d.status,
                d.version,
                d.source_title,
            )
            for d in page.rows
        ]
        return (
            r.count,
            dict(r.by_kind),
            dict(r.by_status),
            r.with_value,
            r.total.amount.quantize(Decimal("0.01")),
            unconverted,
            rows,
        )


@pytest.fixture
def original(settings: Settings) -> Iterator[Store]:
    store = Store(settings)
    yield store
    store.close()


@pytest.fixture
def empty_twin(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    with empty_databases(settings, tmp_path, Store) as make:
        yield make


def on(day: str, source: str | None = None) -> Envelope:
    return Envelope("desk", date.fromisoformat(day), Source(source) if source else None)


def usd(amount: str, currency: str = "USD") -> Money:
    return Money(Decimal(amount), currency)


def a_register(tracker: TrackerApplication) -> tuple[UUID, datetime]:
    """A portfolio with a project and five documents; the moment after the first three."""
    portfolio = tracker.establish_portfolio("KZ-UZ", "Forum", date(2024, 1, 1), on("2024-01-01")).id
    give_rates(tracker, portfolio, [("KZT", date(2024, 1, 1), Decimal("500"))])
    plan = Plan(
        "Copper plant", "metallurgy", ("KZ-61",), (), ("KazInvest",), usd("1000000"), 10, None, None
    )
    project = tracker.announce_project(portfolio, plan, on("2024-05-01")).id
    sign = tracker.sign_document
    memorandum = sign(
        portfolio,
        DocumentTerms(
            "Memorandum on copper",
            "memorandum",
            "Samarkand forum",
            ("KazInvest", "Uz; Industry"),
            usd("25000000"),
            (project,),
        ),
        on("2024-10-22", "Forum communiqué"),
    ).id
    agreement = sign(
        portfolio,
        DocumentTerms(
            "Logistics agreement", "agreement", None, ("A", "B"), usd("5000000000", "KZT")
        ),
        on("2024-10-22"),
    ).id
    roadmap = sign(portfolio, DocumentTerms("=Trade roadmap", "roadmap"), on("2024-10-22")).id
    time.sleep(0.01)
    known = datetime.now(UTC)
    time.sleep(0.01)

    def change(document: UUID, day: str, what: Callable[[Any, Envelope], None], **kw: Any) -> None:
        envelope = on(day, "Ministry letter")
        tracker.change_document(document, lambda d: what(d, envelope), envelope, **kw)

    change(memorandum, "2025-01-15", lambda d, e: d.enter_into_force(e))
    amendment = Amendment(
        "Phase two", "Logistics agreement II", (), usd("6000000000", "KZT"), (project,)
    )
    change(agreement, "2025-03-01", lambda d, e: d.amend(amendment, e), linked=(project,))
    change(roadmap, "2025-04-01", lambda d, e: d.withdraw("Superseded", e))
    change(memorandum, "2025-06-01", lambda d, e: d.fulfil(e))
    sign(
        portfolio,
        DocumentTerms("Contract in dirhams", "contract", value=usd("1000", "AED")),
        on("2025-05-01"),
    )
    return portfolio, known


def test_an_exported_register_imports_into_an_empty_database_the_same(
    original: Store, empty_twin: Callable[[], Store]
) -> None:
    portfolio, known = a_register(original.tracker)
    csv_file = original.export(portfolio, "csv")
    assert b"document_signed" in csv_file and b"'=Trade roadmap" in csv_file

    copy = empty_twin()
    report = copy.load(csv_file)
    assert report.new == report.events_recorded and report.already_recorded == 0
    for as_of in AS_OF:
        assert copy.register(portfolio, as_of=as_of) == original.register(portfolio, as_of=as_of)
    now = original.register(portfolio)
    assert now[0:2] == (4, {"memorandum": 1, "agreement": 1, "roadmap": 1, "contract": 1})
    assert now[4] == Decimal("37000000.00")  # USD 25 M + KZT 6 bn at 500; AED unconverted
    assert now[5] == [("AED", Decimal("1000"), 1)]

    # Imported again: every row is already recorded.
    again = copy.load(csv_file)
    assert again.new == 0 and again.events_recorded == 0

    # An export known at a past moment gives the register as known then.
    then_file = original.export(portfolio, "csv", known_at=known)
    then = empty_twin()
    then.load(then_file)
    for as_of in (None, date(2024, 12, 31)):
        assert then.register(portfolio, as_of=as_of) == original.register(
            portfolio, as_of=as_of, known_at=known
        )
    assert then.register(portfolio)[0] == 3


def test_the_json_export_lists_the_documents_as_of_the_day(original: Store) -> None:
    portfolio, _ = a_register(original.tracker)
    exported = json.loads(original.export(portfolio, "json", as_of=date(2025, 2, 1)))
    documents = {d["title"]: d for d in exported["documents"]}
    assert set(documents) == {"Memorandum on copper", "Logistics agreement", "=Trade roadmap"}
    memorandum = documents["Memorandum on copper"]
    assert memorandum["status"] == "in_force" and memorandum["value"] == {
        "amount": "25000000",
        "currency": "USD",
    }
    assert [e["type"] for e in memorandum["events"]] == [
        "signed",
        "entered_into_force",
        "fulfilled",
    ]


def test_bad_document_rows_are_refused_with_their_line_and_column(original: Store) -> None:
    portfolio, _ = a_register(original.tracker)
    rows = (
        "row_id,type,portfolio_ref,document_ref,effective_date,title,document_type,amount,"
        "currency,linked_projects,reason\n"
        f"d1,document_signed,{portfolio},new-doc,2024-10-22,A treaty,treaty,,,,\n"
        f"d2,document_signed,{portfolio},doc-2,2024-10-22,Half a value,memorandum,100,,,\n"
        f"d3,document_signed,{portfolio},doc-3,2024-10-22,Names nothing,memorandum,,,no-such,\n"
        "d4,document_in_force,,no-such-doc,2025-01-01,,,,,,\n"
        "d5,document_lapsed,,doc-3,2025-01-01,,,,,,\n"
    )
    with pytest.raises(ImportRejected) as caught:
        original.load(rows.encode())
    found = {(e.line, e.column) for e in caught.value.errors}
    assert found == {
        (2, "document_type"),
        (3, "currency"),
        (4, "linked_projects"),
        (5, "document_ref"),
        (6, "reason"),
    }, caught.value.errors
