"""What the export tests share with the JSON and regional round trips: a portfolio with
every kind of event recorded through the application, rows imported on top of it, every
report of a portfolio and the events of a database, to compare an original with its copy."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select

from tests.integration.transfer_store import Store, rows
from tracker.application import TrackerApplication
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
from tracker.domain.rate_set import RateSet
from tracker.domain.values import Envelope, Money, Source
from tracker.readmodel import reports, timeline
from tracker.readmodel import tables as t


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


def project_ids(engine: Engine, portfolio: UUID) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(t.projects.c.project_id).where(t.projects.c.portfolio_id == str(portfolio))
            ).scalars()
        )
