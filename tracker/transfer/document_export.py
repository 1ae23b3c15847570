"""The documents a portfolio's export carries: each with its events as known at ``known_at``.

A document counts in an export as in the register: signed by ``as_of`` and recorded by
``known_at``. The CSV export writes every event of it recorded by then, as import rows (after
the projects they name, which were announced before them); the JSON export its state as of
``as_of`` and its events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tracker.domain.document import Document
from tracker.domain.values import Money
from tracker.history import EventSource, RecordedEvent
from tracker.transfer.columns import join_list
from tracker.transfer.document_rows import NONE_LISTED, ROW_TYPES
from tracker.transfer.export_values import day_text, money_dict


@dataclass(frozen=True)
class DocumentExport:
    events: list[RecordedEvent]
    #: The document as of the export's ``as_of`` (its events effective by then).
    document: Document

    @property
    def id(self) -> UUID:
        return self.document.id


def documents_of(
    tracker: EventSource,
    document_ids: Iterable[str],
    as_of: date | None,
    known_at: datetime | None,
) -> list[DocumentExport]:
    """The documents signed by ``as_of`` and recorded by ``known_at``, in recorded order."""
    found: list[DocumentExport] = []
    for document_id in document_ids:
        events = tracker.recorded_events(UUID(document_id), known_at=known_at)
        if not events or not isinstance(events[0].event, Document.Signed):
            continue  # not recorded yet by known_at
        # A document's events come in date order: those effective by as_of are a prefix.
        then = [e for e in events if as_of is None or e.event.effective_date <= as_of]
        if not then:
            continue  # signed after as_of
        document: Any = None
        for stored in then:
            document = stored.event.mutate(document)
        found.append(DocumentExport(events, document))
    found.sort(key=lambda d: d.events[0].position)
    return found


def _list(values: tuple[Any, ...] | None, *, changes: bool) -> str:
    """A list cell; an amendment that empties a list writes ``[]`` (blank: no change)."""
    if values is None:
        return ""
    text = join_list(str(v) for v in values)
    return text or (NONE_LISTED if changes else "")


def _money(value: Money | None) -> dict[str, str]:
    return {} if value is None else money_dict(value)


def document_event_cells(stored: RecordedEvent) -> dict[str, str]:
    """A document's event as the cells of its import row (row id, envelope and source are
    the caller's)."""
    e = stored.event
    cells = {"type": ROW_TYPES[stored.kind], "document_ref": str(stored.aggregate_id)}
    if isinstance(e, Document.Signed):
        cells.update(
            portfolio_ref=str(e.portfolio_id),
            title=e.title,
            document_type=str(e.kind),
            forum=e.forum or "",
            parties=_list(e.parties, changes=False),
            linked_projects=_list(e.projects, changes=False),
            **_money(e.value),
        )
    elif isinstance(e, Document.Amended):
        cells.update(
            reason=e.reason,
            title=e.title or "",
            parties=_list(e.parties, changes=True),
            linked_projects=_list(e.projects, changes=True),
            **_money(e.value),
        )
    elif isinstance(e, Document.Lapsed | Document.Withdrawn):
        cells["reason"] = e.reason
    return cells


def document_dict(item: DocumentExport, event_dict: Any) -> dict[str, Any]:
    """A document for the JSON export: as of ``as_of``, with its events."""
    d = item.document
    return {
        "id": str(d.id),
        "title": d.title,
        "kind": str(d.kind),
        "signed_on": day_text(d.signed_on),
        "forum": d.forum,
        "parties": list(d.parties),
        "value": money_dict(d.value) if d.value else None,
        "projects": [str(p) for p in d.projects],
        "status": str(d.status),
        "version": d.version,
        "events": [event_dict(e) for e in item.events],
    }
