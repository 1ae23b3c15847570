"""How a batch of events changes the read-model tables, applied in memory and written at once.

One statement per row was the projector's whole cost (building the statement, and on
PostgreSQL a round trip each). Here a batch first fetches, in a few ``SELECT … IN``, the rows
its events refer to (the projects they touch, the ledger and plan rows they correct), then
applies every event to those rows in memory, and finally writes each table with one
executemany: the new rows, the rows it superseded, and one update per touched project.

Corrections and retractions may refer to a fact recorded earlier in the same batch: the
current row of each fact is kept in one dict, whether it came from the database (it has an
``id``) or was created by this batch (it has none yet, and is still to be inserted).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.exc import NoResultFound

from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.status import Status
from tracker.readmodel import stored_facts
from tracker.readmodel.bulk_rows import append_rows
from tracker.readmodel.current_facts import current_facts
from tracker.readmodel.database import naive_utc
from tracker.readmodel.document_views import DocumentRows
from tracker.readmodel.fact_checkpoints import CheckpointChange
from tracker.readmodel.fact_totals import FactTotalsChange
from tracker.readmodel.indicator_views import IndicatorRows
from tracker.readmodel.nul_text import storable
from tracker.readmodel.project_rows import (
    fact_values,
    plan_replacement,
    plan_values,
    reopened,
    source_values,
)
from tracker.readmodel.rate_views import RateRows
from tracker.readmodel.stored_facts import StoredFact
from tracker.readmodel.title_views import TitleRows
from tracker.readmodel.views import LIVE, Views

Row = dict[str, Any]
#: The ledger row of a fact: (project id, version of the event that recorded the fact).
FactKey = tuple[str, int]

LEDGER_KINDS = frozenset({"committed", "disbursed", "jobs_created"})
#: The project columns an event may change (the rest are fixed by ``Announced``).
PROJECT_CHANGES = (
    "title",
    "sector",
    "regions",
    "countries",
    "status",
    "planned_investment",
    "currency",
    "planned_jobs",
    "last_event_on",
    "last_recorded_at",
    "version",
)
#: How many keys one ``IN (…)`` carries at most (SQLite allows 32,766 parameters).
IN_CHUNK = 1000


@dataclass(frozen=True)
class Statements:
    """The statements a batch runs against one set of view tables, built once per set."""

    insert: dict[Table, Any]
    supersede: dict[Table, Any]
    update_project: Any
    select_projects: Any
    select_current_plans: Any


@cache
def statements(views: Views) -> Statements:
    projects, plans, facts = views.projects, views.plans, views.facts
    return Statements(
        insert={
            table: insert(table)
            for table in (
                views.portfolios,
                views.targets,
                views.statements,
                views.reporting_organisations,
                projects,
                plans,
                views.statuses,
                views.milestones,
                facts,
            )
        },
        supersede={
            table: update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(superseded_at=bindparam("at"), superseded_position=bindparam("position"))
            for table in (plans, facts)
        },
        update_project=update(projects)
        .where(projects.c.project_id == bindparam("row_id"))
        .values({name: bindparam(name) for name in PROJECT_CHANGES}),
        select_projects=select(projects).where(
            projects.c.project_id.in_(bindparam("ids", expanding=True))
        ),
        select_current_plans=select(plans)
        .where(plans.c.project_id.in_(bindparam("ids", expanding=True)))
        .where(plans.c.superseded_position.is_(None)),
    )


def apply_events(
    conn: Connection,
    events: Sequence[tuple[int, Any]],
    views: Views = LIVE,
    *,
    totals: bool = True,
    nul_free: bool = False,
) -> None:
    """Apply ``(position, event)`` pairs, in order, inside the caller's transaction
    (``totals=False``: leave the ledger's sums to :func:`fact_totals.recount`;
    ``nul_free``: no text in the events holds NUL, so no row needs :func:`storable`)."""
    batch = ViewBatch(views, totals=totals, nul_free=nul_free)
    batch.fetch(conn, events)
    for position, event in events:
        batch.apply(event, position)
    batch.write(conn)


@dataclass
class References:
    """The existing rows a batch's events refer to: projects, plans and facts, by key."""

    projects: set[str] = field(default_factory=set)
    plans: set[str] = field(default_factory=set)
    facts: set[FactKey] = field(default_factory=set)

    @classmethod
    def of(cls, events: Sequence[tuple[int, Any]]) -> References:
        found = cls()
        announced: set[str] = set()
        for _, event in events:
            if type(event) is StoredFact:
                found.projects.add(event.project_id)
                continue
            if not isinstance(event, Project.Event):
                continue
            project_id = str(event.originator_id)
            if isinstance(event, Project.Announced):
                announced.add(project_id)
                continue
            found.projects.add(project_id)
            if isinstance(event, Project.Corrected) and event.corrects == 1:
                found.plans.add(project_id)
            elif isinstance(event, Project.Corrected):
                found.facts.add((project_id, event.corrects))
            elif isinstance(event, Project.Retracted):
                found.facts.add((project_id, event.retracts))
        # A project announced in this batch has all its rows in this batch.
        found.projects -= announced
        found.plans -= announced
        found.facts = {key for key in found.facts if key[0] not in announced}
        return found


class ViewBatch:
    """The rows one batch of events creates and changes, until they are written."""

    def __init__(self, views: Views = LIVE, *, totals: bool = True, nul_free: bool = False) -> None:
        self.views = views
        #: Whether the events are known to hold no NUL in their text (nothing to replace).
        self.nul_free = nul_free
        #: Whether this batch keeps the ledger's sums (a rebuild recounts them at the end).
        self.totals = totals
        self.sql = statements(views)
        self.new_rows: dict[Table, list[Row]] = {table: [] for table in self.sql.insert}
        #: Current rows of the projects this batch touches, by id (fetched or new).
        self.projects: dict[str, Row] = {}
        #: Projects announced in this batch: inserted with their final values.
        self.announced: set[str] = set()
        #: Fetched projects that changed: updated once each.
        self.changed_projects: set[str] = set()
        #: The current (not superseded) plan row of each project and ledger row of each fact.
        self.plans: dict[str, Row] = {}
        self.facts: dict[FactKey, Row] = {}
        #: Fetched rows this batch superseded, per table.
        self.superseded: dict[Table, list[Row]] = {table: [] for table in self.sql.supersede}
        #: What rate sets and portfolios' choices of them change.
        self.rates = RateRows(views)
        #: What documents' events change.
        self.documents = DocumentRows(views)
        #: What indicators change.
        self.indicators = IndicatorRows(views)
        #: What the ledger's changes make of the sums per value date.
        self.fact_totals = FactTotalsChange(views.fact_totals)
        #: … and of their checkpoints (tracker/readmodel/fact_checkpoints.py).
        self.checkpoints = CheckpointChange(views)
        #: The last position applied.
        self.position: int | None = None
        #: Projects' titles in the readers' languages.
        self.titles = TitleRows(views)

    # Reading what the events refer to

    def fetch(self, conn: Connection, events: Sequence[tuple[int, Any]]) -> None:
        """Fetch the existing rows the events will change, a few ``SELECT``s in all."""
        wanted = References.of(events)
        for row in _select_in(conn, self.sql.select_projects, wanted.projects):
            self.projects[row["project_id"]] = row
        for row in _select_in(conn, self.sql.select_current_plans, wanted.plans):
            self.plans[row["project_id"]] = row
        for row in current_facts(conn, self.views.facts, wanted.facts):
            self.facts[(row["project_id"], row["fact_version"])] = row
        self.documents.fetch(conn, events)
        self.indicators.fetch(conn, events)

    # Applying events in memory

    def apply(self, event: Any, position: int) -> None:
        self.position = position
        if type(event) is StoredFact:
            stored_facts.apply(self, event, position)
            return
        recorded_at = naive_utc(event.timestamp)
        if self.rates.apply(event, position, recorded_at):
            return
        if self.documents.apply(event, position, recorded_at):
            return
        if self.indicators.apply(event, position, recorded_at):
            return
        if isinstance(event, Portfolio.Event):
            self._apply_portfolio_event(event, position, recorded_at)
        elif isinstance(event, Project.Announced):
            self._announce(event, position, recorded_at)
        elif isinstance(event, Project.Event):
            self._apply_project_event(event, position, recorded_at)

    def _apply_portfolio_event(self, event: Any, position: int, recorded_at: datetime) -> None:
        portfolio_id = str(event.originator_id)
        if isinstance(event, Portfolio.Established):
            self.new_rows[self.views.portfolios].append(
                {
                    "portfolio_id": portfolio_id,
                    "name": event.name,
                    "forum": event.forum,
                    "established_on": event.established_on,
                    "illustrative": event.illustrative,
                    "recorded_at": recorded_at,
                }
            )
        elif isinstance(event, Portfolio.TargetsRestated):
            self.new_rows[self.views.targets].append(
                {
                    "portfolio_id": portfolio_id,
                    "version": event.originator_version,
                    "effective_date": event.effective_date,
                    "investment": event.investment.amount,
                    "currency": event.investment.currency,
                    "jobs": event.jobs,
                    "projects": event.projects,
                    **source_values(event),
                    "recorded_at": recorded_at,
                    "recorded_position": position,
                }
            )
        elif isinstance(event, Portfolio.ReportingOrganisationSet):
            self.new_rows[self.views.reporting_organisations].append(
                {
                    "portfolio_id": portfolio_id,
                    "version": event.originator_version,
                    "ref": event.ref,
                    "name": event.name,
                    "organisation_type": event.type,
                    "flow_type": event.flow_type,
                    "recorded_at": recorded_at,
                    "recorded_position": position,
                }
            )
        elif isinstance(event, Portfolio.StatementRecorded):
            self.new_rows[self.views.statements].append(
                {
                    "portfolio_id": portfolio_id,
                    "version": event.originator_version,
                    "effective_date": event.effective_date,
                    "measure": event.measure,
                    "summary": event.summary,
                    "count": event.count,
                    "amount": event.amount.amount if event.amount else None,
                    "currency": event.amount.currency if event.amount else None,
                    "jobs": event.jobs,
                    **source_values(event),
                    "recorded_at": recorded_at,
                    "recorded_position": position,
                }
            )

    def _announce(self, event: Any, position: int, recorded_at: datetime) -> None:
        common = {"project_id": str(event.originator_id), "portfolio_id": str(event.portfolio_id)}
        plan = plan_values(event)
        project = {
            **common,
            **plan,
            "title": event.title,
            "status": Status.ANNOUNCED.value,
            "illustrative": event.illustrative,
            "announced_on": event.effective_date,
            "last_event_on": event.effective_date,
            "last_recorded_at": recorded_at,
            "version": 1,
        }
        self.projects[common["project_id"]] = project
        self.announced.add(common["project_id"])
        self.new_rows[self.views.projects].append(project)
        self._add_plan(
            {
                **common,
                **plan,
                "announced_on": event.effective_date,
                "recorded_at": recorded_at,
                "recorded_position": position,
            }
        )
        self.new_rows[self.views.statuses].append(
            {
                **common,
                "version": 1,
                "status": Status.ANNOUNCED.value,
                "effective_date": event.effective_date,
                "recorded_at": recorded_at,
                "recorded_position": position,
            }
        )

    def _apply_project_event(self, event: Any, position: int, recorded_at: datetime) -> None:
        project = self.project(str(event.originator_id))
        common = {"project_id": project["project_id"], "portfolio_id": project["portfolio_id"]}
        if isinstance(event, Project.MilestoneReached):
            self.new_rows[self.views.milestones].append(
                {
                    **common,
                    "version": event.originator_version,
                    "effective_date": event.effective_date,
                    "recorded_at": recorded_at,
                    "recorded_position": position,
                }
            )
        elif isinstance(event, Project.FactEvent):
            if event.KIND in LEDGER_KINDS:
                self.add_fact(
                    {
                        **common,
                        **fact_values(event, event.KIND),
                        "fact_version": event.originator_version,
                        "recorded_at": recorded_at,
                        "recorded_position": position,
                    }
                )
        elif isinstance(event, Project.StatusEvent):
            self.new_rows[self.views.statuses].append(
                {
                    **common,
                    "version": event.originator_version,
                    "status": event.status.value,
                    "effective_date": event.effective_date,
                    "recorded_at": recorded_at,
                    "recorded_position": position,
                }
            )
            project["status"] = event.status.value
        elif isinstance(event, Project.Corrected) and event.corrects == 1:
            project.update(self._correct_plan(event, project["project_id"], position, recorded_at))
        elif isinstance(event, Project.Corrected):
            self._correct_fact(event, project["project_id"], position, recorded_at)
        elif isinstance(event, Project.Retracted):
            self._supersede_fact((project["project_id"], event.retracts), position, recorded_at)
        elif isinstance(event, Project.TitleTranslated):
            self.titles.add(event, common, position, recorded_at)
        project["version"] = event.originator_version
        project["last_recorded_at"] = recorded_at
        if event.NEWS:  # a translated title is not news of the project
            project["last_event_on"] = max(project["last_event_on"], event.effective_date)
        if project["project_id"] not in self.announced:
            self.changed_projects.add(project["project_id"])

    def _add_plan(self, row: Row) -> None:
        row.update(superseded_at=None, superseded_position=None)
        self.plans[row["project_id"]] = row
        self.new_rows[self.views.plans].append(row)

    def add_fact(self, row: Row) -> None:
        row.update(superseded_at=None, superseded_position=None)
        self.facts[(row["project_id"], row["fact_version"])] = row
        self.new_rows[self.views.facts].append(row)

    def project(self, project_id: str) -> Row:
        """The current row of a project the batch's events refer to."""
        return _found(self.projects, project_id, "project")

    def _supersede(self, table: Table, row: Row, position: int, recorded_at: datetime) -> None:
        """Close ``row``: in memory if this batch created it, else by its id when written."""
        if "id" in row:
            self.superseded[table].append(
                {"row_id": row["id"], "at": recorded_at, "position": position}
            )
        else:
            row.update(superseded_at=recorded_at, superseded_position=position)

    def _supersede_fact(self, key: FactKey, position: int, recorded_at: datetime) -> Row | None:
        """Close the current row of a fact; return it (``None`` if it is not a ledger fact)."""
        current = self.facts.pop(key, None)
        if current is not None:
            if "id" in current and self.totals:  # stored, so counted in the sums: taken off
                self.fact_totals.add(current, self._illustrative(key[0]), sign=-1)
                self.checkpoints.add_closed(current, self._illustrative(key[0]), recorded_at)
            self._supersede(self.views.facts, current, position, recorded_at)
        return current

    def _illustrative(self, project_id: str) -> bool:
        return bool(_found(self.projects, project_id, "project")["illustrative"])

    def _correct_fact(
        self, event: Any, project_id: str, position: int, recorded_at: datetime
    ) -> None:
        """Supersede the corrected ledger row and open one with the replacement values."""
        old = self._supersede_fact((project_id, event.corrects), position, recorded_at)
        if old is None:
            return
        values = event.replacement.given()
        row = reopened(old, position, recorded_at)
        if "amount" in values:
            row.update(amount=values["amount"].amount, currency=values["amount"].currency)
        for name in ("effective_date", "permanent", "temporary"):
            if name in values:
                row[name] = values[name]
        self.add_fact(row)

    def _correct_plan(
        self, event: Any, project_id: str, position: int, recorded_at: datetime
    ) -> Row:
        """Supersede the plan row and open the corrected one; return the project's changes."""
        values = event.replacement.given()
        current = _found(self.plans, project_id, "current plan")
        del self.plans[project_id]
        self._supersede(self.views.plans, current, position, recorded_at)
        replacement = plan_replacement(values)
        self._add_plan({**reopened(current, position, recorded_at), **replacement})
        if "title" in values:
            replacement["title"] = values["title"]
        return replacement

    # Writing

    def write(self, conn: Connection) -> None:
        """Write every change with one executemany per table and kind of change."""
        for row in self.new_rows[self.views.facts] if self.totals else ():
            if row["superseded_at"] is None:  # still current once the batch is applied
                self.fact_totals.add(row, self._illustrative(row["project_id"]))
            self.checkpoints.add_row(row, self._illustrative(row["project_id"]))
        for table, rows in self.new_rows.items():
            append_rows(conn, table, rows if self.nul_free else [storable(row) for row in rows])
        for table, closed in self.superseded.items():
            if closed:
                conn.execute(self.sql.supersede[table], closed)
        if self.changed_projects:
            conn.execute(
                self.sql.update_project,
                [
                    {"row_id": project_id, **storable(_project_changes(self.projects[project_id]))}
                    for project_id in sorted(self.changed_projects)
                ],
            )
        self.rates.write(conn)
        self.documents.write(conn)
        self.indicators.write(conn)
        self.fact_totals.write(conn)
        if self.totals:
            self.checkpoints.write(conn, self.position)
        self.titles.write(conn)


def _select_in(conn: Connection, statement: Any, keys: Iterable[Any]) -> Iterator[Row]:
    """The rows ``statement`` finds for ``keys`` (its expanding ``ids``), a chunk at a time."""
    wanted = sorted(keys)
    for start in range(0, len(wanted), IN_CHUNK):
        for row in conn.execute(statement, {"ids": wanted[start : start + IN_CHUNK]}):
            yield dict(row._mapping)


def _found(rows: dict[Any, Row], key: Any, what: str) -> Row:
    """The row an event refers to; a view without it cannot be projected further."""
    try:
        return rows[key]
    except KeyError:
        raise NoResultFound(f"the read model has no {what} row for {key}") from None


def _project_changes(project: Row) -> Row:
    return {name: project[name] for name in PROJECT_CHANGES}
