"""A project's plan: what was announced (and later corrected), and the rules it must keep."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from tracker.domain.errors import N_, ValidationError
from tracker.domain.values import (
    Money,
    check_country,
    check_currency,
    check_planned_date,
    check_region,
    check_text,
)


@dataclass(frozen=True)
class Plan:
    title: str
    sector: str
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    parties: tuple[str, ...]
    planned_investment: Money
    planned_jobs: int
    planned_start: date | None
    planned_end: date | None


def check_plan(plan: Plan) -> Plan:
    """Check every planned value; raise :class:`ValidationError` naming the field."""
    if not plan.regions and not plan.countries:
        raise ValidationError(N_("name at least one region or country"), field="regions")
    for code in plan.regions:
        check_region(code)
    countries = set(plan.countries) | {code.split("-")[0] for code in plan.regions}
    for code in plan.countries:
        check_country(code)
    check_currency(plan.planned_investment.currency, field="planned_investment")
    if plan.planned_investment.amount < 0:
        raise ValidationError(N_("must not be negative"), field="planned_investment")
    if plan.planned_jobs < 0:
        raise ValidationError(N_("must not be negative"), field="planned_jobs")
    check_planned_date(plan.planned_start, field="planned_start")
    check_planned_date(plan.planned_end, field="planned_end")
    if plan.planned_start and plan.planned_end and plan.planned_end < plan.planned_start:
        raise ValidationError(N_("must not be before planned_start"), field="planned_end")
    return replace(
        plan,
        title=check_text(plan.title, field="title"),
        sector=check_text(plan.sector, field="sector", max_length=100),
        countries=tuple(sorted(countries)),
        parties=tuple(check_text(p, field="parties") for p in plan.parties),
    )


#: The languages a title may be given in: the readers' (tracker.i18n.LANGUAGES; Uzbek in the
#: Latin script). English too: a title may have been entered in another language.
TITLE_LANGUAGES = ("en", "ru", "kk", "uz")


def check_title_language(language: str) -> str:
    if language not in TITLE_LANGUAGES:
        raise ValidationError(
            N_("must be one of %(allowed)s, not %(language)r"),
            allowed=", ".join(TITLE_LANGUAGES),
            language=language,
            field="language",
        )
    return language
