"""Ledger facts and milestones taken from their stored state straight into rows.

Most of a log is a project's facts (commitments, disbursements, jobs, milestones), and each
becomes one row. Making each into a domain event first (its field dict, its object, its
originator's id) and then finding out what it is cost as much as reading the log; here such
an event's stored state is decoded and checked by the store's mapper exactly as for a domain
event (:meth:`MsgspecMapper.decoded_state`: an event it cannot decode fails alike, and is set
aside alike), and its few values go into the batch's rows. Every other event is a domain
event, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracker.domain.project import Project
from tracker.eventstore.encoding import MsgspecMapper
from tracker.eventstore.recorders import Stored
from tracker.readmodel.database import naive_utc
from tracker.readmodel.project_rows import fact_values

#: The event classes taken straight into rows, by stored topic.
CLASSES: dict[str, type[Project.FactEvent]] = {
    cls.TOPIC: cls
    for cls in (
        Project.InvestmentCommitted,
        Project.FundsDisbursed,
        Project.JobsCreated,
        Project.MilestoneReached,
    )
}


class StoredFact:
    """A project's fact as stored: what the read model needs of it, its state undecorated."""

    __slots__ = ("kind", "project_id", "state", "version")

    def __init__(self, project_id: str, version: int, kind: str, state: Any) -> None:
        self.project_id = project_id
        self.version = version
        self.kind = kind
        #: The event's fields, as the mapper's struct (``timestamp``, ``effective_date``, …).
        self.state = state


def decoder(mapper: MsgspecMapper) -> Callable[[Stored], Any]:
    """What a stored event becomes for the read model: a :class:`StoredFact` for a fact,
    else the domain event."""
    to_event = mapper.to_domain_event
    decoded_state = mapper.decoded_state
    classes = CLASSES

    def decode(notification: Stored) -> Any:
        cls = classes.get(notification.topic)
        if cls is None:
            return to_event(notification)
        return StoredFact(
            str(notification.originator_id),
            notification.originator_version,
            cls.KIND,
            decoded_state(notification, cls),
        )

    return decode


def apply(batch: Any, fact: StoredFact, position: int) -> None:
    """Apply ``fact`` to a :class:`~tracker.readmodel.view_batch.ViewBatch`, as its
    ``_apply_project_event`` applies the domain event."""
    state = fact.state
    recorded_at = naive_utc(state.timestamp)
    project = batch.project(fact.project_id)
    project_id = fact.project_id
    row = {
        "project_id": project_id,
        "portfolio_id": project["portfolio_id"],
        "effective_date": state.effective_date,
        "recorded_at": recorded_at,
        "recorded_position": position,
    }
    if fact.kind == "milestone":
        row["version"] = fact.version
        batch.new_rows[batch.views.milestones].append(row)
    else:
        row.update(fact_values(state, fact.kind), fact_version=fact.version)
        batch.add_fact(row)
    project["version"] = fact.version
    project["last_recorded_at"] = recorded_at
    project["last_event_on"] = max(project["last_event_on"], state.effective_date)
    if project_id not in batch.announced:
        batch.changed_projects.add(project_id)
