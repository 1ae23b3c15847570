"""What the projected view holds, and the checks that the projector applied every event
exactly once: every row of every table as a multiset, the rows each event makes counted
from the events alone, and the reports against the oracle (``tests.oracle``)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select

from tests.oracle.figures import LEDGER_KINDS
from tests.oracle.reports import Oracle
from tests.oracle.views import view_of_breakdown, view_of_progress
from tracker.application import TrackerApplication
from tracker.domain.document import Document
from tracker.domain.indicator import Indicator
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.rate_set import RateSet
from tracker.readmodel import reports
from tracker.readmodel import tables as t
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery

DIMENSIONS = ("sector", "region", "country", "status")


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
