"""The rows of exchange rates: a rate set, one rate it publishes, a portfolio's choice of sets.

``rate_set`` establishes a named set (``title``, ``illustrative``); ``rate`` publishes one
rate in it (``currency``, ``amount`` = units per US dollar, ``effective_date`` = the rate's
date); ``rate_sets_chosen`` names the sets a portfolio converts with (``rate_sets``, preferred
first; ``[]`` for none). So a portfolio's export carries the rates its reports converted
with, and imports into another database with the same reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker.domain.errors import N_
from tracker.domain.rate_set import USD, PublishedRate
from tracker.transfer.cells import MAX_REF, Cells


@dataclass(frozen=True)
class EstablishRateSet:
    name: str
    illustrative: bool


@dataclass(frozen=True)
class PublishRate:
    rate: PublishedRate


@dataclass(frozen=True)
class ChooseRateSets:
    #: The sets' references, preferred first.
    rate_set_refs: tuple[str, ...]


RatePayload = EstablishRateSet | PublishRate | ChooseRateSets
#: A ``rate_sets`` cell that names no rate set: the portfolio converts with none.
NONE_CHOSEN = "[]"
#: The column of a ``rate`` row for the field a rate set's error names.
RATE_COLUMNS = {"date": "effective_date", "units_per_usd": "amount", "currency": "currency"}


def rate_payload(kind: str, cells: Cells, effective: date | None) -> RatePayload | None:
    """What a ``rate_set``, ``rate`` or ``rate_sets_chosen`` row says, or ``None`` with an
    error per bad cell (``effective`` is the row's date, already read)."""
    if kind == "rate_set":
        name = cells.text("title", required=True, max_length=200)
        illustrative = cells.flag("illustrative")
        return EstablishRateSet(name, illustrative) if name else None
    if kind == "rate":
        return _rate(cells, effective)
    refs = cells.codes("rate_sets")
    if refs is None:
        if "rate_sets" not in cells.cells:  # otherwise the cell's error is already listed
            cells.fail("rate_sets", N_("must not be blank: name one rate set or more"))
        return None
    if not refs and cells.cells["rate_sets"] != NONE_CHOSEN:
        cells.fail(
            "rate_sets",
            N_("must name one rate set or more (or %(none)s for none)"),
            none=NONE_CHOSEN,
        )
        return None
    for ref in refs:
        if len(ref) > MAX_REF or not ref.isprintable():
            cells.fail(
                "rate_sets",
                N_("%(ref)r is not a reference of at most %(max)s printable characters"),
                ref=ref[:40],
                max=MAX_REF,
            )
            return None
    return ChooseRateSets(refs)


def _rate(cells: Cells, effective: date | None) -> PublishRate | None:
    currency = cells.currency("currency", required=True)
    units = cells.amount("amount", required=True)
    if currency == USD:
        cells.fail("currency", N_("USD is the reference currency: its rate is always 1"))
        return None
    if units is not None and units <= 0:
        cells.fail("amount", N_("units per US dollar must be more than zero"))
        return None
    if currency is None or units is None or effective is None:
        return None
    return PublishRate(PublishedRate(currency, effective, units))
