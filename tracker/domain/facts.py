"""A project's facts (money, jobs, milestones) and the rules every recorded fact keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tracker.domain.errors import N_, ValidationError
from tracker.domain.values import Money, check_currency, check_text

MONEY_FACTS = frozenset({"committed", "disbursed"})
FACT_KINDS = MONEY_FACTS | {"jobs_created", "milestone"}


@dataclass
class Fact:
    """A money, jobs or milestone fact as currently believed (corrections folded in).

    Facts are not kept on the aggregate (they grow with the history); a
    :class:`~tracker.domain.ledger.ProjectLedger` folds them from the events.
    """

    kind: str
    version: int
    effective_date: date
    amount: Money | None = None
    permanent: int = 0
    temporary: int = 0
    name: str | None = None
    corrected_by: list[int] = field(default_factory=list)
    retracted_by: int | None = None


def nonzero(amount: Money) -> Money:
    """Decreases are negative amounts (as IATI records them); zero records nothing."""
    check_currency(amount.currency)
    if amount.amount == 0:
        raise ValidationError(
            N_("must not be zero; record a decrease as a negative amount"), field="amount"
        )
    return amount


def check_fact(fact: Fact, kind: str) -> None:
    """A corrected fact must still be one the recorder could have recorded."""
    if fact.amount is not None:
        nonzero(fact.amount)
    if kind == "jobs_created":
        check_jobs(fact.permanent, fact.temporary)
    if fact.name is not None:
        check_text(fact.name, field="replacement.name")


def check_jobs(permanent: int, temporary: int) -> None:
    if permanent == 0 and temporary == 0:
        raise ValidationError(
            N_("record at least one permanent or temporary job"), field="permanent"
        )
