"""The IATI export of a portfolio on both databases: valid IATI 2.03, each project an
activity with its status, dates, countries, sectors, transactions and results, and as of a
day what was known of that day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from lxml import etree

from tests.iati import PUBLISHER_REF, iati_schema
from tests.integration.round_trip import build_portfolio
from tests.integration.transfer_store import Store, store
from tracker.application import TrackerApplication
from tracker.domain.publisher import ReportingOrganisation
from tracker.domain.values import Envelope

__all__ = ["store"]  # the fixture, used by name


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
