"""The import workspace: the aggregates a file touches, in memory, as its rows leave them.

The check applies every row here with nothing saved, so the domain's own rules judge each
row in file order; the events of its new rows are what the recording saves
(tracker/transfer/checked_events.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from tracker.application import TrackerApplication
from tracker.domain import commands as c
from tracker.domain.amendments import event_kind
from tracker.domain.base import CommandRecord, TrackedAggregate, earlier_command
from tracker.domain.document import Document
from tracker.domain.errors import N_, Conflict, IdempotencyKeyReused, ValidationError
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import NO_EVENTS, Project
from tracker.domain.rate_set import RateSet, check_rate
from tracker.domain.values import Envelope, Money
from tracker.transfer.document_rows import ChangeDocument, SignDocument
from tracker.transfer.rate_rows import ChooseRateSets, EstablishRateSet, PublishRate
from tracker.transfer.references import (
    document_id_for,
    portfolio_id_for,
    project_id_for,
    rate_set_id_for,
    row_key,
)
from tracker.transfer.rows import (
    Announce,
    CorrectRow,
    EstablishPortfolio,
    Payload,
    RecordEvent,
    RecordStatement,
    RetractRow,
    Row,
    SetReportingOrganisation,
)

Outcome = Literal["new", "already recorded"]


class Workspace:
    """Aggregates as the rows applied so far leave them; existing ones load from the store.

    It also remembers which version each row_id produced: for this file's rows that a
    correction or retraction names (``referenced``; every row when it is ``None``) as they
    are applied, and for earlier imports from the stored receipts, read once per window of
    rows for each aggregate that was in the store before, for the keys the window mentions.

    Nothing is saved here: the events each new row makes are handed over (``made``) and
    dropped from the aggregate at once, and kept only if a later row may need them (the
    events of named rows, corrections and retractions), so the workspace holds the
    aggregates, not the events.
    """

    def __init__(
        self,
        tracker: TrackerApplication,
        *,
        referenced: set[tuple[UUID, str]] | None = None,
    ) -> None:
        self.tracker = tracker
        self.aggregates: dict[UUID, TrackedAggregate | None] = {}
        self.created_on_line: dict[UUID, int] = {}
        self.referenced = referenced
        self.stored: set[UUID] = set()  # aggregates that were in the store when loaded
        self.wanted: dict[UUID, set[str]] = {}
        self.receipts: dict[UUID, dict[str, CommandRecord]] = {}  # this window's, stored
        self.records: dict[UUID, dict[str, CommandRecord]] = {}  # this run's, named rows
        self.unsaved: dict[tuple[UUID, int], Any] = {}
        #: The events the last new row made (the check keeps them to record).
        self.made: list[Any] = []

    def begin(self, window: Sequence[Row]) -> None:
        """Start on a window of rows: the keys they carry or name, per aggregate in the
        store (only those have receipts to read). The aggregates the window names for the
        first time that are not in the store are found in one read (a new aggregate is not
        looked for row by row)."""
        self.receipts = {}
        ids = [row.aggregate_id for row in window]  # worked out once a row
        named = set(ids)
        for row in window:
            if row.portfolio_ref:
                named.add(portfolio_id_for(row.portfolio_ref))
        unknown = named.difference(self.aggregates)
        stored = self.tracker.store.stored_aggregates(unknown) if unknown else set()
        for aggregate_id in unknown - stored:
            self.aggregates[aggregate_id] = None
        stored.update(self.stored)
        self.wanted = (
            _keys_by_aggregate(
                row for row, aggregate_id in zip(window, ids, strict=True) if aggregate_id in stored
            )
            if stored
            else {}  # all new (a first import): no keys to look up
        )

    def get(self, aggregate_id: UUID) -> TrackedAggregate | None:
        if aggregate_id not in self.aggregates:
            found: Any = None
            try:
                found = self.tracker.repository.get(aggregate_id)
            except AggregateNotFoundError:
                found = None
            self.aggregates[aggregate_id] = found
            if found is not None:
                self.stored.add(aggregate_id)
        if aggregate_id in self.stored and aggregate_id not in self.receipts:
            wanted = self.wanted.get(aggregate_id, ())
            self.receipts[aggregate_id] = (
                self.tracker.command_records(aggregate_id, wanted) if wanted else {}
            )
        return self.aggregates[aggregate_id]

    def portfolio(self, ref: str, *, column: str = "portfolio_ref") -> Portfolio:
        aggregate = self.get(portfolio_id_for(ref))
        if not isinstance(aggregate, Portfolio):
            raise ValidationError(
                N_("there is no portfolio %(ref)r (establish it with a 'portfolio' row first)"),
                ref=ref,
                field=column,
            )
        return aggregate

    def project(self, ref: str) -> Project:
        aggregate = self.get(project_id_for(ref))
        if not isinstance(aggregate, Project):
            raise ValidationError(
                N_("there is no project %(ref)r (announce it with an 'announced' row first)"),
                ref=ref,
                field="project_ref",
            )
        return aggregate

    def rate_set(self, ref: str, *, column: str = "rate_set_ref") -> RateSet:
        aggregate = self.get(rate_set_id_for(ref))
        if not isinstance(aggregate, RateSet):
            raise ValidationError(
                N_("there is no rate set %(ref)r (establish it with a 'rate_set' row first)"),
                ref=ref,
                field=column,
            )
        return aggregate

    def document(self, ref: str) -> Document:
        aggregate = self.get(document_id_for(ref))
        if not isinstance(aggregate, Document):
            raise ValidationError(
                N_("there is no document %(ref)r (record it with a 'document_signed' row first)"),
                ref=ref,
                field="document_ref",
            )
        return aggregate

    def linked_projects(self, portfolio_id: UUID, refs: Iterable[str]) -> tuple[UUID, ...]:
        """The projects a document names, by their references: each must be a project of
        the document's portfolio, announced before the row that names it."""
        found = []
        for index, ref in enumerate(refs):
            aggregate = self.get(project_id_for(ref))
            if not isinstance(aggregate, Project) or aggregate.portfolio_id != portfolio_id:
                raise ValidationError(
                    N_(
                        "there is no project %(ref)r in the document's portfolio (announce it "
                        "before the row that names it)"
                    ),
                    ref=ref,
                    field=f"projects[{index}]",
                )
            found.append(aggregate.id)
        return tuple(found)

    def apply(self, row: Row, actor: str, today: date) -> tuple[Outcome, TrackedAggregate]:
        """Apply one row (``actor``: who imports, for a row that names nobody); say whether it
        is new or was recorded by an earlier import. ``today`` dates the rows that give no
        effective date, and the domain refuses effective dates after it."""
        envelope = Envelope(
            actor=row.actor or actor,
            effective_date=row.effective_date or today,
            source=row.source,
            idempotency_key=row.key,
            command_digest=row.digest,
            today=today,
        )
        payload = row.payload
        if isinstance(payload, RecordEvent | CorrectRow | RetractRow):  # most rows
            project = self.project(row.project_ref or "")
            if self._already(project, envelope):
                return "already recorded", project
            command, events = self._command(project, payload)
            project.execute(command, envelope, events=events)
            return self._new(project, envelope)
        if isinstance(payload, EstablishPortfolio | EstablishRateSet):
            return self._create(row, envelope, payload)
        if isinstance(payload, PublishRate | ChooseRateSets):
            return self._rates(row, envelope, payload)
        if isinstance(payload, Announce | SignDocument):
            self.portfolio(row.portfolio_ref or "")
            return self._create(row, envelope, payload)
        if isinstance(payload, ChangeDocument):
            return self._change_document(row, envelope, payload)
        # what is left: a portfolio's targets, statement or reporting organisation
        portfolio = self.portfolio(row.portfolio_ref or "")
        if self._already(portfolio, envelope):
            return "already recorded", portfolio
        if isinstance(payload, SetReportingOrganisation):
            portfolio.set_reporting_organisation(payload.organisation, envelope)
        elif isinstance(payload, RecordStatement):
            portfolio.record_statement(
                payload.measure,
                payload.summary,
                envelope,
                count=payload.count,
                amount=payload.amount,
                jobs=payload.jobs,
            )
        else:
            portfolio.restate_targets(payload.investment, payload.jobs, payload.projects, envelope)
        return self._new(portfolio, envelope)

    def _rates(
        self, row: Row, envelope: Envelope, payload: PublishRate | ChooseRateSets
    ) -> tuple[Outcome, TrackedAggregate]:
        """Publish one rate in a set, or record the rate sets a portfolio chose."""
        aggregate: RateSet | Portfolio
        if isinstance(payload, PublishRate):
            aggregate = self.rate_set(row.rate_set_ref or "")
            if self._already(aggregate, envelope):
                return "already recorded", aggregate
            check_rate(payload.rate, today=envelope.today)
            if not aggregate.publish([payload.rate], envelope):
                return "already recorded", aggregate  # the set publishes it with this value
            return self._new(aggregate, envelope)
        aggregate = self.portfolio(row.portfolio_ref or "")
        if self._already(aggregate, envelope):
            return "already recorded", aggregate
        chosen = [self.rate_set(ref, column="rate_sets").id for ref in payload.rate_set_refs]
        aggregate.choose_rate_sets(chosen, envelope)
        return self._new(aggregate, envelope)

    def _change_document(
        self, row: Row, envelope: Envelope, payload: ChangeDocument
    ) -> tuple[Outcome, TrackedAggregate]:
        document = self.document(row.document_ref or "")
        if self._already(document, envelope):
            return "already recorded", document
        refs = payload.project_refs
        projects = None if refs is None else self.linked_projects(document.portfolio_id, refs)
        payload.apply(document, envelope, projects)
        return self._new(document, envelope)

    def _new(
        self, aggregate: TrackedAggregate, envelope: Envelope
    ) -> tuple[Outcome, TrackedAggregate]:
        key = envelope.idempotency_key
        named = key is not None and (
            self.referenced is None or (aggregate.id, key) in self.referenced
        )
        if key is not None and named:
            self.records.setdefault(aggregate.id, {})[key] = CommandRecord(
                envelope.command_digest, aggregate.version
            )
        self.made = list(aggregate.collect_events())
        for event in self.made:
            if named or isinstance(event, Project.Corrected | Project.Retracted):
                self.unsaved[(aggregate.id, event.originator_version)] = event
        return "new", aggregate

    def _record_of(self, aggregate_id: UUID, key: str) -> CommandRecord | None:
        record = self.receipts.get(aggregate_id, {}).get(key)
        return record if record is not None else self.records.get(aggregate_id, {}).get(key)

    def _already(self, aggregate: TrackedAggregate, envelope: Envelope) -> bool:
        key = envelope.idempotency_key
        record = None if key is None else self._record_of(aggregate.id, key)
        try:
            return earlier_command(record, envelope) is not None
        except IdempotencyKeyReused:
            raise IdempotencyKeyReused(
                N_(
                    "this row_id was already imported with different values; give a changed row "
                    "a new row_id (or record a correction)"
                ),
                field="row_id",
            ) from None

    def _version_of(self, project: Project, row_id: str, column: str) -> int:
        record = self._record_of(project.id, row_key(row_id))
        if record is None:
            raise ValidationError(
                N_(
                    "this project has no imported row %(row_id)r (it must come earlier in this "
                    "file or from an earlier import)"
                ),
                row_id=row_id,
                field=column,
            )
        return record.version

    def _history(self, project: Project, version: int) -> dict[int, Project.Event]:
        """Event ``version`` and the corrections made to it, by version: applied in this run
        (kept while checking, or not saved yet), or stored."""
        versions = project.history_of(version)
        found = {
            v: self.unsaved[(project.id, v)] for v in versions if (project.id, v) in self.unsaved
        }
        rest = [v for v in versions if v not in found]
        if rest:
            found.update(self.tracker.events_at(project, rest))
        return found

    def _create(
        self,
        row: Row,
        envelope: Envelope,
        payload: EstablishPortfolio | Announce | EstablishRateSet | SignDocument,
    ) -> tuple[Outcome, TrackedAggregate]:
        new_id = row.aggregate_id
        column = (
            "portfolio_ref"
            if isinstance(payload, EstablishPortfolio)
            else "rate_set_ref"
            if isinstance(payload, EstablishRateSet)
            else "document_ref"
            if isinstance(payload, SignDocument)
            else "project_ref"
        )
        existing = self.get(new_id)
        if existing is not None:
            if self._already(existing, envelope):
                return "already recorded", existing
            where = self.created_on_line.get(new_id)
            if where:
                raise Conflict(
                    N_(
                        "%(ref)r already names a record (created on line %(line)s); give this "
                        "row's %(column)s another reference"
                    ),
                    ref=row.ref,
                    line=where,
                    column=column,
                    field=column,
                )
            raise Conflict(
                N_(
                    "%(ref)r already names a record that this row did not create; give this "
                    "row's %(column)s another reference"
                ),
                ref=row.ref,
                column=column,
                field=column,
            )
        aggregate: TrackedAggregate
        if isinstance(payload, EstablishRateSet):
            aggregate = RateSet.establish(
                payload.name, envelope, illustrative=payload.illustrative, rate_set_id=new_id
            )
        elif isinstance(payload, SignDocument):
            portfolio = self.portfolio(row.portfolio_ref or "")
            terms = payload.terms(self.linked_projects(portfolio.id, payload.project_refs))
            aggregate = Document.sign(portfolio.id, terms, envelope, document_id=new_id)
        elif isinstance(payload, EstablishPortfolio):
            aggregate = Portfolio.establish(
                payload.name,
                payload.forum,
                envelope.effective_date,
                envelope,
                illustrative=payload.illustrative,
                portfolio_id=new_id,
            )
        else:
            portfolio = self.portfolio(row.portfolio_ref or "")
            aggregate = Project.announce(
                portfolio.id,
                payload.plan,
                envelope,
                illustrative=payload.illustrative,
                project_id=new_id,
            )
        self.aggregates[new_id] = aggregate
        self.created_on_line[new_id] = row.line
        return self._new(aggregate, envelope)

    def _command(
        self, project: Project, payload: Payload
    ) -> tuple[c.ProjectCommand, Mapping[int, Project.Event]]:
        """The row's command, with the events it needs: the event it corrects or retracts
        and the corrections made to that event so far."""
        if isinstance(payload, RecordEvent):
            return payload.command, NO_EVENTS
        if isinstance(payload, RetractRow):
            version = self._version_of(project, payload.retracts, "retracts")
            return c.Retract(version, payload.reason), self._history(project, version)
        assert isinstance(payload, CorrectRow)
        version = self._version_of(project, payload.corrects, "corrects")
        events = self._history(project, version)
        target = events.get(version)
        replacement = payload.replacement
        if payload.amount is not None or payload.currency is not None:
            # A blank amount or currency keeps the corrected value's.
            kind = event_kind(target) if target is not None else None
            current = (
                project.plan.planned_investment
                if kind == "announced"
                else project.current_fact(target, events).amount
                if isinstance(target, Project.FactEvent)
                else None
            )
            if current is None:
                raise ValidationError(
                    N_("a %(kind)r event has no amount to correct"),
                    kind=kind,
                    field="replacement.amount",
                )
            money = Money(
                payload.amount if payload.amount is not None else current.amount,
                payload.currency or current.currency,
            )
            if kind == "announced":
                replacement = replace(replacement, planned_investment=money)
            else:
                replacement = replace(replacement, amount=money)
        return c.Correct(version, payload.reason, replacement), events


def _keys_by_aggregate(rows: Iterable[Row]) -> dict[UUID, set[str]]:
    """The idempotency keys each aggregate's rows carry or name (corrects, retracts)."""
    wanted: dict[UUID, set[str]] = {}
    for row in rows:
        payload = row.payload
        keys = wanted.setdefault(row.aggregate_id, set())
        keys.add(row.key)
        if isinstance(payload, CorrectRow):
            keys.add(row_key(payload.corrects))
        elif isinstance(payload, RetractRow):
            keys.add(row_key(payload.retracts))
    return wanted
