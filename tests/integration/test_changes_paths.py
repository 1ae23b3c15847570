"""What changed, on the paths the explanation takes to avoid walking every project.

``changes`` explains only the projects whose count, status or pledge differ between the two
moments (or whose pledge converts at a moved rate), and walks each moved value date with the
end's rate looked up once. These histories are small enough to say by hand what each figure
must show; each contribution must name the right project and its events, and the figures at
each end must be the progress reports'.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine

from tests.rates import give_rates
from tests.unit.factories import plan
from tracker.application import TrackerApplication
from tracker.domain.commands import ChangeStatus, CommitInvestment, Correct, CreateJobs, Replacement
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Envelope, Money
from tracker.readmodel import changes as changes_module
from tracker.readmodel import reports
from tracker.readmodel.changes import Changes, FigureChange, changes
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.moved import current_kinds, moved_facts
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery, progress
from tracker.readmodel.totals import EXACT
from tracker.settings import Settings


def on(day: str) -> Envelope:
    return Envelope("test", date.fromisoformat(day))


def money(amount: str, currency: str = "USD") -> Money:
    return Money(Decimal(amount), currency)


def figure(
    found: Changes, name: str, unconverted: str = "", counting: bool = False
) -> FigureChange:
    [match] = [
        f
        for f in found.figures
        if (f.measure.name, f.measure.unconverted, f.measure.counting)
        == (name, unconverted, counting)
    ]
    return match


def explained(
    change: FigureChange,
) -> dict[tuple[str, str | None], tuple[Decimal, tuple[int, ...]]]:
    """Each contribution's cause (kind, project) with its amount and the events named."""
    total = Decimal(0)
    for c in change.contributions:
        total = EXACT.add(total, c.amount)
    assert total == change.difference == EXACT.subtract(change.end, change.start)
    return {
        (c.cause.kind, c.cause.project_id): (c.amount, c.cause.positions)
        for c in change.contributions
    }


@dataclass
class Store:
    tracker: TrackerApplication
    engine: Engine

    def catch_up(self) -> None:
        Projector(self.tracker, self.engine).catch_up()

    def changes(self, start: ReportQuery, end: ReportQuery) -> Changes:
        self.catch_up()
        with self.engine.connect() as conn:
            found = changes(conn, start, end)
            # Each end is the progress report at its moment.
            for query, report in ((start, found.start), (end, found.end)):
                assert progress(conn, query).figures == report.figures
        return found


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    tracker = TrackerApplication(settings)
    engine = create_readmodel_engine(settings, pool_size=2)
    try:
        yield Store(tracker, engine)
    finally:
        engine.dispose()
        tracker.close()


def portfolio(store: Store) -> UUID:
    return store.tracker.establish_portfolio("P", "Forum", date(2024, 1, 1), on("2024-01-01")).id


def test_a_status_effective_between_the_days_and_facts_without_a_rate_are_explained(
    store: Store,
) -> None:
    """As known now, between two days: P was agreed effective inside the window (recorded
    before either moment), R was agreed before it, and Q committed KZT and EUR (which has no
    rate: unconverted, and counted) inside it."""
    tracker, owner = store.tracker, portfolio(store)
    give_rates(tracker, owner, [("KZT", date(2024, 1, 1), Decimal("500"))])
    p = tracker.announce_project(owner, plan(title="P"), on("2024-01-10")).id
    q = tracker.announce_project(owner, plan(title="Q"), on("2024-01-10")).id
    r = tracker.announce_project(owner, plan(title="R"), on("2024-01-10")).id
    agreed = tracker.record(p, ChangeStatus("agreed"), on("2024-06-15")).position
    tracker.record(r, ChangeStatus("agreed"), on("2024-05-01"))
    euros = tracker.record(q, CommitInvestment(money("1000", "EUR")), on("2024-06-20")).position
    kzt = tracker.record(q, CommitInvestment(money("1000000", "KZT")), on("2024-06-21")).position

    start, end = ReportQuery(owner, as_of=date(2024, 6, 1)), ReportQuery(owner, date(2024, 6, 30))
    found = store.changes(start, end)
    assert explained(figure(found, "projects.announced")) == {
        ("project", str(p)): (Decimal(-1), (agreed,))
    }
    assert explained(figure(found, "projects.agreed")) == {
        ("project", str(p)): (Decimal(1), (agreed,))
    }
    assert explained(figure(found, "projects")) == {}
    assert explained(figure(found, "pledged")) == {}  # nobody's pledge changed, nor a rate
    assert explained(figure(found, "committed")) == {
        ("project", str(q)): (Decimal(2000), (kzt,))  # KZT 1,000,000 at 500
    }
    assert explained(figure(found, "committed", "EUR")) == {
        ("project", str(q)): (Decimal(1000), (euros,))
    }
    assert explained(figure(found, "committed", "EUR", counting=True)) == {
        ("project", str(q)): (Decimal(1), (euros,))
    }

    # From the end to a later day: nothing moved.
    found = store.changes(end, ReportQuery(owner, as_of=date(2024, 7, 31)))
    assert all(f.difference == 0 and f.contributions == [] for f in found.figures)


def test_an_unchanged_project_whose_rate_moved_is_explained_by_the_rates(store: Store) -> None:
    """Between two known_at moments only the KZT rate was corrected: K's pledge and
    commitment (KZT) move, credited to the rate move; U (USD) contributes nothing; with
    nothing recorded in between, nothing moves at all."""
    tracker, owner = store.tracker, portfolio(store)
    rates = give_rates(tracker, owner, [("KZT", date(2024, 1, 1), Decimal("500"))])
    kzt = plan(title="K", planned_investment=money("50000000", "KZT"))
    k = tracker.announce_project(owner, kzt, on("2024-01-10")).id
    tracker.announce_project(owner, plan(title="U"), on("2024-01-10"))
    tracker.record(k, CommitInvestment(money("5000000", "KZT")), on("2024-02-01"))
    store.catch_up()
    time.sleep(0.01)
    before = datetime.now(UTC)
    time.sleep(0.01)
    fixed = PublishedRate("KZT", date(2024, 1, 1), Decimal("400"))
    tracker.change_rate_set(
        rates, lambda s: s.correct(fixed, "typo", on("2024-03-01")), on("2024-03-01")
    )

    found = store.changes(ReportQuery(owner, known_at=before), ReportQuery(owner))
    [(cause, (amount, _))] = explained(figure(found, "pledged")).items()
    assert (cause, amount) == (("rates", None), Decimal(125000) - Decimal(100000))
    [move] = figure(found, "pledged").contributions[0].cause.moves
    assert (move.currency, move.before.units_per_usd, move.after.units_per_usd) == (  # type: ignore[union-attr]
        "KZT",
        Decimal(500),
        Decimal(400),
    )
    assert explained(figure(found, "committed")) == {("rates", None): (Decimal(2500), ())}
    assert explained(figure(found, "projects")) == {}

    later = datetime.now(UTC)
    found = store.changes(ReportQuery(owner, known_at=later), ReportQuery(owner))
    assert all(f.difference == 0 and f.contributions == [] for f in found.figures)


def test_between_two_days_with_no_project_moving_the_projects_are_grouped_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As known now, between two days in which no project was announced nor changed status
    (only facts, and targets restated in another currency), the projects are grouped once
    for both ends, and each end is still the progress report at its moment in full: figures,
    targets, ratios, shares and the rates used (the end's targets convert at a rate the start
    never used). With a status effective between the days, each end groups its own."""
    tracker, owner = store.tracker, portfolio(store)
    give_rates(
        tracker,
        owner,
        [("KZT", date(2024, 1, 1), Decimal("500")), ("KZT", date(2024, 6, 10), Decimal("400"))],
    )
    kzt = plan(title="K", planned_investment=money("50000000", "KZT"))
    k = tracker.announce_project(owner, kzt, on("2024-01-10")).id
    u = tracker.announce_project(owner, plan(title="U"), on("2024-01-10")).id
    tracker.record(k, CommitInvestment(money("5000000", "KZT")), on("2024-02-01"))
    late = tracker.record(k, CommitInvestment(money("3000000", "KZT")), on("2024-06-20"))
    usd = tracker.record(u, CommitInvestment(money("700")), on("2024-06-21"))
    tracker.restate_targets(owner, money("900000000", "KZT"), 10, 3, on("2024-06-15"))
    store.catch_up()

    grouped: list[ReportQuery] = []
    original = reports.plan_groups

    def counting(conn: Any, query: ReportQuery, book: Any = None) -> list[Any]:
        grouped.append(query)
        return original(conn, query, book)

    monkeypatch.setattr(reports, "plan_groups", counting)
    monkeypatch.setattr(changes_module, "plan_groups", counting)
    start, end = ReportQuery(owner, as_of=date(2024, 6, 1)), ReportQuery(owner, date(2024, 6, 30))
    found = store.changes(start, end)
    assert grouped[:1] == [start] and len(grouped) == 1 + 2  # then store.changes' two reports
    with store.engine.connect() as conn:
        for query, report in ((start, found.start), (end, found.end)):
            assert report == progress(conn, query)
    assert [r.rate_date for r in found.end.rates_used] == [date(2024, 1, 1), date(2024, 6, 10)]
    assert found.end.targets is not None and found.end.targets.currency == "KZT"
    assert explained(figure(found, "committed")) == {
        ("project", str(k)): (Decimal(7500), (late.position,)),  # KZT 3,000,000 at 400
        ("project", str(u)): (Decimal(700), (usd.position,)),
    }

    # A status effective between the days: each end groups its projects at its own day.
    agreed = tracker.record(u, ChangeStatus("agreed"), on("2024-06-25"))
    grouped.clear()
    found = store.changes(start, end)
    assert grouped[:2] == [start, end]
    assert explained(figure(found, "projects.agreed")) == {
        ("project", str(u)): (Decimal(1), (agreed.position,))
    }


def test_each_measure_names_only_the_events_that_moved_it(store: Store) -> None:
    """Summed per project before crediting, each measure still names only the events whose
    rows changed it: J's first jobs row creates permanent jobs only, its second temporary
    ones only; A and B commit KZT on the same value date, interleaved in the log (each
    credited with its steps of the day's walk, which add up to the day's conversion)."""
    tracker, owner = store.tracker, portfolio(store)
    give_rates(tracker, owner, [("KZT", date(2024, 1, 1), Decimal("3"))])
    j = tracker.announce_project(owner, plan(title="J"), on("2024-01-10")).id
    kzt = plan(title="A", planned_investment=money("3000", "KZT"))
    a = tracker.announce_project(owner, kzt, on("2024-01-10")).id
    b = tracker.announce_project(owner, kzt, on("2024-01-10")).id
    first = tracker.record(j, CreateJobs(5, 0), on("2024-06-10")).position
    second = tracker.record(j, CreateJobs(0, 3), on("2024-06-11")).position
    a1 = tracker.record(a, CommitInvestment(money("10", "KZT")), on("2024-06-12")).position
    b1 = tracker.record(b, CommitInvestment(money("20", "KZT")), on("2024-06-12")).position
    a2 = tracker.record(a, CommitInvestment(money("1", "KZT")), on("2024-06-12")).position

    found = store.changes(
        ReportQuery(owner, as_of=date(2024, 6, 1)), ReportQuery(owner, date(2024, 6, 30))
    )
    assert explained(figure(found, "jobs_permanent")) == {("project", str(j)): (5, (first,))}
    assert explained(figure(found, "jobs_temporary")) == {("project", str(j)): (3, (second,))}
    # The day's walk, as the reports convert (KZT 3 a dollar): 10, then 30, then 31 KZT.
    day = [Decimal(0), Decimal(10) / 3 * 1, Decimal(30) / 3 * 1, Decimal(31) / 3 * 1]
    assert explained(figure(found, "committed")) == {
        ("project", str(a)): (
            EXACT.add(EXACT.subtract(day[1], day[0]), EXACT.subtract(day[3], day[2])),
            (a1, a2),
        ),
        ("project", str(b)): (EXACT.subtract(day[2], day[1]), (b1,)),
    }


def test_between_two_days_as_known_at_a_past_moment_the_end_adds_the_days_between(
    store: Store,
) -> None:
    """Two days as known at the same past moment: the end's facts are the start's and those
    of the days between, each as known then (commitments recorded later, before the start's
    day and between the days, and corrections recorded later of one effective before the
    start's day and of one between them, are not known yet); each end is still its progress
    report in full."""
    tracker, owner = store.tracker, portfolio(store)
    give_rates(tracker, owner, [("KZT", date(2024, 1, 1), Decimal("4"))])
    kzt = plan(title="K", planned_investment=money("4000", "KZT"))
    k = tracker.announce_project(owner, kzt, on("2024-01-10")).id
    before = tracker.record(k, CommitInvestment(money("40", "KZT")), on("2024-03-01"))
    inside = tracker.record(k, CommitInvestment(money("400", "KZT")), on("2024-06-12"))
    store.catch_up()
    time.sleep(0.01)
    known = datetime.now(UTC)
    time.sleep(0.01)
    tracker.record(k, CommitInvestment(money("4000", "KZT")), on("2024-06-13"))
    typo = Correct(inside.version, "typo", Replacement(amount=money("8", "KZT")))
    tracker.record(k, typo, on("2024-06-14"))
    typo = Correct(before.version, "typo", Replacement(amount=money("4", "KZT")))
    tracker.record(k, typo, on("2024-06-14"))
    tracker.record(k, CommitInvestment(money("80", "KZT")), on("2024-04-01"))

    start = ReportQuery(owner, as_of=date(2024, 6, 1), known_at=known)
    end = ReportQuery(owner, as_of=date(2024, 6, 30), known_at=known)
    found = store.changes(start, end)
    with store.engine.connect() as conn:
        for query, report in ((start, found.start), (end, found.end)):
            assert report == progress(conn, query)
    assert (found.start.figures.committed.amount, found.end.figures.committed.amount) == (10, 110)
    assert explained(figure(found, "committed")) == {("project", str(k)): (100, (inside.position,))}


def test_changes_pause_the_garbage_collector_and_leave_it_running(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The explanation runs without Python's cyclic collector (it holds tens of thousands of
    objects until it is done); stopped by an error, it leaves the collector running."""
    owner = portfolio(store)
    paused: list[bool] = []
    original = changes_module.project_positions

    def watched(*args: Any) -> Any:
        paused.append(not gc.isenabled())
        return original(*args)

    monkeypatch.setattr(changes_module, "project_positions", watched)
    start, end = ReportQuery(owner, as_of=date(2024, 6, 1)), ReportQuery(owner, date(2024, 6, 30))
    store.changes(start, end)
    assert paused == [True] and gc.isenabled()

    def stopped(*args: Any) -> Any:
        paused.append(not gc.isenabled())
        raise KeyboardInterrupt

    monkeypatch.setattr(changes_module, "project_positions", stopped)
    with store.engine.connect() as conn, pytest.raises(KeyboardInterrupt):
        changes(conn, start, end)
    assert paused == [True, True] and gc.isenabled()


def test_the_rows_effective_between_two_days_are_read_from_the_report_index_alone(
    store: Store,
) -> None:
    """``changes`` between two days as known now reads the ledger rows effective between
    them (with their project and events) from the report index alone, not the table
    (migration 0019), one range of it per kind and currency: SQLite names it a covering
    index; PostgreSQL scans it index only (an OR of the ranges is read through a bitmap of
    the table's pages)."""
    tracker, owner = store.tracker, portfolio(store)
    p = tracker.announce_project(owner, plan(title="P"), on("2024-01-10")).id
    tracker.record(p, CommitInvestment(money("700")), on("2024-06-21"))
    tracker.record(p, CreateJobs(3, 1), on("2024-06-22"))  # two kinds: two ranges
    store.catch_up()
    start, end = ReportQuery(owner, as_of=date(2024, 6, 1)), ReportQuery(owner, date(2024, 6, 30))
    with store.engine.connect() as conn:
        query = moved_facts(start, end, kinds=current_kinds(conn, start, end))
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            plan_rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            assert plan_rows and all(
                "USING COVERING INDEX ix_rm_facts_report" in row[-1]
                for row in plan_rows
                if "rm_facts" in row[-1]
            ), plan_rows
            return
        schema = conn.get_execution_options()["schema_translate_map"][None]
        conn.commit()
        conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM needs it
        conn.exec_driver_sql(f'VACUUM ANALYZE "{schema}".rm_facts')  # as autovacuum would
        settings = (
            ("search_path", f'"{schema}"'),
            ("enable_seqscan", "off"),
        )
        for name, value in settings:
            conn.exec_driver_sql(f"SET {name} TO {value}")
        shown = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
        for name, _ in settings:
            conn.exec_driver_sql(f"RESET {name}")
        assert "Index Only Scan using ix_rm_facts_report" in shown, shown
