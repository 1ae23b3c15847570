"""How figures read on screen: money, percentages, dates, names of codes.

Money reads in one of three ways, each with its function (and template filter):

- :func:`short_amount`: rounded for the eye, without the currency (``1.98 bn``), where the
  currency is set apart;
- :func:`short_money`: the same with its currency (``USD 1.98 bn``);
- :func:`full_money`: every digit, grouped, with its currency (``USD 1,978,555,649.45``), for
  audit trails, where rounding would hide a correction.

The exact figure always travels with the short one (in a ``<data value>``), so what is rounded
for the eye is never what is compared or copied. Every text is in the reader's language
(:mod:`tracker.i18n`): digits grouped and decimals marked as CLDR says, names translated.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from tracker.i18n import DEFAULT, NP_, gettext, language, pgettext, places
from tracker.i18n import formats as cldr

BILLION = Decimal(1_000_000_000)
MILLION = Decimal(1_000_000)
THOUSAND = Decimal(1_000)

STATUS_LABELS = {
    "announced": NP_("status", "Announced"),
    "agreed": NP_("status", "Agreed"),
    "in_preparation": NP_("status", "In preparation"),
    "under_implementation": NP_("status", "Under implementation"),
    "operational": NP_("status", "Operational"),
    "closed": NP_("status", "Closed"),
    "suspended": NP_("status", "Suspended"),
    "cancelled": NP_("status", "Cancelled"),
}
#: Stacking order of statuses in bars and legends: delivered first, pipeline, then trouble.
STATUS_ORDER = (
    "closed",
    "operational",
    "under_implementation",
    "in_preparation",
    "agreed",
    "announced",
    "suspended",
    "cancelled",
)

FLAG_LABELS = {
    "disbursed_above_committed": NP_("flag", "Disbursed > committed"),
    "end_date_passed": NP_("flag", "Past planned end"),
    "no_news": NP_("flag", "No news"),
}

EVENT_LABELS = {
    "announced": NP_("event", "Announced"),
    "committed": NP_("event", "Investment committed"),
    "disbursed": NP_("event", "Funds disbursed"),
    "jobs_created": NP_("event", "Jobs created"),
    "milestone": NP_("event", "Milestone reached"),
    "status_changed": NP_("event", "Status changed"),
    "completed": NP_("event", "Completed"),
    "cancelled": NP_("event", "Cancelled"),
    "corrected": NP_("event", "Correction"),
    "retracted": NP_("event", "Retraction"),
    "title_translated": NP_("event", "Title translated"),
    "established": NP_("event", "Portfolio established"),
    "targets_restated": NP_("event", "Targets restated"),
    "rates_published": NP_("event", "Rates published"),
    "rate_corrected": NP_("event", "Rate corrected"),
    "rate_withdrawn": NP_("event", "Rate withdrawn"),
    "rate_sets_chosen": NP_("event", "Rate sets chosen"),
    "statement_recorded": NP_("event", "Statement recorded"),
    "signed": NP_("event", "Document signed"),
    "entered_into_force": NP_("event", "Document entered into force"),
    "fulfilled": NP_("event", "Document fulfilled"),
    "lapsed": NP_("event", "Document lapsed"),
    "withdrawn": NP_("event", "Document withdrawn"),
    "amended": NP_("event", "Document amended"),
    "defined": NP_("event", "Indicator defined"),
    "observed": NP_("event", "Indicator observed"),
    "observation_corrected": NP_("event", "Indicator value corrected"),
    "observation_retracted": NP_("event", "Indicator value retracted"),
    "target_restated": NP_("event", "Indicator target restated"),
}


#: The sectors the public record and the demo use, read in the reader's language; any other
#: sector is shown as recorded.
SECTOR_LABELS = {
    "automotive": NP_("sector", "Automotive"),
    "chemicals and pharmaceuticals": NP_("sector", "Chemicals and pharmaceuticals"),
    "construction materials": NP_("sector", "Construction materials"),
    "energy": NP_("sector", "Energy"),
    "finance": NP_("sector", "Finance"),
    "food industry": NP_("sector", "Food industry"),
    "gas industry": NP_("sector", "Gas industry"),
    "household appliances": NP_("sector", "Household appliances"),
    "housing and infrastructure": NP_("sector", "Housing and infrastructure"),
    "light industry": NP_("sector", "Light industry"),
    "metallurgy": NP_("sector", "Metallurgy"),
    "mining and geology": NP_("sector", "Mining and geology"),
    "petrochemicals": NP_("sector", "Petrochemicals"),
    "science and technology": NP_("sector", "Science and technology"),
    "textiles": NP_("sector", "Textiles"),
    "tourism": NP_("sector", "Tourism"),
    "trade and logistics": NP_("sector", "Trade and logistics"),
    "transit transport": NP_("sector", "Transit transport"),
    "water": NP_("sector", "Water"),
}


def decimal(value: str | Decimal | int | None) -> Decimal:
    if value is None:
        return Decimal(0)
    try:
        return Decimal(value)
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def short_amount(value: str | Decimal | int | None) -> str:
    """``1978555649.45`` → ``1.98 bn``; ``412345678`` → ``412.3 M``; smaller in full."""
    amount = decimal(value)
    size = abs(amount)
    if size == 0:
        return cldr.number(0)
    if size >= BILLION:
        return gettext("%(amount)s bn", amount=cldr.number(_round(amount / BILLION, 2), 2))
    if size >= MILLION:
        return gettext("%(amount)s M", amount=cldr.number(_round(amount / MILLION, 1), 1))
    if size >= THOUSAND * 10:
        return cldr.number(_round(amount, 0))
    return cldr.number(_round(amount, 2), 2)


def short_money(value: str | Decimal | int | None, currency: str) -> str:
    """``USD 1.98 bn``: :func:`short_amount` with its currency."""
    return money_text(short_amount(value), currency)


def full_money(value: str | Decimal | int | None, currency: str) -> str:
    """Every digit, grouped: for audit trails, where rounding would hide a correction."""
    amount = decimal(value)
    exponent = amount.as_tuple().exponent
    places_ = max(2, -exponent) if isinstance(exponent, int) and exponent < 0 else 2
    return money_text(cldr.number(amount, places_), currency)


def money_text(amount: str, currency: str) -> str:
    """An amount already written out, with its currency code on the side the language puts it."""
    return gettext("%(currency)s %(amount)s", currency=currency, amount=amount)


def number(value: int | Decimal | None) -> str:
    return "—" if value is None else cldr.number(value)


def percent(ratio: str | Decimal | None) -> str:
    """A ratio as the API gives it (``"0.5819"``) read as a percentage (``58.2 %``)."""
    if ratio is None:
        return "—"
    return cldr.percent(_round(decimal(ratio), 3))


def share(part: Decimal | int, whole: Decimal | int) -> float:
    """``part / whole`` for drawing (0 when there is no whole); never shown as a figure."""
    if not whole:
        return 0.0
    return float(Decimal(part) / Decimal(whole))


def day(value: date | None) -> str:
    return "—" if value is None else cldr.day(value)


def month(value: date | None) -> str:
    return "—" if value is None else cldr.month(value)


def period(label: str, end: date, interval: str) -> str:
    """A timeline's period: the API's label in English (``2019-Q4``), else the language's
    name of the quarter or month (``4-й квартал 2019 г.``, ``март 2024 г.``)."""
    if language() == DEFAULT:
        return label
    if interval == "quarter":
        return cldr.quarter(end)
    if interval == "month":
        return cldr.month(end)
    return label


def moment(value: datetime | None) -> str:
    return "—" if value is None else cldr.moment(value)


def status(value: str) -> str:
    label = STATUS_LABELS.get(value)
    return pgettext("status", label) if label else value.replace("_", " ").capitalize()


def flag(kind: str) -> str:
    label = FLAG_LABELS.get(kind)
    return pgettext("flag", label) if label else kind.replace("_", " ").capitalize()


def event_label(kind: str) -> str:
    label = EVENT_LABELS.get(kind)
    return pgettext("event", label) if label else kind.replace("_", " ").capitalize()


def sector(value: str) -> str:
    """A sector in the reader's language when it is a known one, else as recorded
    (free text, in the recorder's words), capitalised."""
    label = SECTOR_LABELS.get(value.strip().lower())
    return pgettext("sector", label) if label else value[:1].upper() + value[1:]


def country(code: str) -> str:
    return places.country(code)


def region(code: str) -> str:
    """``KZ-61`` → ``Türkistan oblysy (KZ)``; unknown codes stay as they are."""
    if code == "(none)":
        return gettext("No region given")
    return places.region(code)
