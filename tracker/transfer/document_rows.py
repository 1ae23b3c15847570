"""The rows of the register of signed documents: a document signed, and what became of it.

``document_signed`` records a document (``document_ref``, ``portfolio_ref``, ``title``, its
kind in ``document_type``, ``effective_date`` = the day it was signed, ``forum``,
``parties``, ``amount``/``currency`` when it states a value, the projects it names in
``linked_projects`` by their ``project_ref``s). ``document_in_force``,
``document_fulfilled``, ``document_amended`` (a new ``title``, ``parties``, value or
``linked_projects``, with a ``reason``), ``document_lapsed`` and ``document_withdrawn``
(with a ``reason``) record its later events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from tracker.domain.document import Amendment, Document, DocumentTerms
from tracker.domain.errors import N_
from tracker.domain.values import Envelope, Money
from tracker.transfer.cells import MAX_REF, Cells

#: The event each row type records, by the event's own KIND (the CSV export writes them).
ROW_TYPES = {
    "signed": "document_signed",
    "entered_into_force": "document_in_force",
    "fulfilled": "document_fulfilled",
    "amended": "document_amended",
    "lapsed": "document_lapsed",
    "withdrawn": "document_withdrawn",
}
#: A list cell that names nothing: an amendment that leaves no parties (or projects).
NONE_LISTED = "[]"
#: The column of a document row for the field a domain error names.
DOCUMENT_COLUMNS = {
    "kind": "document_type",
    "value": "amount",
    "value.amount": "amount",
    "value.currency": "currency",
    "projects": "linked_projects",
    "portfolio_id": "portfolio_ref",
}


@dataclass(frozen=True)
class SignDocument:
    title: str
    kind: str
    forum: str | None
    parties: tuple[str, ...]
    value: Money | None
    #: The ``project_ref``s of the projects it names.
    project_refs: tuple[str, ...]

    def terms(self, projects: tuple[UUID, ...]) -> DocumentTerms:
        return DocumentTerms(self.title, self.kind, self.forum, self.parties, self.value, projects)


@dataclass(frozen=True)
class ChangeDocument:
    """A later event of a document: the row type, and what an amendment changes."""

    kind: str
    reason: str | None = None
    title: str | None = None
    parties: tuple[str, ...] | None = None
    value: Money | None = None
    project_refs: tuple[str, ...] | None = None

    def apply(
        self, document: Document, envelope: Envelope, projects: tuple[UUID, ...] | None
    ) -> None:
        """Record the event on ``document`` (``projects``: the amendment's, resolved)."""
        changes: dict[str, Callable[[], None]] = {
            "document_in_force": lambda: document.enter_into_force(envelope),
            "document_fulfilled": lambda: document.fulfil(envelope),
            "document_lapsed": lambda: document.lapse(self.reason or "", envelope),
            "document_withdrawn": lambda: document.withdraw(self.reason or "", envelope),
            "document_amended": lambda: document.amend(
                Amendment(self.reason or "", self.title, self.parties, self.value, projects),
                envelope,
            ),
        }
        changes[self.kind]()


DocumentPayload = SignDocument | ChangeDocument


def document_payload(kind: str, cells: Cells) -> DocumentPayload | None:
    """What a document row says, or ``None`` with an error per bad cell."""
    if kind == "document_signed":
        title = cells.text("title", required=True)
        document_type = cells.text("document_type", required=True)
        forum = cells.text("forum")
        parties = cells.codes("parties") or ()
        value = _value(cells)
        refs = _project_refs(cells) or ()
        if title is None or document_type is None:
            return None
        return SignDocument(title, document_type, forum, parties, value, refs)
    if kind in ("document_in_force", "document_fulfilled"):
        return ChangeDocument(kind)
    if kind in ("document_lapsed", "document_withdrawn"):
        reason = cells.text("reason", required=True, max_length=2000)
        return ChangeDocument(kind, reason) if reason else None
    reason = cells.text("reason", required=True, max_length=2000)
    new_title = cells.text("title")
    new_parties = cells.codes("parties")
    new_value = _value(cells)
    new_refs = _project_refs(cells)
    if reason is None:
        return None
    return ChangeDocument(kind, reason, new_title, new_parties, new_value, new_refs)


def _value(cells: Cells) -> Money | None:
    given = {column for column in ("amount", "currency") if column in cells.cells}
    amount = cells.amount("amount")
    currency = cells.currency("currency")
    if len(given) == 1:
        missing = ({"amount", "currency"} - given).pop()
        cells.fail(missing, N_("a document's value needs both an amount and a currency"))
        return None
    return Money(amount, currency) if amount is not None and currency is not None else None


def _project_refs(cells: Cells) -> tuple[str, ...] | None:
    refs = cells.codes("linked_projects")
    for ref in refs or ():
        if len(ref) > MAX_REF or not ref.isprintable():
            cells.fail(
                "linked_projects",
                N_("%(ref)r is not a reference of at most %(max)s printable characters"),
                ref=ref[:40],
                max=MAX_REF,
            )
            return None
    return refs
