"""The oracle (``tests.oracle``) for what is listed of each project: the listing, the stale
projects. The same plain fold over the stored events, without any of the read model's code.

- A project is listed at a moment when it was announced by ``as_of`` as recorded by
  ``known_at``, with its title and plan as then corrected, its status as of ``as_of``, its
  version as recorded by ``known_at``, and its latest news: the latest effective date, by
  ``as_of``, of any of its events recorded by ``known_at``.
- Stale: open (neither closed nor cancelled) at the moment, and silent for more than ``days``
  days before ``as_of`` (or today); longest silent first, ties by id.
- Flags: disbursed above committed (both in US dollars, judged only when both convert);
  the planned end before ``as_of`` (or today) while not yet operational (announced, agreed,
  in preparation, under implementation, suspended); open and silent for more than the days
  asked. A report narrowed by a flag counts the projects carrying it as of its day
  (``judging``): each point of a timeline at its own day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tests.oracle.known import Selection
from tests.oracle.reports import Oracle

NOT_YET_OPERATIONAL = ("announced", "agreed", "in_preparation", "under_implementation", "suspended")


@dataclass(frozen=True)
class ProjectThen:
    id: UUID
    title: str
    sector: str
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    status: str
    planned_investment: Decimal
    currency: str
    planned_jobs: int
    planned_end: date | None
    version: int
    announced_on: date
    last_news: date


def events_of(oracle: Oracle, aggregate_id: UUID, known_at: datetime | None) -> list[Any]:
    return [
        e
        for e in oracle.events
        if e.originator_id == aggregate_id and (known_at is None or e.timestamp <= known_at)
    ]


def projects_then(
    oracle: Oracle, portfolio_id: UUID, *, as_of: date | None, known_at: datetime | None
) -> dict[UUID, ProjectThen]:
    projects = {}
    for project, status in oracle.known(portfolio_id, known_at).announced(as_of):
        news = [
            e.effective_date
            for e in events_of(oracle, project.id, known_at)
            if as_of is None or e.effective_date <= as_of
        ]
        plan = project.plan
        projects[project.id] = ProjectThen(
            id=project.id,
            title=plan.title,
            sector=plan.sector,
            regions=tuple(plan.regions),
            countries=tuple(plan.countries),
            status=status.value,
            planned_investment=plan.planned_investment.amount,
            currency=plan.planned_investment.currency,
            planned_jobs=plan.planned_jobs,
            planned_end=plan.planned_end,
            version=project.version,
            announced_on=project.announced_on(),
            last_news=max(news, default=project.announced_on()),
        )
    return projects


def stale_then(
    oracle: Oracle,
    portfolio_id: UUID,
    days: int,
    today: date,
    *,
    as_of: date | None,
    known_at: datetime | None,
) -> tuple[int, list[tuple[UUID, int]]]:
    """How many projects were open, and the silent ones with their days of silence."""
    reference = as_of or today
    projects = projects_then(oracle, portfolio_id, as_of=as_of, known_at=known_at).values()
    open_then = [p for p in projects if p.status not in ("closed", "cancelled")]
    silent = sorted(
        (p for p in open_then if (reference - p.last_news).days > days),
        key=lambda p: (p.last_news, str(p.id)),
    )
    return len(open_then), [(p.id, (reference - p.last_news).days) for p in silent]


def flags_then(
    oracle: Oracle,
    portfolio_id: UUID,
    days: int,
    today: date,
    *,
    as_of: date | None,
    known_at: datetime | None,
) -> dict[UUID, set[str]]:
    """Every project announced by then, with its flags."""
    reference = as_of or today
    amounts = oracle.project_amounts(portfolio_id, as_of=as_of, known_at=known_at)
    projects = projects_then(oracle, portfolio_id, as_of=as_of, known_at=known_at)
    flags: dict[UUID, set[str]] = {}
    for project in projects.values():
        raised = set()
        committed, disbursed = amounts[project.id]
        if committed is not None and disbursed is not None and disbursed > committed:
            raised.add("disbursed_above_committed")
        ended = project.planned_end is not None and project.planned_end < reference
        if ended and project.status in NOT_YET_OPERATIONAL:
            raised.add("end_date_passed")
        is_open = project.status not in ("closed", "cancelled")
        if is_open and (reference - project.last_news).days > days:
            raised.add("no_news")
        flags[project.id] = raised
    return flags


def judging(
    selection: Selection,
    oracle: Oracle,
    portfolio_id: UUID,
    today: date,
    known_at: datetime | None,
) -> Selection:
    """``selection`` with its flag bound: the projects carrying it as of a day, as recorded
    by ``known_at`` (silence counted up to that day, or ``today`` for none)."""
    if selection.flag is None:
        return selection
    flag, days = selection.flag, selection.no_news_days

    def flagged(as_of: date | None) -> frozenset[UUID]:
        flags = flags_then(oracle, portfolio_id, days, today, as_of=as_of, known_at=known_at)
        return frozenset(
            pid for pid, raised in flags.items() if (raised if flag == "any" else flag in raised)
        )

    return replace(selection, flagged=flagged)
