"""An unfiltered report counts its projects in groups (``reports.plan_groups``): projects with
the same status, currency and investment whose conversion uses the same rates are one group,
whatever their announcement days. The figures must be, digit for digit and with the same
rates used, those of adding each project alone, at every moment and in every currency."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Connection, Engine, select

from tests.integration.busy_history import busy_history, establish, money, on
from tracker.application import TrackerApplication
from tracker.domain.commands import CommitInvestment, CreateJobs
from tracker.domain.project import Plan
from tracker.readmodel import reports
from tracker.readmodel import tables as t
from tracker.readmodel.fx import Rate
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery
from tracker.readmodel.totals import Figures


def alike(tracker: TrackerApplication, portfolio: UUID, currency: str, day: str) -> None:
    plan = Plan(
        title=f"Alike {currency} {day}",
        sector="energy",
        regions=("KZ-61",),
        countries=(),
        parties=("Bench",),
        planned_investment=money("1000000.10", currency),
        planned_jobs=7,
        planned_start=None,
        planned_end=None,
    )
    tracker.announce_project(portfolio, plan, on(day))


def each_alone(conn: Connection, query: ReportQuery) -> tuple[Figures, list[Rate]]:
    book = reports.rate_book(conn, query)
    projects = reports.projects_as_of(conn, query)
    figures = reports.figures_of(conn, query, book, projects)
    return figures, book.used_rates()


def grouped(conn: Connection, query: ReportQuery) -> tuple[Figures, list[Rate]]:
    book = reports.rate_book(conn, query)
    figures = reports.figures_of(conn, query, book)
    return figures, book.used_rates()


def test_projects_counted_in_groups_give_the_figures_of_each_alone(
    tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 4)
    # The same investment on days converted with the same rates, and with others; in a
    # currency before its first rate (unconverted) and after it.
    for currency, day in (
        ("KZT", "2024-02-03"),
        ("KZT", "2024-03-04"),
        ("KZT", "2025-02-01"),
        ("UZS", "2024-05-01"),
        ("UZS", "2024-05-02"),
        ("UZS", "2024-07-01"),
        ("USD", "2024-02-03"),
        ("USD", "2025-02-03"),
        ("EUR", "2024-02-03"),
    ):
        alike(tracker, portfolio, currency, day)
    Projector(tracker, engine).catch_up()
    with engine.connect() as conn:
        recorded = sorted(set(conn.scalars(select(t.plans.c.recorded_at))))
    base = ReportQuery(portfolio)
    queries = [base, replace(base, currency="KZT"), replace(base, fx_date=date(2024, 3, 1))]
    queries += [replace(q, as_of=date(2024, 6, 30)) for q in list(queries)]
    queries += [replace(q, known_at=recorded[len(recorded) * 2 // 3]) for q in list(queries)]
    with engine.connect() as conn:
        for query in queries:
            figures, used = grouped(conn, query)
            assert (figures, used) == each_alone(conn, query), query
            assert str(figures.pledged.amount) == str(each_alone(conn, query)[0].pledged.amount)
        # The groups did merge projects (else this test shows nothing).
        book = reports.rate_book(conn, base)
        groups = reports.plan_groups(conn, base, book)
        assert any(group.projects > 1 for group in groups)
        assert figures.pledged.amount != Decimal(0)


def test_facts_of_both_layers_on_one_value_date_add_up(
    tracker: TrackerApplication, engine: Engine
) -> None:
    """The sums keep a value date's facts per layer; a report of both adds them."""
    portfolio = establish(tracker)
    for illustrative in (False, True):
        plan = Plan(
            title=f"Layer {illustrative}",
            sector="energy",
            regions=("KZ-61",),
            countries=(),
            parties=("Bench",),
            planned_investment=money("1000", "KZT"),
            planned_jobs=7,
            planned_start=None,
            planned_end=None,
        )
        project = tracker.announce_project(
            portfolio, plan, on("2024-02-01"), illustrative=illustrative
        ).id
        tracker.record(project, CommitInvestment(money("100.5", "KZT")), on("2024-03-01"))
        tracker.record(project, CreateJobs(2, 3), on("2024-03-01"))
    Projector(tracker, engine).catch_up()
    base = ReportQuery(portfolio)
    with engine.connect() as conn:
        for layer, committed, jobs in (("all", "201.0", 4), ("reported", "100.5", 2)):
            query = replace(base, currency="KZT", filters=replace(base.filters, layer=layer))
            figures = reports.progress(conn, query).figures
            assert (figures.committed.amount, figures.jobs_permanent) == (
                Decimal(committed),
                jobs,
            )
