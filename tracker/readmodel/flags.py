"""Flags: what a reader should look at twice in a project, at a moment.

- ``disbursed_above_committed``: more money disbursed than committed, both in US dollars at
  the portfolio's rates as known at ``known_at`` (``project_money``); not judged while an
  amount has no rate (a sum in another currency cannot be compared honestly).
- ``end_date_passed``: the planned end date (the plan as corrected by ``known_at``) lies
  before ``as_of`` (or today) and the project is still on its way there: announced, agreed,
  in preparation, under implementation or suspended, as of ``as_of``.
- ``no_news``: open (neither closed nor cancelled) and no event of any kind took effect in
  the ``no_news_days`` days before ``as_of`` (or today): the stale projects' rule
  (``moments.stale_among``), with its own number of days.

Each flag is judged on the project as it was at the moment: its status and latest news as of
``as_of``, its facts effective by then, everything as recorded by ``known_at``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, select

from tracker.domain.status import STAGES, TERMINAL, Status
from tracker.readmodel import tables as t
from tracker.readmodel.filters import (
    ANY,
    DISBURSED_ABOVE_COMMITTED,
    END_DATE_PASSED,
    FLAGS,
    NO_NEWS,
)
from tracker.readmodel.moments import Histories, Moment, projects_then
from tracker.readmodel.project_money import money_in_usd
from tracker.readmodel.queries import ProjectFilter, ProjectRow
from tracker.readmodel.reports import ReportQuery

if TYPE_CHECKING:
    from tracker.application import TrackerApplication


#: The statuses of a project not yet operational and still meant to become so.
NOT_YET_OPERATIONAL = frozenset(
    s.value for s in (*STAGES[: STAGES.index(Status.OPERATIONAL)], Status.SUSPENDED)
)
_TERMINAL = frozenset(s.value for s in TERMINAL)


@dataclass(frozen=True)
class FlagRules:
    """How flags are judged: the silence that counts as no news, and the day it ends."""

    no_news_days: int
    reference: date  # ``as_of``, or today


def rules_for(moment: Moment, no_news_days: int, today: date) -> FlagRules:
    return FlagRules(no_news_days, moment.as_of or today)


def flags_of(
    conn: Connection,
    tracker: TrackerApplication,
    rows: Sequence[ProjectRow],
    moment: Moment,
    rules: FlagRules,
    histories: Histories | None = None,
) -> dict[str, tuple[str, ...]]:
    """The flags of ``rows`` (projects as they were at ``moment``), by project id; every row
    has an entry, empty when nothing is flagged. ``histories`` remembers the plans it reads
    for the next moment asked about (none: read afresh)."""
    read = histories or Histories(tracker)
    by_portfolio: dict[str, list[ProjectRow]] = defaultdict(list)
    for row in rows:
        by_portfolio[row.portfolio_id].append(row)
    flags: dict[str, tuple[str, ...]] = {}
    silent_before = rules.reference - timedelta(days=rules.no_news_days)
    for portfolio_id, members in by_portfolio.items():
        query = ReportQuery(UUID(portfolio_id), moment.as_of, moment.known_at)
        money = money_in_usd(conn, query, members)
        for row in members:
            raised = []
            disbursed, committed = (
                money[row.project_id].in_usd(k) for k in ("disbursed", "committed")
            )
            if disbursed is not None and committed is not None and disbursed > committed:
                raised.append(DISBURSED_ABOVE_COMMITTED)
            if row.status in NOT_YET_OPERATIONAL:
                plan = read.project(UUID(row.project_id), moment.known_at).plan
                if plan.planned_end is not None and plan.planned_end < rules.reference:
                    raised.append(END_DATE_PASSED)
            if row.status not in _TERMINAL and row.last_event_on < silent_before:
                raised.append(NO_NEWS)
            flags[row.project_id] = tuple(raised)
    return flags


@dataclass(frozen=True)
class FlagCount:
    """A portfolio's projects at a moment, how many are flagged, and for what."""

    projects: int
    flagged: int
    by_flag: dict[str, int]
    flags: dict[str, tuple[str, ...]]  # every flagged project's flags, by id


def count_flags(flags: dict[str, tuple[str, ...]]) -> FlagCount:
    counted: Counter[str] = Counter(f for raised in flags.values() for f in raised)
    flagged = {pid: raised for pid, raised in flags.items() if raised}
    return FlagCount(len(flags), len(flagged), {f: counted[f] for f in FLAGS}, flagged)


def portfolio_flags(
    conn: Connection,
    tracker: TrackerApplication,
    portfolio_id: UUID,
    moment: Moment,
    rules: FlagRules,
    histories: Histories | None = None,
) -> dict[str, tuple[str, ...]]:
    """The flags of every project of the portfolio at ``moment`` (``histories``: as
    ``flags_of``)."""
    read = histories or Histories(tracker)
    rows = projects_then(conn, tracker, portfolio_id, moment, read)
    return flags_of(conn, tracker, rows, moment, rules, read)


def flagged(flags: dict[str, tuple[str, ...]], flag: str) -> frozenset[str]:
    """The ids of the projects carrying ``flag`` (any flag when ``flag`` is ``"any"``)."""
    return frozenset(
        pid for pid, raised in flags.items() if (raised if flag == ANY else flag in raised)
    )


def project_flags(
    conn: Connection,
    tracker: TrackerApplication,
    project_id: UUID,
    portfolio_id: UUID,
    moment: Moment,
    rules: FlagRules,
) -> tuple[str, ...]:
    """One project's flags at ``moment`` (none before it was announced)."""
    rows = [
        row
        for row in projects_then(conn, tracker, portfolio_id, moment)
        if row.project_id == str(project_id)
    ]
    return flags_of(conn, tracker, rows, moment, rules).get(str(project_id), ())


def only_flagged(
    conn: Connection,
    tracker: TrackerApplication,
    filters: ProjectFilter,
    moment: Moment,
    rules: FlagRules,
    flag: str,
) -> ProjectFilter:
    """``filters`` narrowed to the projects carrying ``flag`` at ``moment``."""
    if filters.portfolio_id is not None:
        portfolios = [filters.portfolio_id]
    else:
        portfolios = [UUID(p) for p in conn.scalars(select(t.portfolios.c.portfolio_id))]
    ids = frozenset().union(
        *(flagged(portfolio_flags(conn, tracker, p, moment, rules), flag) for p in portfolios)
    )
    if filters.ids is not None:
        ids &= filters.ids
    return replace(filters, ids=ids)


@dataclass(frozen=True)
class FlagJudge:
    """Judges a report's flag filter (``reports.FlagJudge``): the flags of the projects the
    report counts, at the report's moment (its ``as_of``, or ``today``, ends the silence)."""

    tracker: TrackerApplication
    today: date
    #: The flags already judged, by portfolio, moment and silence: a page asks for the same
    #: moment's flags once per report it shows (the judge lives for one request).
    judged: dict[tuple[Any, ...], dict[str, tuple[str, ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    #: Each project's events and plans, read once however many moments are judged (a
    #: timeline judges each of its points at its own day).
    histories: Histories = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "histories", Histories(self.tracker))

    def __call__(
        self, conn: Connection, query: ReportQuery, projects: Collection[str]
    ) -> frozenset[str]:
        asked = query.filters
        if asked.flag is None or not projects:
            return frozenset(projects)
        moment = Moment(query.as_of, query.known_at)
        key = (query.portfolio_id, moment, asked.no_news_days)
        if key not in self.judged:
            rules = rules_for(moment, asked.no_news_days, self.today)
            self.judged[key] = portfolio_flags(
                conn, self.tracker, query.portfolio_id, moment, rules, self.histories
            )
        return flagged(self.judged[key], asked.flag) & frozenset(projects)
