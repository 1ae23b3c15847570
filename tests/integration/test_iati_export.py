"""The IATI export says who paid: its publisher set on the portfolio (a secondary reporter),
the investors as funding organisations and providers of every transaction, a flow type, DAC
sectors, administrative locations, dates in order. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import copy
import csv
import io
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner
from lxml import etree

from tests.iati import PUBLISHER_REF, assert_valid_iati, ruleset_problems
from tests.integration.round_trip import build_portfolio
from tests.integration.transfer_store import Store, cli_env, store
from tracker.cli import main
from tracker.demo import PUBLISHER, load_demo
from tracker.domain.errors import Conflict, TrackerError
from tracker.domain.plan import Plan
from tracker.domain.publisher import ReportingOrganisation
from tracker.domain.values import Envelope, Money
from tracker.eventstore.migrate import upgrade
from tracker.readmodel.publishers import reporting_organisation_of
from tracker.settings import Settings
from tracker.transfer.errors import ImportRejected
from tracker.transfer.references import portfolio_id_for

__all__ = ["store"]  # the fixture, used by name

MINISTRY = ReportingOrganisation(PUBLISHER_REF, "Ministry of Trade and Integration")


def today() -> date:
    return datetime.now(UTC).date()


def publish(store: Store, portfolio: UUID, org: ReportingOrganisation = MINISTRY) -> None:
    store.tracker.set_reporting_organisation(portfolio, org, Envelope("desk", date(2025, 1, 1)))


def activity_titled(document: Any, title: str) -> Any:
    return next(
        a for a in document.findall("iati-activity") if a.findtext("title/narrative") == title
    )


def test_the_export_passes_the_schema_and_the_ruleset_and_says_who_paid(store: Store) -> None:
    portfolio = build_portfolio(store.tracker)
    publish(store, portfolio)
    document = assert_valid_iati(store.export(portfolio, "iati"), today())

    copper = activity_titled(document, "Copper plant")
    reporter = copper.find("reporting-org")
    assert (reporter.get("ref"), reporter.get("type"), reporter.get("secondary-reporter")) == (
        PUBLISHER_REF,
        "10",
        "1",
    )
    assert copper.findtext("iati-identifier").startswith(f"{PUBLISHER_REF}-")
    roles = [(o.get("role"), o.findtext("narrative")) for o in copper.findall("participating-org")]
    assert roles == [
        ("1", "KazInvest"),  # the parties put the money in: funding
        ("1", "Uz; Industry"),
        ("2", "Ministry of Trade and Integration"),  # the public publisher oversees
    ]
    providers = {t.findtext("provider-org/narrative") for t in copper.findall("transaction")}
    assert providers == {"KazInvest and Uz; Industry (the record does not say which of them paid)"}
    assert copper.find("default-flow-type").get("code") == "36"  # private direct investment
    location = copper.find("location")
    assert location.get("ref") == "KZ-61"
    administrative = location.find("administrative")
    assert (administrative.get("vocabulary"), administrative.get("code")) == ("A4", "KZ")
    assert location.find("location-class").get("code") == "1"

    hub = activity_titled(document, "Logistics hub")
    # "transport" fits no one DAC code: only the portfolio's own vocabulary
    assert [s.get("vocabulary") for s in hub.findall("sector")] == ["99"]
    assert hub.findtext("transaction/provider-org/narrative") == "Investors not named in the record"
    mill = activity_titled(document, "Textile mill")
    assert [(s.get("vocabulary"), s.get("code")) for s in mill.findall("sector")] == [
        ("1", "32163"),
        ("99", "textiles"),
    ]


def test_without_a_reporting_organisation_the_iati_export_is_refused(store: Store) -> None:
    portfolio = build_portfolio(store.tracker)
    with pytest.raises(Conflict) as caught:
        store.export(portfolio, "iati")
    assert caught.value.field == "reporting_organisation"
    assert "tracker publisher set" in caught.value.detail
    assert "/reporting-organisation" in caught.value.detail
    assert store.export(portfolio, "json")  # the other formats need no publisher


def test_the_publisher_is_the_one_known_at_known_at(store: Store) -> None:
    portfolio = build_portfolio(store.tracker)
    before = datetime.now(UTC)
    time.sleep(0.01)
    publish(store, portfolio, ReportingOrganisation("XM-DAC-41114", "Old office"))
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    publish(store, portfolio, MINISTRY)

    with pytest.raises(Conflict):
        store.export(portfolio, "iati", known_at=before)
    old = etree.fromstring(store.export(portfolio, "iati", known_at=between))
    assert {a.find("reporting-org").get("ref") for a in old.findall("iati-activity")} == {
        "XM-DAC-41114"
    }
    assert old.find("iati-activity/other-identifier") is None

    now = assert_valid_iati(store.export(portfolio, "iati"), today())
    for activity in now.findall("iati-activity"):
        project = activity.findtext("iati-identifier").removeprefix(f"{PUBLISHER_REF}-")
        previous = activity.find("other-identifier")
        assert (previous.get("type"), previous.get("ref")) == ("B1", f"XM-DAC-41114-{project}")

    store.projector.catch_up()
    with store.engine.connect() as conn:
        assert reporting_organisation_of(conn, portfolio, before) is None
        then = reporting_organisation_of(conn, portfolio, between)
        current = reporting_organisation_of(conn, portfolio)
    assert then is not None and then.organisation.ref == "XM-DAC-41114"
    assert current is not None and current.organisation == MINISTRY
    assert current.version > then.version


def test_the_flow_type_is_the_publishers_setting(store: Store) -> None:
    portfolio = build_portfolio(store.tracker)
    ngo = ReportingOrganisation("XI-IATI-EBRD", "A development bank", type="40", flow_type="37")
    publish(store, portfolio, ngo)
    document = assert_valid_iati(store.export(portfolio, "iati"), today())
    assert {a.find("default-flow-type").get("code") for a in document.findall("iati-activity")} == {
        "37"
    }
    # a publisher that is no public body is not named accountable for the projects
    roles = {o.get("role") for o in document.findall("iati-activity/participating-org")}
    assert roles == {"1"}


def test_an_as_of_after_today_is_refused_for_iati(store: Store) -> None:
    portfolio = build_portfolio(store.tracker)
    publish(store, portfolio)
    with pytest.raises(TrackerError) as caught:
        store.export(portfolio, "iati", as_of=today() + timedelta(days=1))
    assert caught.value.field == "as_of" and "after today" in caught.value.detail
    assert_valid_iati(store.export(portfolio, "iati", as_of=today()), today())
    assert store.export(portfolio, "json", as_of=today() + timedelta(days=1))  # figures may


def test_a_planned_end_before_the_planned_start_is_left_out_with_the_reason(
    store: Store,
) -> None:
    portfolio = store.tracker.establish_portfolio(
        "KZ-UZ", "forum", date(2024, 1, 1), Envelope("desk", date(2024, 1, 1))
    ).id
    publish(store, portfolio)
    late = Plan(
        "Late announcement",
        "metallurgy",
        ("KZ-61",),
        countries=(),
        parties=("KazInvest",),
        planned_investment=Money(Decimal(1), "USD"),
        planned_jobs=1,
        planned_start=None,
        planned_end=date(2025, 1, 1),  # the plan ended before it was announced
    )
    store.tracker.announce_project(portfolio, late, Envelope("desk", date(2025, 3, 1)))
    content = store.export(portfolio, "iati")
    document = assert_valid_iati(content, today())
    activity = document.find("iati-activity")
    assert [d.get("type") for d in activity.findall("activity-date")] == ["1"]
    assert b"planned end 2025-01-01 omitted: before the planned start 2025-03-01" in content


def test_the_ruleset_checks_find_what_breaks_them(store: Store) -> None:
    """The checks can fail: each rule broken in a copy of a good file is reported."""
    portfolio = build_portfolio(store.tracker)
    publish(store, portfolio)
    good = etree.fromstring(store.export(portfolio, "iati"))
    assert ruleset_problems(good, today()) == []
    bad = copy.deepcopy(good)
    copper = activity_titled(bad, "Copper plant")
    copper.find("iati-identifier").text = "XM-DAC-1-copper"
    copper.find("activity-date[@type='2']").set("iso-date", "2030-01-01")
    copper.find("sector").set("percentage", "50")
    copper.find("transaction").remove(copper.find("transaction/provider-org"))
    copper.find("transaction/transaction-date").set("iso-date", "2031-01-01")
    hub = activity_titled(bad, "Logistics hub")
    hub.find("activity-status").set("code", "2")  # implementation, yet never started
    problems = "\n".join(ruleset_problems(bad, today()))
    for rule in (
        "does not start with reporting-org/@ref",
        "actual activity-date 2 2030-01-01 is in the future",
        "activity-date 2 2030-01-01 is after 4 2025-09-30",
        "sector percentages of vocabulary 1 add up to 50",
        "transaction without a provider-org",
        "transaction-date 2031-01-01 is in the future",
        "activity-status 2 without an actual start",
    ):
        assert rule in problems, problems


def test_the_command_line_sets_the_publisher_that_the_iati_export_needs(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    portfolio = str(build_portfolio(store.tracker))
    runner = CliRunner()
    env = cli_env(settings)
    refused = runner.invoke(main, ["export", "--portfolio", portfolio, "--format", "iati"], env=env)
    assert refused.exit_code == 1
    assert "reporting_organisation" in refused.output and "tracker publisher set" in refused.output

    wrong = runner.invoke(
        main, ["publisher", "set", portfolio, "--ref", "TRACKER-1", "--name", "Me"], env=env
    )
    assert wrong.exit_code == 1 and "(--ref)" in wrong.output

    done = runner.invoke(
        main,
        ["publisher", "set", portfolio, "--ref", PUBLISHER_REF, "--name", "Ministry"],
        env=env,
    )
    assert done.exit_code == 0, done.output
    shown = runner.invoke(main, ["publisher", "show", portfolio], env=env)
    assert shown.exit_code == 0 and PUBLISHER_REF in shown.stdout and "flow type 36" in shown.stdout

    target = tmp_path / "portfolio.xml"
    exported = runner.invoke(
        main,
        ["export", "--portfolio", portfolio, "--format", "iati", "-o", str(target)],
        env=env,
    )
    assert exported.exit_code == 0, exported.output
    assert_valid_iati(target.read_bytes(), today())

    future = (today() + timedelta(days=2)).isoformat()
    ahead = runner.invoke(
        main,
        ["export", "--portfolio", portfolio, "--format", "iati", "--as-of", future],
        env=env,
    )
    assert ahead.exit_code == 2 and "after today" in ahead.output


PUBLISHER_ROWS = (
    "row_id,type,portfolio_ref,effective_date,title,forum,name,organisation_ref,flow_type\n"
    "pf-1,portfolio,kz-uz,2024-10-22,KZ-UZ,Forum,,,\n"
    f"pf-2,reporting_organisation,kz-uz,,,,Ministry,{PUBLISHER_REF},\n"
)


def test_a_reporting_organisation_row_imports_and_the_csv_export_writes_it_back(
    store: Store, tmp_path: Path
) -> None:
    store.load(PUBLISHER_ROWS)
    portfolio_id = portfolio_id_for("kz-uz")
    published = store.tracker.portfolio(portfolio_id).reporting_organisation
    assert published == ReportingOrganisation(PUBLISHER_REF, "Ministry", "10", "36")

    exported = store.export(portfolio_id, "csv").decode()
    rows = [r for r in csv.DictReader(io.StringIO(exported)) if r["type"] != "portfolio"]
    assert [(r["row_id"], r["organisation_ref"], r["name"], r["flow_type"]) for r in rows] == [
        ("pf-2", PUBLISHER_REF, "Ministry", "36")
    ]
    twin_settings = Settings(database_url=f"sqlite:///{tmp_path}/twin.db")
    upgrade(twin_settings)
    twin = Store(twin_settings)
    try:
        assert twin.load(exported).new == 2  # the export imports into another database
        assert twin.tracker.portfolio(portfolio_id).reporting_organisation == published
        assert twin.export(portfolio_id, "csv").decode() == exported
    finally:
        twin.close()

    bad = PUBLISHER_ROWS.replace(PUBLISHER_REF, "TRACKER-1A2B").replace("pf-2", "pf-3")
    with pytest.raises(ImportRejected) as caught:
        store.load(bad)
    assert [(e.line, e.column) for e in caught.value.errors] == [(3, "organisation_ref")]


def test_the_demo_portfolio_exports_valid_iati_under_its_illustrative_publisher(
    store: Store,
) -> None:
    demo = load_demo(store.tracker, datetime.now(UTC))
    document = assert_valid_iati(store.export(demo.portfolio_id, "iati"), today())
    activities = document.findall("iati-activity")
    assert len(activities) == demo.reported_projects + demo.illustrative_projects
    publishers = {a.find("reporting-org").get("ref") for a in activities}
    assert publishers == {PUBLISHER.ref}
    assert all("illustrative" in a.findtext("reporting-org/narrative") for a in activities)
    dac = [a for a in activities if a.find("sector[@vocabulary='1']") is not None]
    assert 0 < len(dac) < len(activities)  # some sectors fit a DAC code, some fit none
