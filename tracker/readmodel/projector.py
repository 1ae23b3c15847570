"""The projector: applies each stored event to the read-model tables exactly once.

Each batch of events and the new position are written in one transaction, and the position
only moves if nobody else moved it meanwhile (``UPDATE … WHERE position = old``): a crash,
a restart or a second projector process never double-counts or skips an event.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Notification
from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tracker.application import TrackerApplication
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.status import Status
from tracker.readmodel import tables as t

NAME = "readmodel"
BATCH = 500


class PositionMoved(Exception):
    """Another projector applied the same events first; this batch was rolled back."""


def naive_utc(moment: datetime) -> datetime:
    """Recorded times are stored as naive UTC on both databases."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class Projector:
    def __init__(self, tracker: TrackerApplication, engine: Engine, *, name: str = NAME) -> None:
        self.tracker = tracker
        self.engine = engine
        self.name = name
        self._lock = threading.Lock()
        self._applied = threading.Condition()
        self._position: int | None = None
        #: Called after each committed batch with the new position (e.g. to wake SSE clients).
        self.listeners: list[Callable[[int], None]] = []

    # Positions

    def applied_position(self) -> int:
        with self.engine.connect() as conn:
            return self._read_position(conn)

    @property
    def seen_position(self) -> int | None:
        """The last position this process saw applied (no database round trip)."""
        return self._position

    def head_position(self) -> int:
        return self.tracker.recorder.max_notification_id() or 0

    def _read_position(self, conn: Connection) -> int:
        position = conn.execute(
            select(t.projection_position.c.position).where(
                t.projection_position.c.name == self.name
            )
        ).scalar_one_or_none()
        return int(position or 0)

    def _ensure_position_row(self) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(func.count()).where(t.projection_position.c.name == self.name)
            ).scalar_one()
            if exists:
                return
            try:
                conn.execute(insert(t.projection_position).values(name=self.name, position=0))
            except IntegrityError:  # another process inserted it first: fine
                conn.rollback()

    # Applying

    def catch_up(self, *, until: int | None = None) -> int:
        """Apply every event recorded so far (or up to ``until``); return the position."""
        with self._lock:
            self._ensure_position_row()
            while True:
                try:
                    applied = self._apply_next_batch(until)
                except PositionMoved:
                    continue
                if applied is None:
                    break
                self._announce(applied)
            position = self.applied_position()
            self._announce(position)
            return position

    def _apply_next_batch(self, until: int | None) -> int | None:
        with self.engine.begin() as conn:
            start = self._read_position(conn)
            if until is not None and start >= until:
                return None
            notifications = self.tracker.recorder.select_notifications(
                start=start, limit=BATCH, stop=until, inclusive_of_start=False
            )
            if not notifications:
                return None
            # Lock the position row before writing (a row lock on PostgreSQL, the write lock
            # on SQLite), so that a rival projector waits here until this batch commits
            # instead of writing the same rows beside it; then make sure nobody moved it.
            self._lock_position(conn)
            if self._read_position(conn) != start:
                raise PositionMoved(f"{self.name} moved past {start} before this batch")
            self.apply(conn, notifications)
            end = notifications[-1].id
            moved = conn.execute(
                update(t.projection_position)
                .where(t.projection_position.c.name == self.name)
                .where(t.projection_position.c.position == start)
                .values(position=end)
            ).rowcount
            if moved != 1:
                raise PositionMoved(f"{self.name} moved past {start} during this batch")
            return end

    def _lock_position(self, conn: Connection) -> None:
        conn.execute(
            update(t.projection_position)
            .where(t.projection_position.c.name == self.name)
            .values(position=t.projection_position.c.position)
        )

    def apply(self, conn: Connection, notifications: Sequence[Notification]) -> None:
        """Apply a batch inside the caller's transaction (the view change and nothing else)."""
        for notification in notifications:
            event = self.tracker.mapper.to_domain_event(notification)
            apply_event(conn, event, notification.id)

    def _announce(self, position: int) -> None:
        with self._applied:
            if self._position is None or position > self._position:
                self._position = position
                self._applied.notify_all()
        for listener in self.listeners:
            listener(position)

    def wait_for(self, position: int, timeout: float) -> int:
        """Block until this process has seen ``position`` applied (or time is up)."""
        with self._applied:
            self._applied.wait_for(
                lambda: self._position is not None and self._position >= position, timeout
            )
        return self.applied_position()

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Empty the view and apply the whole log again."""
        with self._lock:
            with self.engine.begin() as conn:
                for table in t.DERIVED:
                    conn.execute(table.delete())
            self._position = None
        self._ensure_position_row()
        head = self.head_position()
        while True:
            with self._lock:
                try:
                    applied = self._apply_next_batch(None)
                except PositionMoved:
                    continue
            if applied is None:
                break
            if progress:
                progress(applied, head)
        position = self.catch_up()
        self.refresh_statistics()
        return position

    def refresh_statistics(self) -> None:
        """After a bulk change, let the query planner see the new sizes of the tables."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                schema = conn.get_execution_options()["schema_translate_map"][None]
                quote = conn.dialect.identifier_preparer.quote
                for table in t.DERIVED:
                    conn.execute(text(f"ANALYZE {quote(schema)}.{quote(table.name)}"))
            else:
                conn.execute(text("PRAGMA optimize"))


# How each event changes the view


def apply_event(conn: Connection, event: Any, position: int) -> None:
    recorded_at = naive_utc(event.timestamp)
    if isinstance(event, Portfolio.Event):
        _apply_portfolio_event(conn, event, position, recorded_at)
        return
    if not isinstance(event, Project.Event):
        return
    project_id = str(event.originator_id)
    if isinstance(event, Project.Announced):
        _announce(conn, event, position, recorded_at)
        return
    portfolio_id = conn.execute(
        select(t.projects.c.portfolio_id).where(t.projects.c.project_id == project_id)
    ).scalar_one()
    common = {"project_id": project_id, "portfolio_id": portfolio_id}
    changes: dict[str, Any] = {}
    if isinstance(event, Project.FactEvent):
        if event.KIND in {"committed", "disbursed", "jobs_created"}:
            conn.execute(
                insert(t.facts).values(
                    **common,
                    **_fact_values(event),
                    fact_version=event.originator_version,
                    recorded_at=recorded_at,
                    recorded_position=position,
                )
            )
    elif isinstance(event, Project.StatusEvent):
        conn.execute(
            insert(t.statuses).values(
                **common,
                version=event.originator_version,
                status=event.status.value,
                effective_date=event.effective_date,
                recorded_at=recorded_at,
                recorded_position=position,
            )
        )
        changes["status"] = event.status.value
    elif isinstance(event, Project.Corrected):
        changes.update(_correct(conn, event, common, position, recorded_at))
    elif isinstance(event, Project.Retracted):
        _supersede_fact(conn, project_id, event.retracts, position, recorded_at)
    last_event_on = conn.execute(
        select(t.projects.c.last_event_on).where(t.projects.c.project_id == project_id)
    ).scalar_one()
    conn.execute(
        update(t.projects)
        .where(t.projects.c.project_id == project_id)
        .values(
            **changes,
            version=event.originator_version,
            last_recorded_at=recorded_at,
            last_event_on=max(last_event_on, event.effective_date),
        )
    )


def _apply_portfolio_event(
    conn: Connection, event: Any, position: int, recorded_at: datetime
) -> None:
    portfolio_id = str(event.originator_id)
    if isinstance(event, Portfolio.Established):
        conn.execute(
            insert(t.portfolios).values(
                portfolio_id=portfolio_id,
                name=event.name,
                forum=event.forum,
                established_on=event.established_on,
                illustrative=event.illustrative,
                recorded_at=recorded_at,
            )
        )
    elif isinstance(event, Portfolio.TargetsRestated):
        conn.execute(
            insert(t.targets).values(
                portfolio_id=portfolio_id,
                version=event.originator_version,
                effective_date=event.effective_date,
                investment=event.investment.amount,
                currency=event.investment.currency,
                jobs=event.jobs,
                projects=event.projects,
                source_title=event.source.title if event.source else None,
                source_url=event.source.url if event.source else None,
                recorded_at=recorded_at,
                recorded_position=position,
            )
        )


def _plan_values(plan: Any) -> dict[str, Any]:
    """The plan columns, from an ``Announced`` event (or anything shaped like a plan)."""
    return {
        "sector": plan.sector,
        "regions": " ".join(plan.regions),
        "countries": " ".join(plan.countries),
        "planned_investment": plan.planned_investment.amount,
        "currency": plan.planned_investment.currency,
        "planned_jobs": plan.planned_jobs,
    }


def _announce(conn: Connection, event: Any, position: int, recorded_at: datetime) -> None:
    common = {"project_id": str(event.originator_id), "portfolio_id": str(event.portfolio_id)}
    plan = _plan_values(event)
    conn.execute(
        insert(t.projects).values(
            **common,
            **plan,
            title=event.title,
            status=Status.ANNOUNCED.value,
            illustrative=event.illustrative,
            announced_on=event.effective_date,
            last_event_on=event.effective_date,
            last_recorded_at=recorded_at,
            version=1,
        )
    )
    conn.execute(
        insert(t.plans).values(
            **common,
            **plan,
            announced_on=event.effective_date,
            recorded_at=recorded_at,
            recorded_position=position,
        )
    )
    conn.execute(
        insert(t.statuses).values(
            **common,
            version=1,
            status=Status.ANNOUNCED.value,
            effective_date=event.effective_date,
            recorded_at=recorded_at,
            recorded_position=position,
        )
    )


def _fact_values(event: Any) -> dict[str, Any]:
    amount = getattr(event, "amount", None)
    return {
        "kind": event.KIND,
        "amount": amount.amount if amount else None,
        "currency": amount.currency if amount else None,
        "permanent": getattr(event, "permanent", 0),
        "temporary": getattr(event, "temporary", 0),
        "effective_date": event.effective_date,
    }


def _supersede_fact(
    conn: Connection, project_id: str, version: int, position: int, recorded_at: datetime
) -> dict[str, Any] | None:
    """Close the current row of a fact; return its values (``None`` if it is not a ledger fact)."""
    current = conn.execute(
        select(t.facts)
        .where(t.facts.c.project_id == project_id)
        .where(t.facts.c.fact_version == version)
        .where(t.facts.c.superseded_position.is_(None))
    ).one_or_none()
    if current is None:
        return None
    conn.execute(
        update(t.facts)
        .where(t.facts.c.id == current.id)
        .values(superseded_at=recorded_at, superseded_position=position)
    )
    return dict(current._mapping)


def _correct(
    conn: Connection, event: Any, common: dict[str, str], position: int, recorded_at: datetime
) -> dict[str, Any]:
    """Supersede the corrected row and open one with the replacement values."""
    values = event.replacement.given()
    if event.corrects == 1:
        current = conn.execute(
            select(t.plans)
            .where(t.plans.c.project_id == common["project_id"])
            .where(t.plans.c.superseded_position.is_(None))
        ).one()
        conn.execute(
            update(t.plans)
            .where(t.plans.c.id == current.id)
            .values(superseded_at=recorded_at, superseded_position=position)
        )
        row = {k: v for k, v in current._mapping.items() if k != "id"}
        row.update(_plan_replacement(values))
        row.update(recorded_at=recorded_at, recorded_position=position)
        row.update(superseded_at=None, superseded_position=None)
        conn.execute(insert(t.plans).values(**row))
        changes = _plan_replacement(values)
        if "title" in values:
            changes["title"] = values["title"]
        return changes
    old = _supersede_fact(conn, common["project_id"], event.corrects, position, recorded_at)
    if old is not None:
        row = {k: v for k, v in old.items() if k != "id"}
        if "amount" in values:
            row.update(amount=values["amount"].amount, currency=values["amount"].currency)
        for name in ("effective_date", "permanent", "temporary"):
            if name in values:
                row[name] = values[name]
        row.update(recorded_at=recorded_at, recorded_position=position)
        row.update(superseded_at=None, superseded_position=None)
        conn.execute(insert(t.facts).values(**row))
    return {}


def _plan_replacement(values: dict[str, Any]) -> dict[str, Any]:
    plan: dict[str, Any] = {}
    if "sector" in values:
        plan["sector"] = values["sector"]
    for name in ("regions", "countries"):
        if name in values:
            plan[name] = " ".join(values[name])
    if "planned_investment" in values:
        plan["planned_investment"] = values["planned_investment"].amount
        plan["currency"] = values["planned_investment"].currency
    if "planned_jobs" in values:
        plan["planned_jobs"] = values["planned_jobs"]
    return plan
