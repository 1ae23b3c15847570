"""Rates travel with the data: a portfolio's export carries the rate sets it converts with.

A portfolio converts only with the rate sets it names, so an export without them imported
into an empty database converts nothing in tenge or sum. Here the CSV export carries the sets
(``rate_set`` rows), their rates in force at known_at (``rate`` rows) and the portfolio's
choices (``rate_sets_chosen`` rows); imported into an empty database of the same kind it
gives exactly the original's reports as known at the export's known_at, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from openpyxl import load_workbook

from tests.integration.transfer_store import Store, empty_twins, store
from tracker.application import TrackerApplication
from tracker.domain.commands import (
    ChangeStatus,
    CommitInvestment,
    Correct,
    CreateJobs,
    DisburseFunds,
    Replacement,
    Retract,
)
from tracker.domain.plan import Plan
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Envelope, Money, Source
from tracker.readmodel import reports, timeline
from tracker.readmodel.fx import Rate, RateSetRow

__all__ = ["empty_twins", "store"]  # the fixtures, used by name


#: The day the timelines end, for the original and its copies alike.
TODAY = date(2026, 6, 30)
AS_OF = (None, date(2024, 12, 31), date(2025, 3, 10), date(2025, 6, 15), date(2025, 12, 31))


def on(day: str, **kwargs: Any) -> Envelope:
    return Envelope("desk", date.fromisoformat(day), **kwargs)


def rate(currency: str, day: str, units: str) -> PublishedRate:
    return PublishedRate(currency, date.fromisoformat(day), Decimal(units))


class Built:
    """The original database's portfolio, and what happened after the moment ``known``."""

    def __init__(self, tracker: TrackerApplication) -> None:
        self.tracker = tracker
        self.portfolio = tracker.establish_portfolio(
            "KZ–UZ industrial cooperation",
            "4th interregional forum, Samarkand",
            date(2024, 10, 22),
            on("2024-10-22", source=Source("Astana Times", "https://astanatimes.com/")),
        ).id
        self.central = self._rate_set(
            "National banks' official rates",
            [
                rate("KZT", "2024-01-01", "450"),
                rate("UZS", "2024-01-01", "12500"),
                rate("KZT", "2025-01-01", "512"),
                rate("UZS", "2025-01-01", "12800"),
                rate("KZT", "2025-06-01", "500"),
                rate("UZS", "2025-06-01", "12900.5"),
            ],
            source=Source("NBK and CBU", "https://nationalbank.kz/"),
        )
        self.fallback = self._rate_set(
            "Fallback (illustrative)",
            [rate("EUR", "2024-01-01", "0.925"), rate("KZT", "2023-01-01", "460")],
            illustrative=True,
        )
        tracker.restate_targets(self.portfolio, usd("2100000000"), 9000, 42, on("2024-03-01"))
        # The first choice names one set; targets restated after it, then a second choice.
        tracker.choose_rate_sets(self.portfolio, [self.central], on("2024-10-22"))
        tracker.restate_targets(
            self.portfolio, Money(Decimal("1740800000000"), "KZT"), 14600, 74, on("2024-10-22")
        )
        tracker.choose_rate_sets(self.portfolio, [self.central, self.fallback], on("2024-11-01"))
        self.central_correction_of(rate("KZT", "2024-01-01", "455"), "typo in the bulletin")

        copper = self._announce("Copper plant", "metallurgy", ("KZ-61",), usd("50000000"), 300)
        self.record(copper, ChangeStatus("under_implementation"), "2025-02-01")
        kzt = self.record(copper, CommitInvestment(kzt_("10240000000")), "2025-02-15")
        self.record(copper, DisburseFunds(Money(Decimal("25600000000"), "UZS")), "2025-03-01")
        self.record(copper, Correct(kzt, "signed amount", Replacement(amount=kzt_("10752000000"))))
        self.record(copper, CreateJobs(120, 40), "2025-04-01")
        twice = self.record(copper, DisburseFunds(kzt_("512000000")), "2025-06-20")
        self.record(copper, Retract(twice, "duplicate entry"))

        mill = self._announce(
            "Textile mill", "textiles", ("UZ-SI",), Money(Decimal("192000000000"), "UZS"), 120
        )
        self.record(mill, CommitInvestment(Money(Decimal("64000000000"), "UZS")), "2025-02-01")
        self.record(mill, DisburseFunds(Money(Decimal("1000000"), "EUR")), "2025-07-01")

        wind = self._announce("Wind farm", "energy", ("KZ-75",), kzt_("51200000000"), 60)
        self.record(wind, ChangeStatus("in_preparation"), "2025-03-05")
        self.record(wind, CommitInvestment(usd("20000000")), "2025-06-10")
        self.wind = wind

        time.sleep(0.01)
        self.known = datetime.now(UTC)
        time.sleep(0.01)

        # After the moment known: a rate corrected, one withdrawn, one published, and
        # another commitment.
        self.central_correction_of(rate("KZT", "2025-01-01", "520"), "revised bulletin")
        tracker.change_rate_set(
            self.central,
            lambda s: s.withdraw(
                "UZS", date(2025, 6, 1), "not an official fixing", on("2025-06-02")
            ),
            on("2025-06-02"),
        )
        tracker.change_rate_set(
            self.central,
            lambda s: s.publish([rate("UZS", "2025-06-02", "12950")], on("2025-06-02")),
            on("2025-06-02"),
        )
        self.record(wind, CommitInvestment(kzt_("2600000000")), "2025-08-01")

    def _rate_set(
        self,
        name: str,
        rates: list[PublishedRate],
        *,
        illustrative: bool = False,
        source: Source | None = None,
    ) -> UUID:
        envelope = on("2024-10-01", source=source)
        made = self.tracker.establish_rate_set(name, envelope, illustrative=illustrative).id
        self.tracker.change_rate_set(made, lambda s: s.publish(rates, envelope), envelope)
        return made

    def central_correction_of(self, corrected: PublishedRate, reason: str) -> None:
        envelope = on("2025-06-01", source=Source("Corrigendum"))
        self.tracker.change_rate_set(
            self.central, lambda s: s.correct(corrected, reason, envelope), envelope
        )

    def _announce(
        self, title: str, sector: str, regions: tuple[str, ...], amount: Money, jobs: int
    ) -> UUID:
        plan = Plan(
            title,
            sector,
            regions,
            planned_investment=amount,
            planned_jobs=jobs,
            countries=(),
            parties=(),
            planned_start=None,
            planned_end=None,
        )
        return self.tracker.announce_project(self.portfolio, plan, on("2024-11-15")).id

    def record(self, project: UUID, command: Any, day: str = "2025-06-25") -> int:
        return self.tracker.record(project, command, on(day)).version


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def kzt_(amount: str) -> Money:
    return Money(Decimal(amount), "KZT")


def _rates(found: list[Rate]) -> list[tuple[Any, ...]]:
    """The rates a report used, without when this database recorded them."""
    return [
        (
            r.currency,
            r.rate_date,
            r.units_per_usd,
            r.rate_set_id,
            r.rate_set,
            r.illustrative,
            r.source_title,
            r.source_url,
        )
        for r in found
    ]


def _sets(found: list[RateSetRow]) -> list[tuple[str, str, bool]]:
    return [(s.rate_set_id, s.name, s.illustrative) for s in found]


def every_report(
    store: Store, portfolio: UUID, as_of: date | None, known_at: datetime | None = None
) -> dict[str, Any]:
    """Progress, breakdowns and timeline, with everything but when the rows were recorded."""
    store.projector.catch_up()
    query = reports.ReportQuery(portfolio, as_of=as_of, known_at=known_at)
    found: dict[str, Any] = {}
    with store.engine.connect() as conn:
        progress = reports.progress(conn, query)
        found["progress"] = (
            progress.targets,
            progress.figures,
            progress.ratios,
            _rates(progress.rates_used),
            _sets(progress.rate_sets),
        )
        for by in reports.DIMENSIONS:
            split = reports.breakdown(conn, query, by)
            found[f"breakdown by {by}"] = (
                split.slices,
                _rates(split.rates_used),
                _sets(split.rate_sets),
            )
        line = timeline.timeline(conn, query, "month", TODAY)
        found["timeline"] = (
            line.points,
            _rates(line.rates_used),
            _sets(line.rate_sets),
            line.left_out_before,
        )
    return found


def assert_same_reports(
    original: Store, copy: Store, portfolio: UUID, known_at: datetime | None
) -> None:
    for as_of in AS_OF:
        before = every_report(original, portfolio, as_of, known_at)
        after = every_report(copy, portfolio, as_of)
        for name, value in before.items():
            assert after[name] == value, f"{name} as of {as_of}, known at {known_at}"


def test_a_csv_export_carries_its_rates_and_an_empty_database_gives_the_same_reports(
    store: Store, empty_twins: Callable[[], Store]
) -> None:
    built = Built(store.tracker)
    portfolio = built.portfolio
    exported = {
        "now": store.export(portfolio, "csv"),
        "then": store.export(portfolio, "csv", known_at=built.known),
    }
    moment = {"now": None, "then": built.known}
    for when, data in exported.items():
        copy = empty_twins()
        report = copy.load(data)
        assert report.events_recorded > 0
        assert_same_reports(store, copy, portfolio, moment[when])
        # The copy's export is the same file, and importing it again records nothing.
        assert copy.export(portfolio, "csv") == data, when
        again = copy.load(data)
        assert (again.events_recorded, again.new) == (0, 0), when

    # The reports compared convert every amount, with both sets, differently then and now.
    now = every_report(store, portfolio, None)["progress"]
    then = every_report(store, portfolio, None, built.known)["progress"]
    for progress in (now, then):
        figures = progress[1]
        assert figures.project_count == 3
        assert not figures.committed.unconverted and not figures.disbursed.unconverted
        assert not figures.pledged.unconverted and figures.committed.amount > 0
        assert {r[0] for r in progress[3]} == {"KZT", "UZS", "EUR"}
    assert now[1].committed.amount != then[1].committed.amount
    assert now[3] != then[3]  # the corrected rate

    # What the files say of the rates: values as known then, withdrawn ones left out.
    def rate_rows(data: bytes) -> dict[str, dict[str, str]]:
        found = csv.DictReader(io.StringIO(data.decode()))
        return {r["row_id"]: r for r in found if r["type"] == "rate"}

    central = str(built.central)
    then_rates, now_rates = rate_rows(exported["then"]), rate_rows(exported["now"])
    assert then_rates[f"rate:{central}:KZT:2025-01-01"]["amount"] == "512"
    assert now_rates[f"rate:{central}:KZT:2025-01-01"]["amount"] == "520"
    assert then_rates[f"rate:{central}:KZT:2024-01-01"]["amount"] == "455"  # corrected before
    assert f"rate:{central}:UZS:2025-06-01" in then_rates
    assert f"rate:{central}:UZS:2025-06-01" not in now_rates  # withdrawn
    assert f"rate:{central}:UZS:2025-06-02" not in then_rates
    assert now_rates[f"rate:{central}:KZT:2025-01-01"]["source_title"] == "Corrigendum"
    chosen = [
        r["rate_sets"]
        for r in csv.DictReader(io.StringIO(exported["now"].decode()))
        if r["type"] == "rate_sets_chosen"
    ]
    assert chosen == [central, f"{central};{built.fallback}"]


def test_the_json_and_xlsx_exports_carry_the_rates_they_convert_with(store: Store) -> None:
    built = Built(store.tracker)
    then = json.loads(store.export(built.portfolio, "json", known_at=built.known))
    now = json.loads(store.export(built.portfolio, "json"))
    chosen = [str(built.central), str(built.fallback)]
    assert then["portfolio"]["rate_sets"] == chosen
    assert [s["id"] for s in then["rate_sets"]] == chosen
    central = then["rate_sets"][0]
    assert (central["name"], central["illustrative"]) == ("National banks' official rates", False)
    assert then["rate_sets"][1]["illustrative"] is True

    def kzt_2025(document: dict[str, Any]) -> dict[str, Any]:
        rates = document["rate_sets"][0]["rates"]
        return next(r for r in rates if (r["currency"], r["date"]) == ("KZT", "2025-01-01"))

    assert kzt_2025(then)["units_per_usd"] == "512"
    assert kzt_2025(then)["source"] == {"title": "NBK and CBU", "url": "https://nationalbank.kz/"}
    assert kzt_2025(now)["units_per_usd"] == "520"
    assert kzt_2025(now)["source"] == {"title": "Corrigendum", "url": None}
    assert len(then["rate_sets"][0]["rates"]) == 6 and len(now["rate_sets"][0]["rates"]) == 6

    book = load_workbook(io.BytesIO(store.export(built.portfolio, "xlsx", known_at=built.known)))
    sheet = list(book["Rate sets"].iter_rows(values_only=True))
    assert sheet[0][:3] == ("preference", "rate_set_id", "rate_set")
    assert len(sheet) == 1 + 6 + 2
    assert {(line[0], line[4]) for line in sheet[1:]} >= {(1, "KZT"), (2, "EUR")}
