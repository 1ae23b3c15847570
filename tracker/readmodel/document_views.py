"""How document events change the read model: a version row per event, the current row.

Each event of a document adds one row to ``rm_document_versions`` (the document's terms and
status after it, effective from the event's date) and changes the document's current row in
``rm_documents``. A batch fetches the current rows of the documents it changes but did not
sign, applies its events to them in memory and writes each table once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import NoResultFound

from tracker.domain.document import Document, DocumentStatus
from tracker.readmodel.views import Views

Row = dict[str, Any]
#: The columns of ``rm_documents`` a later event may change.
CHANGING = (
    "title",
    "parties",
    "value_amount",
    "currency",
    "value_date",
    "projects",
    "status",
    "last_event_on",
    "last_recorded_at",
    "version",
)
#: The columns a version row copies from the document's current row.
VERSIONED = (
    "document_id",
    "portfolio_id",
    "signed_on",
    "title",
    "kind",
    "parties",
    "value_amount",
    "currency",
    "value_date",
    "projects",
    "status",
)


def parties_text(parties: Sequence[str]) -> str:
    return json.dumps(list(parties), ensure_ascii=False)


def projects_text(projects: Sequence[Any]) -> str:
    return " ".join(str(p) for p in projects)


@cache
def _statements(views: Views) -> tuple[Any, Any]:
    documents = views.documents
    select_current = select(documents).where(
        documents.c.document_id.in_(bindparam("ids", expanding=True))
    )
    update_current = (
        update(documents)
        .where(documents.c.document_id == bindparam("row_id"))
        .values({name: bindparam(name) for name in CHANGING})
    )
    return select_current, update_current


class DocumentRows:
    """The document rows one batch creates and changes, until they are written."""

    def __init__(self, views: Views) -> None:
        self.views = views
        self.current: dict[str, Row] = {}
        self.signed: list[Row] = []
        self.signed_ids: set[str] = set()
        self.changed: set[str] = set()
        self.versions: list[Row] = []

    def fetch(self, conn: Connection, events: Sequence[tuple[int, Any]]) -> None:
        """The current rows of the documents the batch changes and did not sign."""
        signed = {str(e.originator_id) for _, e in events if isinstance(e, Document.Signed)}
        wanted = sorted(
            {str(e.originator_id) for _, e in events if isinstance(e, Document.Event)} - signed
        )
        if not wanted:
            return
        select_current, _ = _statements(self.views)
        for start in range(0, len(wanted), 1000):
            for row in conn.execute(select_current, {"ids": wanted[start : start + 1000]}):
                self.current[row.document_id] = dict(row._mapping)

    def apply(self, event: Any, position: int, recorded_at: datetime) -> bool:
        """Apply ``event`` if it is a document's; say whether it was."""
        if not isinstance(event, Document.Event):
            return False
        document_id = str(event.originator_id)
        if isinstance(event, Document.Signed):
            row = self._signed(event, recorded_at)
            self.current[document_id] = row
            self.signed.append(row)
            self.signed_ids.add(document_id)
        else:
            if document_id not in self.current:
                raise NoResultFound(f"the read model has no document row for {document_id}")
            row = self.current[document_id]
            self._change(row, event)
            row.update(
                last_event_on=event.effective_date,
                last_recorded_at=recorded_at,
                version=event.originator_version,
            )
            if document_id not in self.signed_ids:
                self.changed.add(document_id)
        self.versions.append(
            {
                **{name: row[name] for name in VERSIONED},
                "version": event.originator_version,
                "effective_date": event.effective_date,
                "recorded_at": recorded_at,
                "recorded_position": position,
            }
        )
        return True

    @staticmethod
    def _signed(event: Any, recorded_at: datetime) -> Row:
        value = event.value
        return {
            "document_id": str(event.originator_id),
            "portfolio_id": str(event.portfolio_id),
            "title": event.title,
            "kind": str(event.kind),
            "signed_on": event.effective_date,
            "forum": event.forum,
            "parties": parties_text(event.parties),
            "value_amount": value.amount if value else None,
            "currency": value.currency if value else None,
            "value_date": event.effective_date if value else None,
            "projects": projects_text(event.projects),
            "status": DocumentStatus.SIGNED.value,
            "source_title": event.source.title if event.source else None,
            "source_url": event.source.url if event.source else None,
            "recorded_at": recorded_at,
            "last_event_on": event.effective_date,
            "last_recorded_at": recorded_at,
            "version": 1,
        }

    @staticmethod
    def _change(row: Row, event: Any) -> None:
        if isinstance(event, Document.StatusEvent):
            row["status"] = event.STATUS.value
        elif isinstance(event, Document.Amended):
            if event.title is not None:
                row["title"] = event.title
            if event.parties is not None:
                row["parties"] = parties_text(event.parties)
            if event.projects is not None:
                row["projects"] = projects_text(event.projects)
            if event.value is not None:
                row.update(
                    value_amount=event.value.amount,
                    currency=event.value.currency,
                    value_date=event.effective_date,
                )

    def write(self, conn: Connection) -> None:
        """One statement per table. (Document text never held NUL: the domain always
        refused control characters in it, so no row needs ``view_batch.storable``.)"""
        if self.signed:
            conn.execute(insert(self.views.documents), self.signed)
        if self.changed:
            _, update_current = _statements(self.views)
            conn.execute(
                update_current,
                [
                    {"row_id": i, **{n: self.current[i][n] for n in CHANGING}}
                    for i in sorted(self.changed)
                ],
            )
        if self.versions:
            conn.execute(insert(self.views.document_versions), self.versions)
