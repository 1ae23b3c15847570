"""Facts (commitments, disbursements, jobs, milestones) go from their stored state straight
into rows (tracker/readmodel/stored_facts.py) instead of through domain events: the view must
be the one domain events make, row for row, and such a fact that cannot be decoded or
applied is still set aside with its reason, not fatal. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from sqlalchemy import Engine

from tests.integration.busy_history import busy_history, busy_project, establish
from tests.integration.projected_view import assert_applied_exactly_once, view_rows
from tracker.application import TrackerApplication
from tracker.readmodel import projector as projector_module
from tracker.readmodel import stored_facts
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import rebuild
from tracker.readmodel.view_batch import ViewBatch


def test_facts_taken_straight_from_the_store_make_the_rows_domain_events_make(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    portfolio = establish(tracker)
    busy_history(tracker, portfolio, 0, 4)
    projector = Projector(tracker, engine)
    with monkeypatch.context() as patched:  # the domain events' path for every event
        patched.setattr(projector_module, "decoder", lambda mapper: mapper.to_domain_event)
        projector.catch_up()
    through_domain_events = view_rows(engine)
    taken: list[str] = []
    apply = stored_facts.apply

    def counted(batch: ViewBatch, fact: stored_facts.StoredFact, position: int) -> None:
        taken.append(fact.kind)
        apply(batch, fact, position)

    monkeypatch.setattr(stored_facts, "apply", counted)

    rebuild(projector)

    assert {"committed", "disbursed", "jobs_created", "milestone"} <= set(taken)
    assert view_rows(engine) == through_domain_events
    assert_applied_exactly_once(tracker, engine)


def stored_fact(
    tracker: TrackerApplication, project: UUID, state: dict[str, object], version: int
) -> int:
    """A commitment stored as the project's event ``version``, with ``state`` as its fields."""
    data = json.dumps(state).encode()
    stored = StoredEvent(project, version, "tracker:Project.InvestmentCommitted", data)
    return tracker.recorder.insert_events([stored])[0]


@pytest.mark.parametrize("batch", [1, 1000])
def test_a_fact_that_cannot_be_decoded_or_applied_is_set_aside(
    tracker: TrackerApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(projector_module, "BATCH", batch)
    portfolio = establish(tracker)
    first = busy_project(tracker, portfolio, 1)
    undecodable = stored_fact(
        tracker, first, {"amount": "a lot"}, tracker.project(first).version + 1
    )
    envelope = {
        "timestamp": "2025-01-01T00:00:00Z",
        "actor": "x",
        "effective_date": "2025-01-01",
        "source": None,
        "idempotency_key": None,
        "command_digest": None,
        "amount": {"amount": "5.00", "currency": "USD"},
    }
    unknown_project = stored_fact(tracker, UUID(int=7), envelope, 2)
    second = busy_project(tracker, portfolio, 2)
    projector = Projector(tracker, engine)

    assert projector.catch_up() == tracker.recorder.max_notification_id()

    failures = {failure.position: failure.error for failure in projector.set_aside()}
    assert failures.keys() == {undecodable, unknown_project}
    assert failures[undecodable].startswith("MapperDeserialisationError: cannot decode")
    assert "no project row" in failures[unknown_project]
    projects = view_rows(engine)["rm_projects"]
    assert {str(first), str(second)} <= {row[0] for row in projects}
    # A rebuild meets the same events and sets them aside again.
    rebuild(projector)
    assert {failure.position for failure in projector.set_aside()} == failures.keys()
