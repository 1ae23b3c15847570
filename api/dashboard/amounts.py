"""A project's amounts as its page shows them: each in its currency with its US dollar
equivalent and the rates used, and the flags raised on it, worded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from api.dashboard import format as f
from api.presenters.values import exact_amount, in_cents
from api.schemas import projects as project_schemas
from tracker.i18n import gettext as _
from tracker.readmodel.filters import DISBURSED_ABOVE_COMMITTED, END_DATE_PASSED, NO_NEWS
from tracker.readmodel.fx import USD, Rate
from tracker.readmodel.project_money import Equivalent, ProjectMoney


@dataclass(frozen=True)
class RateUsed:
    currency: str
    rate_set: str
    rate_set_id: str
    day: date
    units_per_usd: str  # exact
    source_title: str | None
    source_url: str | None  # only an http(s) address, to be a link
    illustrative: bool


@dataclass(frozen=True)
class AmountLine:
    currency: str
    amount: str  # exact
    usd: str | None  # to the cent; None: no rate for some part of it
    rates: list[RateUsed]

    @property
    def is_usd(self) -> bool:
        return self.currency == USD


@dataclass(frozen=True)
class Amounts:
    lines: list[AmountLine]
    usd: str | None  # the lines' total in US dollars, if every part had a rate


def _rate(rate: Rate) -> RateUsed:
    url = rate.source_url if (rate.source_url or "").startswith(("https://", "http://")) else None
    return RateUsed(
        rate.currency,
        rate.rate_set,
        rate.rate_set_id,
        rate.rate_date,
        str(rate.units_per_usd.normalize()),
        rate.source_title,
        url,
        rate.illustrative,
    )


def _line(equivalent: Equivalent) -> AmountLine:
    usd = in_cents(equivalent.usd) if equivalent.usd is not None else None
    return AmountLine(
        equivalent.currency,
        exact_amount(equivalent.amount),
        usd,
        [_rate(r) for r in equivalent.rates],
    )


def amounts(money: ProjectMoney, kind: str) -> Amounts:
    lines = [_line(e) for _, e in sorted(getattr(money, kind).items())]
    total = money.in_usd(kind)
    return Amounts(lines, in_cents(total) if total is not None else None)


def planned(money: ProjectMoney) -> AmountLine:
    return _line(money.planned)


def rates_used(money: ProjectMoney) -> list[RateUsed]:
    """Every rate behind the equivalents, once each, by day."""
    every = [*money.planned.rates]
    for kind in ("committed", "disbursed"):
        every += [r for e in getattr(money, kind).values() for r in e.rates]
    unique = {(r.rate_set_id, r.currency, r.rate_date): r for r in every}
    return [_rate(r) for _, r in sorted(unique.items(), key=lambda kv: (kv[0][2], kv[0][1]))]


def flag_notes(
    flags: list[str],
    figures: project_schemas.ProjectOut,
    money: ProjectMoney,
    reference: date,
    days: int,
) -> list[tuple[str, str]]:
    """Each flag raised, with a sentence saying why: (flag, sentence)."""
    notes = []
    if DISBURSED_ABOVE_COMMITTED in flags:
        disbursed = money.in_usd("disbursed") or Decimal(0)
        committed = money.in_usd("committed") or Decimal(0)
        notes.append(
            (
                DISBURSED_ABOVE_COMMITTED,
                _(
                    "Disbursed more than committed: %(disbursed)s disbursed against "
                    "%(committed)s committed, in US dollars at the rates shown.",
                    disbursed=f.short_money(disbursed, USD),
                    committed=f.short_money(committed, USD),
                ),
            )
        )
    if END_DATE_PASSED in flags:
        notes.append(
            (
                END_DATE_PASSED,
                _(
                    "Planned to end by %(end)s, yet “%(status)s” on %(day)s.",
                    end=f.day(figures.planned_end),
                    status=f.status(figures.status),
                    day=f.day(reference),
                ),
            )
        )
    if NO_NEWS in flags:
        notes.append(
            (
                NO_NEWS,
                _(
                    "No news for over %(days)s days before %(day)s.",
                    days=f.number(days),
                    day=f.day(reference),
                ),
            )
        )
    return notes
