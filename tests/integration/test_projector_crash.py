"""The projector applies every event exactly once: across a crash, with rivals, on a rebuild.

(a) A projector process is killed inside its transaction, after it wrote the view and before
    it committed (before or after moving its position, or halfway through the batch); a fresh
    projector then catches up and every figure equals the oracle, nothing counted twice.
(b) Several projectors (threads, and separate processes) catch up at the same time with small
    batches; each event is applied once: the view holds the rows one projector alone writes.
(c) ``rebuild()`` empties the view and applies the log again: same rows, same reports.
(d) A batch is applied in memory and written at once: it writes the rows that applying one
    event at a time writes, also when a correction refers to a fact of the same batch; and a
    writer whose event another writer's catch-up already applied waits for nothing.

Each runs on a SQLite file and on PostgreSQL. "The rows one projector alone writes" are
obtained with ``rebuild()``, and checked independently by counting the events that make rows.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy import event as sqlalchemy_event

from tests.oracle import LEDGER_KINDS, Oracle, view_of_breakdown, view_of_progress
from tests.rates import give_rates
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
    TranslateTitle,
)
from tracker.domain.document import Amendment, Document, DocumentTerms
from tracker.domain.indicator import Indicator, Period, PeriodKind, Quantity
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Plan, Project
from tracker.domain.rate_set import PublishedRate, RateSet
from tracker.domain.values import Envelope, Money
from tracker.readmodel import projector as projector_module
from tracker.readmodel import reports
from tracker.readmodel import tables as t
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import rebuild
from tracker.readmodel.reports import ReportQuery
from tracker.settings import Settings

REPO = Path(__file__).resolve().parents[2]
#: The portfolio's rate set as first published; ``establish`` then corrects the second rate
#: (510 → 512) and publishes and withdraws a UZS rate, so the rate tables hold closed rows.
RATES = [
    ("KZT", date(2024, 1, 1), Decimal("500")),
    ("KZT", date(2025, 1, 1), Decimal("510")),
    ("UZS", date(2024, 6, 1), Decimal("12800")),
]
CURRENCIES = ("USD", "KZT", "UZS", "EUR")
REGIONS = (("KZ-61", "UZ-SI"), ("KZ-75",), ("UZ-TK", "UZ-TO"), ())
SMALL_BATCH = 7
DIMENSIONS = ("sector", "region", "country", "status")


# A busy history


def on(day: str) -> Envelope:
    return Envelope("crash-test", date.fromisoformat(day))


def money(amount: str, currency: str) -> Money:
    return Money(Decimal(amount), currency)


def establish(tracker: TrackerApplication) -> UUID:
    portfolio = tracker.establish_portfolio("KZ-UZ", "Forum", date(2023, 2, 1), on("2023-02-01"))
    for day, investment, jobs, projects in (
        ("2023-02-01", "2100000000", 10_000, 42),
        ("2024-05-01", "2500000000", 12_000, 60),
    ):
        tracker.restate_targets(portfolio.id, money(investment, "USD"), jobs, projects, on(day))
    rate_set = give_rates(tracker, portfolio.id, RATES)
    fix = on("2025-01-02")
    for change in (
        lambda s: s.correct(PublishedRate("KZT", date(2025, 1, 1), Decimal("512")), "typo", fix),
        lambda s: s.publish([PublishedRate("UZS", date(2025, 1, 1), Decimal("16000"))], fix),
        lambda s: s.withdraw("UZS", date(2025, 1, 1), "not an official rate", fix),
    ):
        tracker.change_rate_set(rate_set, change, fix)
    trade_indicator(tracker, portfolio.id)
    return portfolio.id


def trade_indicator(tracker: TrackerApplication, portfolio: UUID) -> None:
    """An indicator whose observation rows are closed by a correction and a retraction, one
    of them observed again, and whose target was restated."""
    indicator = tracker.define_indicator(portfolio, "Trade", on("2024-10-22"), currency="USD").id
    year = Period(date(2023, 1, 1), date(2023, 12, 31), PeriodKind.YEAR)
    to_date = Period(date(2024, 1, 1), date(2024, 8, 31), PeriodKind.TO_DATE)
    usd = Quantity(Decimal("4400000000"), "USD")
    later = on("2024-11-01")
    for change in (
        lambda i: i.observe(year, usd, on("2024-02-15")),
        lambda i: i.observe(to_date, Quantity(Decimal("2500000000"), "USD"), on("2024-10-22")),
        lambda i: i.restate_target(Quantity(Decimal("1E10"), "USD"), date(2030, 12, 31), later),
        lambda i: i.correct(year, Quantity(Decimal("4410000000.5"), "USD"), "final", later),
        lambda i: i.retract(to_date, "preliminary", later),
        lambda i: i.observe(to_date, Quantity(Decimal("2600000000"), "KZT"), later),
        lambda i: i.correct(to_date, Quantity(Decimal("2700000000"), "KZT"), "again", later),
        lambda i: i.restate_target(Quantity(Decimal("9E9"), "EUR"), date(2031, 12, 31), later),
    ):
        tracker.change_indicator(indicator, change, later)


def busy_project(tracker: TrackerApplication, portfolio: UUID, n: int) -> UUID:
    """About fifteen events of every kind, in the project's own currency ``n`` picks."""
    currency = CURRENCIES[n % len(CURRENCIES)]
    regions = REGIONS[n % len(REGIONS)]
    plan = Plan(
        title=f"Plant {n}",
        sector=("energy", "metallurgy", "agriculture")[n % 3],
        regions=regions,
        countries=() if regions else ("TR",),
        parties=("KazInvest",),
        planned_investment=money(f"{(n + 1) * 1_000_000}.50", currency),
        planned_jobs=100 * (n + 1),
        planned_start=None,
        planned_end=None,
    )
    project = tracker.announce_project(portfolio, plan, on(f"2024-0{1 + n % 6}-1{n % 10}")).id

    def record(command: Any, day: str) -> int:
        return tracker.record(project, command, on(day)).version

    record(ChangeStatus("under_implementation"), "2024-07-01")
    record(TranslateTitle("ru", f"Завод {n}"), "2024-07-02")
    commitment = record(CommitInvestment(money(f"{n + 3}000000.25", currency)), "2024-07-15")
    first = record(DisburseFunds(money(f"{n + 1}00000.10", "KZT")), "2024-08-01")
    record(DisburseFunds(money("-2500.00", currency)), "2024-09-01")
    duplicate = record(DisburseFunds(money(f"{n + 1}00000.10", "KZT")), "2024-08-01")
    record(CreateJobs(10 * n + 5, 3), "2024-10-01")
    record(ReachMilestone("Foundation stone"), "2024-10-05")
    record(
        Correct(first, "bank statement", Replacement(amount=money("777777.77", "UZS"))),
        "2025-01-05",
    )
    record(
        Correct(commitment, "signed later", Replacement(effective_date=date(2025, 2, 1))),
        "2025-01-06",
    )
    record(Retract(duplicate, "entered twice"), "2025-01-07")
    record(ChangeStatus("suspended"), "2025-02-01")
    record(ChangeStatus("resumed"), "2025-03-01")
    if n % 3 == 0:
        record(Cancel("investor withdrew"), "2025-04-01")
    else:
        record(ChangeStatus("operational"), "2025-04-01")
        record(Complete(), "2025-06-30")
    record(TranslateTitle("ru", f"Завод № {n}"), "2025-06-30")  # replaces the first
    if n % 2:
        sector = Replacement(sector="logistics", planned_investment=money("123.45", "EUR"))
        record(Correct(1, "the plan was restated", sector), "2025-07-01")
    else:
        signed_document(tracker, portfolio, project, n, currency)
    return project


def signed_document(
    tracker: TrackerApplication, portfolio: UUID, project: UUID, n: int, currency: str
) -> None:
    """A document naming the project: signed, in force, amended, and for some lapsed."""
    terms = DocumentTerms(
        f"Agreement {n}",
        "agreement",
        "Forum",
        ("KazInvest",),
        money("5000000", currency),
        (project,),
    )
    document = tracker.sign_document(portfolio, terms, on("2024-10-22")).id
    changes: list[tuple[Any, str]] = [
        (lambda d, e: d.enter_into_force(e), "2024-11-01"),
        (
            lambda d, e: d.amend(Amendment("raised", value=money("6000000", currency)), e),
            "2025-02-01",
        ),
    ]
    if n % 4 == 0:
        changes.append((lambda d, e: d.lapse("expired", e), "2025-08-01"))
    for change, day in changes:
        envelope = on(day)
        tracker.change_document(document, lambda d, c=change, e=envelope: c(d, e), envelope)


def busy_history(tracker: TrackerApplication, portfolio: UUID, first: int, count: int) -> None:
    for n in range(first, first + count):
        busy_project(tracker, portfolio, n)


# What the view holds


def view_rows(engine: Engine) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every row of every projected table, without surrogate ids, as a multiset per table."""
    rows: dict[str, Counter[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in t.metadata.sorted_tables:
            columns = [c for c in table.c if c.name != "id"]
            rows[table.name] = Counter(tuple(r) for r in conn.execute(select(*columns)))
    return rows


def expected_row_counts(oracle: Oracle) -> dict[str, int]:
    """How many rows each event makes, counted from the events alone."""
    counts: Counter[str] = Counter()
    ledger: set[tuple[UUID, int]] = set()
    for event in oracle.events:
        if isinstance(event, Portfolio.Established):
            counts["rm_portfolios"] += 1
        elif isinstance(event, Portfolio.TargetsRestated):
            counts["rm_targets"] += 1
        elif isinstance(event, Portfolio.RateSetsChosen):
            counts["rm_rate_choices"] += 1
        elif isinstance(event, RateSet.Established):
            counts["rm_rate_sets"] += 1
        elif isinstance(event, RateSet.RatesPublished):
            counts["rm_rates"] += len(event.rates)
        elif isinstance(event, RateSet.RateCorrected):
            counts["rm_rates"] += 1  # the corrected value; the row it replaces is closed
        elif isinstance(event, Document.Signed):
            counts.update(["rm_documents", "rm_document_versions"])
        elif isinstance(event, Document.Event):
            counts["rm_document_versions"] += 1
        elif isinstance(event, Indicator.Defined):
            counts["rm_indicators"] += 1
        elif isinstance(event, Indicator.Observed | Indicator.ObservationCorrected):
            counts["rm_observations"] += 1  # a correction opens a row and closes one
        elif isinstance(event, Indicator.TargetRestated):
            counts["rm_indicator_targets"] += 1
        elif isinstance(event, Project.Announced):
            counts.update(["rm_projects", "rm_plans", "rm_statuses"])
        elif isinstance(event, Project.TitleTranslated):
            counts["rm_project_titles"] += 1
        elif isinstance(event, Project.StatusEvent):
            counts["rm_statuses"] += 1
        elif isinstance(event, Project.MilestoneReached):
            counts["rm_milestones"] += 1
        elif isinstance(event, Project.FactEvent):
            counts["rm_facts"] += 1
            ledger.add((event.originator_id, event.originator_version))
        elif isinstance(event, Project.Corrected) and event.corrects == 1:
            counts["rm_plans"] += 1
        elif isinstance(event, Project.Corrected):
            counts["rm_facts"] += (event.originator_id, event.corrects) in ledger
    return dict(counts)


def current_fact_keys(oracle: Oracle) -> set[tuple[Any, ...]]:
    """The keys of the sums the projector keeps: one per portfolio, layer, kind, currency and
    value date of the current ledger."""
    keys = set()
    portfolios = {e.originator_id for e in oracle.events if isinstance(e, Portfolio.Established)}
    for portfolio in portfolios:
        for project in oracle.known(portfolio, None).projects:
            for fact in project.facts.values():
                if fact.retracted_by is None and fact.kind in LEDGER_KINDS:
                    currency = fact.amount.currency if fact.amount else ""
                    keys.add(
                        (portfolio, project.illustrative, fact.kind, currency, fact.effective_date)
                    )
    return keys


def assert_reports_equal_the_oracle(
    tracker: TrackerApplication, engine: Engine, portfolio: UUID
) -> None:
    oracle = Oracle.read(tracker)
    points: list[dict[str, Any]] = [
        {},
        {"as_of": date(2024, 8, 31)},
        {"as_of": date(2025, 3, 15), "currency": "KZT"},
        {"known_at": oracle.events[len(oracle.events) // 2].timestamp},
    ]
    with engine.connect() as conn:
        for point in points:
            query = ReportQuery(portfolio, **point)
            assert view_of_progress(reports.progress(conn, query)) == oracle.progress(
                portfolio, **point
            ), point
            for by in DIMENSIONS:
                assert view_of_breakdown(reports.breakdown(conn, query, by)) == oracle.breakdown(
                    portfolio, by, **point
                ), (by, point)


def assert_applied_exactly_once(tracker: TrackerApplication, engine: Engine) -> None:
    oracle = Oracle.read(tracker)
    rows = view_rows(engine)
    counts = {name: sum(table.values()) for name, table in rows.items()}
    # A table no event of the history fills (statements here) is expected empty.
    expected = {name: 0 for name in counts}
    expected.update({**expected_row_counts(oracle), "rm_position": 1, "rm_failures": 0})
    expected["rm_fact_totals"] = len(current_fact_keys(oracle))
    assert counts == expected
    assert Projector(tracker, engine).applied_position() == tracker.recorder.max_notification_id()


# (a) a projector killed inside its transaction

CHILD = """
import os, signal, sys
from sqlalchemy import event, func, select
from tracker.application import TrackerApplication
from tracker.readmodel import tables as t
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.settings import Settings

url, schema, moment = sys.argv[1:4]
settings = Settings(database_url=url, db_schema=schema)
tracker = TrackerApplication(settings)
engine = create_readmodel_engine(settings, pool_size=1)

def die():
    sys.stdout.flush()
    if moment == "after_view_write":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(1)

class Dying(Projector):
    def apply(self, conn, notifications):
        half = notifications[: len(notifications) // 2]
        super().apply(conn, half if moment == "halfway" else notifications)
        rows = conn.execute(select(func.count()).select_from(t.facts)).scalar_one()
        print(f"wrote {rows} ledger rows", flush=True)
        conn.info["view_written"] = True
        if moment in ("after_view_write", "halfway"):
            die()

@event.listens_for(engine, "begin")
def begin(conn):
    conn.info["view_written"] = False

@event.listens_for(engine, "after_cursor_execute")
def after_execute(conn, cursor, statement, parameters, context, executemany):
    conn.info["last_statement"] = " ".join(statement.split())

@event.listens_for(engine, "commit")
def before_commit(conn):
    if moment == "before_commit" and conn.info["view_written"]:
        print(f"dying before COMMIT, after: {conn.info['last_statement']}", flush=True)
        die()

Dying(tracker, engine).catch_up()
print("survived", flush=True)
sys.exit(3)
"""


def run_child(settings: Settings, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, settings.database_url, settings.db_schema, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ledger_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.facts)).scalar_one())


@pytest.mark.parametrize("moment", ["after_view_write", "before_commit", "halfway"])
def test_a_projector_killed_inside_its_transaction_leaves_nothing_behind(
    settings: Settings, tracker: TrackerApplication, engine: Engine, moment: str
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 2)
    committed = Projector(tracker, engine).catch_up()
    rows_before = ledger_rows(engine)
    busy_history(tracker, portfolio, 2, 3)

    child = run_child(settings, CHILD, moment)

    expected_code = -signal.SIGKILL if moment == "after_view_write" else 1
    assert child.returncode == expected_code, (child.stdout, child.stderr)
    written = int(child.stdout.split("wrote ")[1].split()[0])
    assert written > rows_before, "the child wrote view rows before it died"
    if moment == "before_commit":
        last = child.stdout.split("dying before COMMIT, after: ")[1]
        # The guarded move of the position (not the lock taken before the batch).
        assert re.match(r"UPDATE (\w+\.)?rm_position SET position=\S+ WHERE .+ AND ", last), last
    assert Projector(tracker, engine).applied_position() == committed
    assert ledger_rows(engine) == rows_before, "nothing of the dead transaction remains"

    assert Projector(tracker, engine).catch_up() == tracker.recorder.max_notification_id()
    assert_applied_exactly_once(tracker, engine)
    assert_reports_equal_the_oracle(tracker, engine, portfolio)


# (b) rival projectors


def test_projectors_in_threads_apply_each_event_once(
    settings: Settings,
    tracker: TrackerApplication,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 6)
    monkeypatch.setattr(projector_module, "BATCH", SMALL_BATCH)
    rivals = 3
    engines = [create_readmodel_engine(settings, pool_size=2) for _ in range(rivals)]
    start = threading.Barrier(rivals)

    def catch_up(rival_engine: Engine) -> int:
        projector = Projector(tracker, rival_engine)
        start.wait(timeout=30)
        return projector.catch_up()

    try:
        with ThreadPoolExecutor(rivals) as pool:
            positions = list(pool.map(catch_up, engines))  # re-raises a rival's error
    finally:
        for rival_engine in engines:
            rival_engine.dispose()

    head = tracker.recorder.max_notification_id()
    assert positions == [head] * rivals
    assert_applied_exactly_once(tracker, engine)
    together = view_rows(engine)
    rebuild(Projector(tracker, engine))
    assert view_rows(engine) == together, "rivals wrote what one projector alone writes"
    assert_reports_equal_the_oracle(tracker, engine, portfolio)


RIVAL = """
import sys
from tracker.application import TrackerApplication
from tracker.readmodel import projector
from tracker.readmodel.database import create_readmodel_engine
from tracker.settings import Settings

url, schema, batch = sys.argv[1:4]
projector.BATCH = int(batch)
settings = Settings(database_url=url, db_schema=schema)
tracker = TrackerApplication(settings)
print(projector.Projector(tracker, create_readmodel_engine(settings, pool_size=1)).catch_up())
"""


def test_projector_processes_apply_each_event_once(
    settings: Settings, tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 6)
    command = [sys.executable, "-c", RIVAL, settings.database_url, settings.db_schema]
    rivals = [
        subprocess.Popen(
            [*command, str(SMALL_BATCH)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [rival.communicate(timeout=120) for rival in rivals]

    head = tracker.recorder.max_notification_id()
    for rival, (stdout, stderr) in zip(rivals, outcomes, strict=True):
        assert rival.returncode == 0, stderr
        assert int(stdout) == head
    assert_applied_exactly_once(tracker, engine)
    together = view_rows(engine)
    rebuild(Projector(tracker, engine))
    assert view_rows(engine) == together
    assert_reports_equal_the_oracle(tracker, engine, portfolio)


# (c) rebuild


def test_rebuild_from_an_empty_view_gives_the_same_reports(
    tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 4)
    projector = Projector(tracker, engine)
    projector.catch_up()
    query = ReportQuery(portfolio, as_of=date(2025, 3, 15), currency="KZT")
    with engine.connect() as conn:
        before = (
            reports.progress(conn, query),
            [reports.breakdown(conn, query, by) for by in DIMENSIONS],
        )
    rows_before = view_rows(engine)

    progress: list[tuple[int, int]] = []
    head = rebuild(projector, lambda applied, total: progress.append((applied, total)))

    assert head == tracker.recorder.max_notification_id()
    assert progress and progress[-1] == (head, head)
    assert view_rows(engine) == rows_before
    with engine.connect() as conn:
        after = (
            reports.progress(conn, query),
            [reports.breakdown(conn, query, by) for by in DIMENSIONS],
        )
    assert after == before
    assert_applied_exactly_once(tracker, engine)
    assert_reports_equal_the_oracle(tracker, engine, portfolio)


# (d) batches


def corrections_in_a_row(tracker: TrackerApplication, portfolio: UUID) -> None:
    """A fact corrected twice then retracted, another corrected, the plan corrected twice:
    in one batch, each correction refers to a row written by the same batch."""
    plan = Plan(
        title="Plant in a row",
        sector="energy",
        regions=("KZ-61",),
        countries=(),
        parties=("KazInvest",),
        planned_investment=money("5000000.00", "USD"),
        planned_jobs=100,
        planned_start=None,
        planned_end=None,
    )
    project = tracker.announce_project(portfolio, plan, on("2025-07-30")).id

    def record(command: Any, day: str) -> int:
        return tracker.record(project, command, on(day)).version

    record(ChangeStatus("under_implementation"), "2025-07-31")
    committed = record(CommitInvestment(money("1000.00", "USD")), "2025-08-01")
    jobs = record(CreateJobs(5, 1), "2025-08-02")
    record(Correct(committed, "typo", Replacement(amount=money("1100.00", "KZT"))), "2025-08-03")
    record(Correct(committed, "date", Replacement(effective_date=date(2025, 7, 1))), "2025-08-04")
    record(Retract(committed, "never signed"), "2025-08-05")
    record(Correct(jobs, "recount", Replacement(permanent=7)), "2025-08-06")
    record(Correct(1, "restated", Replacement(sector="chemicals")), "2025-08-07")
    record(Correct(1, "restated again", Replacement(planned_jobs=321)), "2025-08-08")


def test_a_batch_writes_what_one_event_at_a_time_writes(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 3)
    corrections_in_a_row(tracker, portfolio)
    with monkeypatch.context() as patched:
        patched.setattr(projector_module, "BATCH", 1)
        Projector(tracker, engine).catch_up()
    one_at_a_time = view_rows(engine)

    rebuild(Projector(tracker, engine))  # the whole log in one batch

    assert view_rows(engine) == one_at_a_time
    assert_applied_exactly_once(tracker, engine)
    assert_reports_equal_the_oracle(tracker, engine, portfolio)


def count_statements(engine: Engine) -> list[str]:
    statements: list[str] = []

    @sqlalchemy_event.listens_for(engine, "before_cursor_execute")
    def executed(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    return statements


def test_a_writer_whose_event_is_already_applied_waits_for_nothing(
    tracker: TrackerApplication, engine: Engine
) -> None:
    portfolio = establish(tracker)
    projector = Projector(tracker, engine)
    projector.catch_up()
    first = busy_project(tracker, portfolio, 1)
    second = busy_project(tracker, portfolio, 2)
    head = tracker.recorder.max_notification_id()

    # The first writer's call applies every pending event, the second writer's too ...
    assert projector.ensure_applied(head - 1) == head
    assert projector.seen_position == head
    # ... so the second writer's call asks the database nothing.
    statements = count_statements(engine)
    assert projector.ensure_applied(head) == head
    assert statements == []

    assert_applied_exactly_once(tracker, engine)
    assert {first, second} <= {UUID(row[0]) for row in view_rows(engine)["rm_projects"]}
