"""The columns of the file format, one definition for both directions.

The importer reads these columns and the CSV export writes them, in this order; the format
is documented in ``docs/import-format.md``. Text cells that a spreadsheet would run as a
formula are quoted on the way out and unquoted on the way in, and list cells are written
the way they are read back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from tracker.domain.errors import N_

#: Every column of the format, in the order the template and the CSV export write them.
COLUMNS: tuple[str, ...] = (
    "row_id",
    "type",
    "portfolio_ref",
    "project_ref",
    "effective_date",
    "title",
    "forum",
    "sector",
    "regions",
    "countries",
    "parties",
    "amount",
    "currency",
    "planned_jobs",
    "planned_start",
    "planned_end",
    "illustrative",
    "jobs",
    "projects",
    "permanent",
    "temporary",
    "name",
    "description",
    "status",
    "reason",
    "corrects",
    "retracts",
    "replacement_effective_date",
    "source_title",
    "source_url",
    "actor",
    "rate_set_ref",
    "rate_sets",
    "measure",
    "count",
    "document_ref",
    "document_type",
    "linked_projects",
    "organisation_ref",
    "organisation_type",
    "flow_type",
    "language",
)
REQUIRED_COLUMNS = ("row_id", "type")
#: Columns every row may fill, whatever its type.
COMMON = frozenset({"row_id", "type", "effective_date", "source_title", "source_url", "actor"})
_PLAN = frozenset(
    {
        "title",
        "sector",
        "regions",
        "countries",
        "parties",
        "amount",
        "currency",
        "planned_jobs",
        "planned_start",
        "planned_end",
    }
)
#: The columns each row type may fill besides the common ones.
TYPE_COLUMNS: dict[str, frozenset[str]] = {
    "portfolio": frozenset({"portfolio_ref", "title", "forum", "illustrative"}),
    "targets": frozenset({"portfolio_ref", "amount", "currency", "jobs", "projects"}),
    "statement": frozenset(
        {"portfolio_ref", "measure", "description", "count", "amount", "currency", "jobs"}
    ),
    "announced": _PLAN | {"project_ref", "portfolio_ref", "illustrative"},
    "committed": frozenset({"project_ref", "amount", "currency"}),
    "disbursed": frozenset({"project_ref", "amount", "currency"}),
    "jobs_created": frozenset({"project_ref", "permanent", "temporary"}),
    "milestone": frozenset({"project_ref", "name", "description"}),
    "status_changed": frozenset({"project_ref", "status", "reason"}),
    "completed": frozenset({"project_ref", "reason"}),
    "cancelled": frozenset({"project_ref", "reason"}),
    "corrected": _PLAN
    | {
        "project_ref",
        "corrects",
        "reason",
        "permanent",
        "temporary",
        "name",
        "replacement_effective_date",
    },
    "retracted": frozenset({"project_ref", "retracts", "reason"}),
    "title_translated": frozenset({"project_ref", "language", "title"}),
    "rate_set": frozenset({"rate_set_ref", "title", "illustrative"}),
    "rate": frozenset({"rate_set_ref", "currency", "amount"}),
    "rate_sets_chosen": frozenset({"portfolio_ref", "rate_sets"}),
    "reporting_organisation": frozenset(
        {"portfolio_ref", "name", "organisation_ref", "organisation_type", "flow_type"}
    ),
    "document_signed": frozenset(
        {
            "document_ref",
            "portfolio_ref",
            "title",
            "document_type",
            "forum",
            "parties",
            "amount",
            "currency",
            "linked_projects",
        }
    ),
    "document_in_force": frozenset({"document_ref"}),
    "document_fulfilled": frozenset({"document_ref"}),
    "document_amended": frozenset(
        {"document_ref", "reason", "title", "parties", "amount", "currency", "linked_projects"}
    ),
    "document_lapsed": frozenset({"document_ref", "reason"}),
    "document_withdrawn": frozenset({"document_ref", "reason"}),
}
ROW_TYPES = tuple(TYPE_COLUMNS)
LIST_COLUMNS = frozenset({"regions", "countries", "parties", "rate_sets", "linked_projects"})
AMOUNT_COLUMNS = frozenset({"amount"})
INT_COLUMNS = frozenset({"planned_jobs", "jobs", "projects", "permanent", "temporary", "count"})
DATE_COLUMNS = frozenset(
    {"effective_date", "planned_start", "planned_end", "replacement_effective_date"}
)
#: Columns that are not text: a leading ``'`` there is not the formula quote.
_NOT_TEXT = (
    DATE_COLUMNS
    | AMOUNT_COLUMNS
    | INT_COLUMNS
    | {
        "type",
        "currency",
        "illustrative",
        "status",
        "document_type",
        "organisation_type",
        "flow_type",
        "language",
    }
)
TEXT_COLUMNS = frozenset(COLUMNS) - _NOT_TEXT

#: What a spreadsheet may take a text cell starting with for a formula (CSV injection).
FORMULA_CHARACTERS = ("=", "+", "-", "@", "\t", "\r")
#: A text cell starting with one of these is quoted with one ``'`` in a CSV export, so that no
#: spreadsheet runs it; the importer removes the quote (docs/import-format.md).
FORMULA_START = (*FORMULA_CHARACTERS, "'")


def quote_formula(text: str) -> str:
    """A text cell as the CSV export writes it: one ``'`` before a text that a spreadsheet
    would run as a formula, or that starts with ``'`` itself (so the quote can be undone)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def unquote_formula(text: str) -> str:
    """A text cell as imported: one leading ``'`` removed when a formula character (or
    another ``'``) follows it."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


def split_list(text: str) -> tuple[str, ...]:
    """A list cell: ``a;b;c``, or a JSON array when an item itself holds a ``;``."""
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(
                N_("is neither a ;-separated list nor a JSON array of strings")
            ) from None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(N_("must be a JSON array of strings"))
        return tuple(v.strip() for v in values if v.strip())
    return tuple(part.strip() for part in text.split(";") if part.strip())


def join_list(values: Iterable[str]) -> str:
    """The cell text of a list, as :func:`split_list` reads it back."""
    items = list(values)
    if any(";" in v or v.startswith("[") for v in items):
        return json.dumps(items, ensure_ascii=False)
    return ";".join(items)
