"""The Document aggregate: an agreement, memorandum or roadmap signed at a forum, and its fate.

A document is signed on a day (the ``Signed`` event's effective date), at a forum or meeting,
by named parties, with a value where one is stated, and may name the projects it concerns.
Later events record it entering into force, being fulfilled, amended, lapsing or being
withdrawn, each with its actor, source and recorded time. A document's value is what its
text states: it is counted apart from projects and is never investment delivered.

A document's events are recorded in date order (an event dated before the document's latest
one is refused), so its state as of a day is the state after its last event effective by
then: the read model keeps one row per version and needs nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from tracker.domain.base import TrackedAggregate, envelope_fields
from tracker.domain.errors import N_, Conflict, InvalidTransition, ValidationError
from tracker.domain.values import (
    Envelope,
    Money,
    check_currency,
    check_optional_text,
    check_text,
)

#: A document names at most this many parties and projects.
MAX_PARTIES = 50
MAX_PROJECTS = 500


class DocumentKind(StrEnum):
    AGREEMENT = "agreement"
    MEMORANDUM = "memorandum"
    CONTRACT = "contract"
    ROADMAP = "roadmap"
    ACTION_PLAN = "action_plan"
    OTHER = "other"


class DocumentStatus(StrEnum):
    SIGNED = "signed"
    IN_FORCE = "in_force"
    FULFILLED = "fulfilled"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"


#: Where each status may go, and by which event. Fulfilled, lapsed and withdrawn are terminal.
MOVES: dict[DocumentStatus, frozenset[DocumentStatus]] = {
    DocumentStatus.SIGNED: frozenset(
        {DocumentStatus.IN_FORCE, DocumentStatus.LAPSED, DocumentStatus.WITHDRAWN}
    ),
    DocumentStatus.IN_FORCE: frozenset(
        {DocumentStatus.FULFILLED, DocumentStatus.LAPSED, DocumentStatus.WITHDRAWN}
    ),
}
TERMINAL = frozenset(set(DocumentStatus) - set(MOVES))


@dataclass(frozen=True)
class DocumentTerms:
    """What a signed document says: its title, kind, forum, parties, value and projects."""

    title: str
    kind: str
    forum: str | None = None
    parties: tuple[str, ...] = ()
    value: Money | None = None
    projects: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class Amendment:
    """What an amendment changes (``None`` keeps the value), and why."""

    reason: str
    title: str | None = None
    parties: tuple[str, ...] | None = None
    value: Money | None = None
    projects: tuple[UUID, ...] | None = None


def check_kind(kind: str) -> DocumentKind:
    try:
        return DocumentKind(kind)
    except ValueError:
        allowed = ", ".join(DocumentKind)
        raise ValidationError(
            N_("%(kind)r is not a kind of document; use one of %(allowed)s"),
            kind=kind,
            allowed=allowed,
            field="kind",
        ) from None


def check_parties(parties: tuple[str, ...]) -> tuple[str, ...]:
    if len(parties) > MAX_PARTIES:
        raise ValidationError(
            N_("must name at most %(max_parties)s parties"),
            max_parties=MAX_PARTIES,
            field="parties",
        )
    checked = tuple(
        check_text(party, field=f"parties[{index}]", max_length=500)
        for index, party in enumerate(parties)
    )
    if len(set(checked)) != len(checked):
        raise ValidationError(N_("names a party twice"), field="parties")
    return checked


def check_value(value: Money | None) -> Money | None:
    if value is None:
        return None
    check_currency(value.currency, field="value.currency")
    if value.amount <= 0:
        raise ValidationError(N_("a stated value must be more than zero"), field="value.amount")
    return value


def check_projects(projects: tuple[UUID, ...]) -> tuple[UUID, ...]:
    if len(projects) > MAX_PROJECTS:
        raise ValidationError(
            N_("must name at most %(max_projects)s projects"),
            max_projects=MAX_PROJECTS,
            field="projects",
        )
    if len(set(projects)) != len(projects):
        raise ValidationError(N_("names a project twice"), field="projects")
    return projects


def check_terms(terms: DocumentTerms) -> DocumentTerms:
    return DocumentTerms(
        title=check_text(terms.title, field="title"),
        kind=check_kind(terms.kind),
        forum=check_optional_text(terms.forum, field="forum"),
        parties=check_parties(terms.parties),
        value=check_value(terms.value),
        projects=check_projects(terms.projects),
    )


def _reason(reason: str) -> str:
    return check_text(reason, field="reason", free=True, max_length=2000)


class Document(TrackedAggregate):
    TOPIC: ClassVar[str] = "tracker:Document"

    portfolio_id: UUID
    title: str
    kind: DocumentKind
    signed_on: date
    forum: str | None
    parties: tuple[str, ...]
    value: Money | None
    projects: tuple[UUID, ...]
    status: DocumentStatus
    #: The effective date of its latest event: no later event may be dated before it.
    last_event_on: date

    def __init__(self) -> None:
        """State is set by the ``Signed`` event; annotations type the snapshots."""

    class Event(TrackedAggregate.Event):
        TOPIC: ClassVar[str] = "tracker:Document.Event"
        KIND: ClassVar[str] = ""

        def fold_into(self, document: Document) -> None:
            document.last_event_on = self.effective_date
            self.change(document)

        def change(self, document: Document) -> None:
            """What the event changes besides the date of the latest event."""

    class Signed(Event, Aggregate.Created):
        TOPIC: ClassVar[str] = "tracker:Document.Signed"
        KIND: ClassVar[str] = "signed"
        portfolio_id: UUID
        title: str
        kind: DocumentKind
        forum: str | None
        parties: tuple[str, ...]
        value: Money | None
        projects: tuple[UUID, ...]

        def change(self, document: Document) -> None:
            document.portfolio_id = self.portfolio_id
            document.title = self.title
            document.kind = self.kind
            document.signed_on = self.effective_date
            document.forum = self.forum
            document.parties = self.parties
            document.value = self.value
            document.projects = self.projects
            document.status = DocumentStatus.SIGNED

    class StatusEvent(Event):
        """An event that moves the document to ``STATUS``."""

        TOPIC: ClassVar[str] = "tracker:Document.StatusEvent"
        STATUS: ClassVar[DocumentStatus] = DocumentStatus.SIGNED

        def change(self, document: Document) -> None:
            document.status = self.STATUS

    class EnteredIntoForce(StatusEvent):
        TOPIC: ClassVar[str] = "tracker:Document.EnteredIntoForce"
        KIND: ClassVar[str] = "entered_into_force"
        STATUS: ClassVar[DocumentStatus] = DocumentStatus.IN_FORCE

    class Fulfilled(StatusEvent):
        TOPIC: ClassVar[str] = "tracker:Document.Fulfilled"
        KIND: ClassVar[str] = "fulfilled"
        STATUS: ClassVar[DocumentStatus] = DocumentStatus.FULFILLED

    class Lapsed(StatusEvent):
        TOPIC: ClassVar[str] = "tracker:Document.Lapsed"
        KIND: ClassVar[str] = "lapsed"
        STATUS: ClassVar[DocumentStatus] = DocumentStatus.LAPSED
        reason: str

    class Withdrawn(StatusEvent):
        TOPIC: ClassVar[str] = "tracker:Document.Withdrawn"
        KIND: ClassVar[str] = "withdrawn"
        STATUS: ClassVar[DocumentStatus] = DocumentStatus.WITHDRAWN
        reason: str

    class Amended(Event):
        TOPIC: ClassVar[str] = "tracker:Document.Amended"
        KIND: ClassVar[str] = "amended"
        reason: str
        title: str | None
        parties: tuple[str, ...] | None
        value: Money | None
        projects: tuple[UUID, ...] | None

        def change(self, document: Document) -> None:
            if self.title is not None:
                document.title = self.title
            if self.parties is not None:
                document.parties = self.parties
            if self.value is not None:
                document.value = self.value
            if self.projects is not None:
                document.projects = self.projects

    @classmethod
    def sign(
        cls,
        portfolio_id: UUID,
        terms: DocumentTerms,
        envelope: Envelope,
        *,
        document_id: UUID | None = None,
    ) -> Document:
        """A document signed on the envelope's effective date."""
        terms = check_terms(terms)
        return cls._create(
            cls.Signed,
            id=document_id or uuid4(),
            portfolio_id=portfolio_id,
            title=terms.title,
            kind=DocumentKind(terms.kind),
            forum=terms.forum,
            parties=terms.parties,
            value=terms.value,
            projects=terms.projects,
            **envelope_fields(envelope),
        )

    # What may happen to it

    def enter_into_force(self, envelope: Envelope) -> None:
        self._move(self.EnteredIntoForce, envelope)

    def fulfil(self, envelope: Envelope) -> None:
        self._move(self.Fulfilled, envelope)

    def lapse(self, reason: str, envelope: Envelope) -> None:
        self._move(self.Lapsed, envelope, reason=_reason(reason))

    def withdraw(self, reason: str, envelope: Envelope) -> None:
        self._move(self.Withdrawn, envelope, reason=_reason(reason))

    def amend(self, amendment: Amendment, envelope: Envelope) -> None:
        """Change the title, parties, value or linked projects, with a reason; a document
        that is fulfilled, lapsed or withdrawn can no longer be amended."""
        if self.status in TERMINAL:
            raise InvalidTransition(
                N_("the document is %(status)s and can no longer be amended"), status=self.status
            )
        changes = {
            "title": None
            if amendment.title is None
            else check_text(amendment.title, field="title"),
            "parties": None if amendment.parties is None else check_parties(amendment.parties),
            "value": check_value(amendment.value),
            "projects": None if amendment.projects is None else check_projects(amendment.projects),
        }
        if all(new is None or new == getattr(self, name) for name, new in changes.items()):
            raise ValidationError(
                N_(
                    "an amendment must change the title, the parties, the value or the projects "
                    "(the value is what it changes most often)"
                ),
                field="value",
            )
        reason = _reason(amendment.reason)
        self._in_date_order(envelope)
        self.emit(self.Amended, envelope, reason=reason, **changes)

    def _move(self, event_class: type[StatusEvent], envelope: Envelope, **payload: str) -> None:
        target = event_class.STATUS
        if target not in MOVES.get(self.status, frozenset()):
            allowed = ", ".join(sorted(MOVES.get(self.status, ())))
            if allowed:
                raise InvalidTransition(
                    N_(
                        "a document that is %(status)s cannot become %(target)s (it may become "
                        "%(allowed)s)"
                    ),
                    status=self.status,
                    target=target,
                    allowed=allowed,
                )
            raise InvalidTransition(
                N_("a document that is %(status)s cannot become %(target)s"),
                status=self.status,
                target=target,
            )
        self._in_date_order(envelope)
        self.emit(event_class, envelope, **payload)

    def _in_date_order(self, envelope: Envelope) -> None:
        if envelope.effective_date < self.last_event_on:
            raise Conflict(
                N_(
                    "%(effective_date)s is before the document's latest event "
                    "(%(last_event_on)s); a document's events are recorded in date order"
                ),
                effective_date=envelope.effective_date,
                last_event_on=self.last_event_on,
                field="effective_date",
            )
