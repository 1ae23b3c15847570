"""The events a portfolio recorded between two moments, newest first, a page at a time.

Found through the read model's bitemporal rows, each of which keeps the moment and global
position of the event that recorded it (and, once corrected or retracted, of the event that
closed it): the portfolio's targets, statements and choices of rate sets; its projects'
announcements, plan corrections, statuses, milestones reached and ledger facts (with their
corrections and retractions); the rates of the rate sets it converts with; its documents and
indicators. A correction or retraction of a milestone leaves no row, so it is not listed (it
changes no figure; see docs/changes.md).

The events themselves (type, actor, source, payload) are read from the event store at those
positions by the caller (``TrackerApplication.events_at_positions``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, String, and_, cast, null, or_, select, union
from sqlalchemy.sql import Select

from tracker.domain.errors import N_, ValidationError
from tracker.readmodel import tables as t
from tracker.readmodel.changes import Changes, changes
from tracker.readmodel.database import naive_utc, stored_utc
from tracker.readmodel.reports import ReportQuery, in_scope, projects_as_of
from tracker.readmodel.titles import titles_in

MAX_PAGE = 500


@dataclass(frozen=True)
class Recorded:
    """One event recorded in the window: where it is in the log, when, about which project."""

    position: int
    recorded_at: datetime
    project_id: str | None


@dataclass(frozen=True)
class RecordedPage:
    entries: list[Recorded]
    next_cursor: str | None


@dataclass(frozen=True)
class Window:
    """Recorded after ``after`` (none: from the beginning) and by ``upto`` (none: now)."""

    scope: ReportQuery  # the portfolio, and which of its projects count (layer)
    after: datetime | None
    upto: datetime | None
    #: When the filters narrow, the projects whose events are listed: those counted at
    #: either moment (``None``: every project of the layer).
    projects: frozenset[str] | None = None

    def holds(self, column: Any) -> list[Any]:
        conditions = [column.is_not(None)]
        if self.after is not None:
            conditions.append(column > naive_utc(self.after))
        if self.upto is not None:
            conditions.append(column <= naive_utc(self.upto))
        return conditions


def recorded_between(
    conn: Connection, window: Window, *, limit: int, cursor: str | None = None
) -> RecordedPage:
    """One page of the events recorded in ``window``, the latest first."""
    sources = union(*_sources(conn, window)).subquery()
    query = select(sources.c.position, sources.c.recorded_at, sources.c.project_id)
    if cursor is not None:
        moment, position = _decode(cursor)
        query = query.where(
            or_(
                sources.c.recorded_at < moment,
                and_(sources.c.recorded_at == moment, sources.c.position < position),
            )
        )
    rows = conn.execute(
        query.order_by(sources.c.recorded_at.desc(), sources.c.position.desc()).limit(limit + 1)
    ).all()
    entries = [
        Recorded(int(r.position), stored_utc(r.recorded_at), r.project_id) for r in rows[:limit]
    ]
    more = len(rows) > limit
    return RecordedPage(entries, _encode(entries[-1]) if more else None)


def recorded_for(
    conn: Connection, query: ReportQuery, after: datetime, *, limit: int
) -> RecordedPage:
    """The latest events recorded after ``after`` and by the query's ``known_at`` (none:
    now) of the projects the query's filters count at its moment (as its progress report
    counts them, a flag judged then), and of the portfolio itself."""
    counted = frozenset(projects_as_of(conn, query)) if query.filters.narrows else None
    return recorded_between(conn, Window(query, after, query.known_at, counted), limit=limit)


@dataclass(frozen=True)
class WhatChanged:
    """The figures' changes between two moments, a page of the events recorded between
    them (none without a start ``known_at``), and the titles of the projects they name."""

    changes: Changes
    page: RecordedPage | None
    titles: dict[str, str]


def what_changed(
    conn: Connection,
    start: ReportQuery,
    end: ReportQuery,
    *,
    limit: int,
    cursor: str | None = None,
    language: str | None = None,
    contributions: int | None = None,
) -> WhatChanged:
    """``changes`` between the moments, a page of the events recorded between them, and the
    titles of the projects these name: those of the first ``contributions`` of each figure
    (the ones listed; every one without it) and of the events."""
    found = changes(conn, start, end)
    page = None
    if start.known_at is not None:
        counted = None if found.scope is None else found.scope[0] | found.scope[1]
        window = Window(start, start.known_at, end.known_at, counted)
        page = recorded_between(conn, window, limit=limit, cursor=cursor)
    named = [c.cause.project_id for f in found.figures for c in f.contributions[:contributions]]
    named += [e.project_id for e in page.entries] if page else []
    titles = project_titles(conn, [p for p in named if p], language, end.known_at)
    return WhatChanged(found, page, titles)


def _sources(conn: Connection, window: Window) -> list[Select[Any]]:
    portfolio = str(window.scope.portfolio_id)
    found: list[Select[Any]] = []

    def add(table: Any, project: Any, *, closed: bool = False, where: Any = None) -> None:
        at, position = (
            (table.c.superseded_at, table.c.superseded_position)
            if closed
            else (table.c.recorded_at, table.c.recorded_position)
        )
        owner = table.c.portfolio_id == portfolio if where is None else where
        scope = in_scope(project, window.scope) if project is not None else []
        if project is not None and window.projects is not None:
            scope.append(project.in_(sorted(window.projects)))
        found.append(
            select(
                cast(position, Integer).label("position"),
                at.label("recorded_at"),
                (project if project is not None else cast(null(), String)).label("project_id"),
            ).where(owner, *window.holds(at), *scope)
        )

    for table in (t.facts, t.plans, t.statuses, t.milestones):
        add(table, table.c.project_id)
    add(t.facts, t.facts.c.project_id, closed=True)
    for table in (
        t.targets,
        t.statements,
        t.rate_choices,
        t.document_versions,
        t.observations,
        t.indicator_targets,
        t.indicators,
    ):
        add(table, None)
    add(t.observations, None, closed=True)
    chosen = _chosen_rate_sets(conn, window)
    if chosen:
        of_sets = t.rates.c.rate_set_id.in_(chosen)
        add(t.rates, None, where=of_sets)
        add(t.rates, None, closed=True, where=of_sets)
    return found


def project_titles(
    conn: Connection,
    project_ids: Iterable[str],
    language: str | None = None,
    known_at: datetime | None = None,
) -> dict[str, str]:
    """The current title of each of these projects: as entered, or in ``language`` where one
    was given by ``known_at`` (tracker/readmodel/titles.py)."""
    wanted = sorted(set(project_ids))
    if not wanted:
        return {}
    rows = conn.execute(
        select(t.projects.c.project_id, t.projects.c.title).where(
            t.projects.c.project_id.in_(wanted)
        )
    )
    found = {r.project_id: r.title for r in rows}
    if language is not None:
        found.update(titles_in(conn, wanted, language, known_at))
    return found


def _chosen_rate_sets(conn: Connection, window: Window) -> list[str]:
    """Every rate set the portfolio chose in any version recorded by the window's end."""
    query = select(t.rate_choices.c.rate_sets).where(
        t.rate_choices.c.portfolio_id == str(window.scope.portfolio_id)
    )
    if window.upto is not None:
        query = query.where(t.rate_choices.c.recorded_at <= naive_utc(window.upto))
    return sorted({s for (sets,) in conn.execute(query) for s in sets.split()})


# Cursors: base64url of JSON [recorded_at, position] of the last entry given


def _encode(entry: Recorded) -> str:
    text = json.dumps([naive_utc(entry.recorded_at).isoformat(), entry.position])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, position = json.loads(text)
        if not isinstance(position, int) or isinstance(position, bool):
            raise ValueError(position)
        return datetime.fromisoformat(moment), position
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        raise ValidationError(
            N_("not a cursor returned by this listing (use next_cursor as given)"), field="cursor"
        ) from None
