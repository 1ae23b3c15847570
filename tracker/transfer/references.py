"""How a file's references name what is in the store.

A ``portfolio_ref``, ``project_ref``, ``rate_set_ref`` or ``document_ref`` is the aggregate's
own id, or any text an id derives from (stable, so a later file's events and a re-import find
what the first import created).
A row's ``row_id`` becomes its event's idempotency key, ``import:<row_id>``, and the CSV
export writes an imported event under the row id it came with.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

KEY_PREFIX = "import:"
_IMPORT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:tracker:import")
#: Row types whose rows belong to a portfolio rather than to a project.
PORTFOLIO_ROWS = ("portfolio", "targets", "statement", "rate_sets_chosen", "reporting_organisation")
#: Row types whose rows belong to a rate set.
RATE_SET_ROWS = ("rate_set", "rate")
#: Row types about exchange rates: a rate set, one of its rates, a portfolio's choice of sets.
RATE_ROWS = (*RATE_SET_ROWS, "rate_sets_chosen")
#: Row types whose rows belong to a signed document.
DOCUMENT_ROWS = (
    "document_signed",
    "document_in_force",
    "document_fulfilled",
    "document_amended",
    "document_lapsed",
    "document_withdrawn",
)


def _is_uuid(ref: str) -> UUID | None:
    if len(ref) != 36 or not ref.isascii():  # UUID() reads other digits too
        return None
    try:
        return UUID(ref)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def portfolio_id_for(ref: str) -> UUID:
    """A portfolio reference: the portfolio's own id, or any text an id derives from."""
    return _is_uuid(ref) or uuid5(_IMPORT_NAMESPACE, f"Portfolio:{ref}")


@lru_cache(maxsize=65536)
def project_id_for(ref: str) -> UUID:
    """A project reference: the project's own id, or any text an id derives from (stable, so
    a later file's events and a re-import find the project the first import announced)."""
    return _is_uuid(ref) or uuid5(_IMPORT_NAMESPACE, f"Project:{ref}")


@lru_cache(maxsize=4096)
def rate_set_id_for(ref: str) -> UUID:
    """A rate set reference: the set's own id, or any text an id derives from."""
    return _is_uuid(ref) or uuid5(_IMPORT_NAMESPACE, f"RateSet:{ref}")


@lru_cache(maxsize=4096)
def document_id_for(ref: str) -> UUID:
    """A document reference: the document's own id, or any text an id derives from."""
    return _is_uuid(ref) or uuid5(_IMPORT_NAMESPACE, f"Document:{ref}")


def ref_column(kind: str | None) -> str:
    """The column that names the aggregate a row of type ``kind`` belongs to."""
    if kind in RATE_SET_ROWS:
        return "rate_set_ref"
    if kind in DOCUMENT_ROWS:
        return "document_ref"
    return "portfolio_ref" if kind in PORTFOLIO_ROWS else "project_ref"


def owner_of(cells: Mapping[str, str]) -> UUID:
    """The aggregate a row belongs to, as far as its cells say before it is checked: row ids
    name rows within a project (or a portfolio's own rows, or a rate set's)."""
    if cells.get("type") in RATE_SET_ROWS:
        return rate_set_id_for(cells.get("rate_set_ref", ""))
    if cells.get("type") in DOCUMENT_ROWS:
        return document_id_for(cells.get("document_ref", ""))
    project_ref = cells.get("project_ref")
    if project_ref is not None:
        return project_id_for(project_ref)
    return portfolio_id_for(cells.get("portfolio_ref", ""))


def aggregate_id_for(kind: str | None, ref: str) -> UUID:
    """The aggregate a row of type ``kind`` names with ``ref``."""
    if kind in RATE_SET_ROWS:
        return rate_set_id_for(ref)
    if kind in DOCUMENT_ROWS:
        return document_id_for(ref)
    return portfolio_id_for(ref) if kind in PORTFOLIO_ROWS else project_id_for(ref)


def row_key(row_id: str) -> str:
    """The idempotency key of a row's event."""
    return KEY_PREFIX + row_id
