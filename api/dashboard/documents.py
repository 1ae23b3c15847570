"""The portfolio page's "Signed documents" section: the register at the page's moment.

The count and the converted sum are the answer of ``GET /api/v1/portfolios/{id}/documents/
summary`` for the same moment (``register_out``), and the list is the first documents of
``GET /api/v1/documents?portfolio=…`` (``document_out``), merely formatted; the link to the
rest is that request. A document's value is what it states: it is shown apart from the
projects' figures and never added to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from api import schemas as s
from api.dashboard.params import Moment
from api.schemas import documents as document_schemas
from tracker.i18n import NP_, ngettext, pgettext
from tracker.i18n import formats as cldr

#: How many documents the section lists; the rest are a link away.
DOCUMENTS_SHOWN = 10

KIND_LABELS = {
    "agreement": NP_("document", "Agreement"),
    "memorandum": NP_("document", "Memorandum"),
    "contract": NP_("document", "Contract"),
    "roadmap": NP_("document", "Roadmap"),
    "action_plan": NP_("document", "Action plan"),
    "other": NP_("document", "Other"),
}
STATUS_LABELS = {
    "signed": NP_("document", "Signed"),
    "in_force": NP_("document", "In force"),
    "fulfilled": NP_("document", "Fulfilled"),
    "lapsed": NP_("document", "Lapsed"),
    "withdrawn": NP_("document", "Withdrawn"),
}


def _tally(kind: str, n: int) -> str:
    """``3 agreements``: a count of documents of a kind, in the reader's language."""
    number = cldr.number(n)
    if kind == "agreement":
        return ngettext("%(n)s agreement", "%(n)s agreements", n, n=number)
    if kind == "memorandum":
        return ngettext("%(n)s memorandum", "%(n)s memoranda", n, n=number)
    if kind == "contract":
        return ngettext("%(n)s contract", "%(n)s contracts", n, n=number)
    if kind == "roadmap":
        return ngettext("%(n)s roadmap", "%(n)s roadmaps", n, n=number)
    if kind == "action_plan":
        return ngettext("%(n)s action plan", "%(n)s action plans", n, n=number)
    return ngettext("%(n)s other document", "%(n)s other documents", n, n=number)


def _label(labels: dict[str, str], key: str) -> str:
    return pgettext("document", labels[key]) if key in labels else key


@dataclass(frozen=True)
class DocumentItem:
    id: str
    title: str
    kind: str
    signed_on: object
    parties: str
    value: s.MoneyOut | None
    status: str
    status_label: str
    source: s.SourceOut | None


@dataclass(frozen=True)
class DocumentsView:
    count: int
    with_value: int
    total: s.TotalOut
    by_kind: list[str]  # "3 agreements", as read
    by_status: list[tuple[str, str, int]]
    items: list[DocumentItem]
    list_url: str
    summary_url: str


def documents_view(
    portfolio_id: str,
    register: document_schemas.DocumentRegisterOut,
    listed: list[document_schemas.DocumentOut],
    moment: Moment,
) -> DocumentsView:
    params = {"as_of": moment.as_of_text, "known_at": moment.known_at_param}
    when = {k: v for k, v in params.items() if v}
    list_query = urlencode({"portfolio": portfolio_id, **when, "limit": "500"})
    summary_query = urlencode(when)
    summary_url = f"/api/v1/portfolios/{portfolio_id}/documents/summary"
    return DocumentsView(
        count=register.documents,
        with_value=register.documents_with_value,
        total=register.total_value,
        by_kind=[_tally(k, n) for k, n in register.by_kind.items() if n],
        by_status=[(st, _label(STATUS_LABELS, st), n) for st, n in register.by_status.items() if n],
        items=[
            DocumentItem(
                id=str(d.id),
                title=d.title,
                kind=_label(KIND_LABELS, d.kind),
                signed_on=d.signed_on,
                parties=", ".join(d.parties),
                value=d.value,
                status=d.status,
                status_label=_label(STATUS_LABELS, d.status),
                source=d.source,
            )
            for d in listed[:DOCUMENTS_SHOWN]
        ],
        list_url=f"/api/v1/documents?{list_query}",
        summary_url=f"{summary_url}?{summary_query}" if summary_query else summary_url,
    )
