"""What lags: each figure as a share of what the projects themselves plan, and the shortfall.

The plan is per project: a slice (or a filtered portfolio) plans the investment and jobs of
its projects that are not cancelled. Committed and disbursed are shares of that planned
investment, jobs created (permanent and temporary) a share of the planned jobs; the
shortfall is plan minus actual (negative when a slice did more than it planned). A slice
that plans nothing has no share, and sorts after every slice that has one.

Amounts planned in a currency that could not be converted are left out of the plan, as they
are of the sums (the report lists them as unconverted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

#: The figures a slice can be measured and sorted by.
FIGURES = ("committed", "disbursed", "jobs")
#: How slices can be ordered: by key (A–Z), largest amount first, lowest share of plan
#: first, largest shortfall first.
ORDERS = ("key", "amount", "share", "shortfall")


class _Total(Protocol):
    @property
    def amount(self) -> Decimal: ...


class Measured(Protocol):
    """What shares are computed from (``totals.Figures`` has these)."""

    @property
    def pledged(self) -> _Total: ...
    @property
    def committed(self) -> _Total: ...
    @property
    def disbursed(self) -> _Total: ...
    @property
    def planned_jobs(self) -> int: ...
    @property
    def jobs_permanent(self) -> int: ...
    @property
    def jobs_temporary(self) -> int: ...


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part / whole`` to four places, or ``None`` when nothing is planned."""
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Shares:
    """Committed, disbursed and jobs as shares of plan, and each one's shortfall."""

    committed: Decimal | None
    disbursed: Decimal | None
    jobs: Decimal | None
    committed_shortfall: Decimal
    disbursed_shortfall: Decimal
    jobs_shortfall: int

    @classmethod
    def of(cls, figures: Measured) -> Shares:
        planned = figures.pledged.amount
        jobs = figures.jobs_permanent + figures.jobs_temporary
        return cls(
            committed=share(figures.committed.amount, planned),
            disbursed=share(figures.disbursed.amount, planned),
            jobs=share(jobs, figures.planned_jobs),
            committed_shortfall=planned - figures.committed.amount,
            disbursed_shortfall=planned - figures.disbursed.amount,
            jobs_shortfall=figures.planned_jobs - jobs,
        )

    def of_figure(self, figure: str) -> Decimal | None:
        return {"committed": self.committed, "disbursed": self.disbursed, "jobs": self.jobs}[figure]

    def shortfall(self, figure: str) -> Decimal:
        return {
            "committed": self.committed_shortfall,
            "disbursed": self.disbursed_shortfall,
            "jobs": Decimal(self.jobs_shortfall),
        }[figure]


def actual(figures: Measured, figure: str) -> Decimal:
    if figure == "jobs":
        return Decimal(figures.jobs_permanent + figures.jobs_temporary)
    return figures.committed.amount if figure == "committed" else figures.disbursed.amount


def ordered_keys(slices: Mapping[str, Measured], figure: str, order: str) -> list[str]:
    """The slices' keys in ``order`` of ``figure``; ties (and ``key``) by key, A–Z."""
    if figure not in FIGURES:
        raise ValueError(f"figure must be one of {', '.join(FIGURES)}")
    if order not in ORDERS:
        raise ValueError(f"sort must be one of {', '.join(ORDERS)}")
    keys = sorted(slices)
    if order == "amount":
        keys.sort(key=lambda k: -actual(slices[k], figure))
    elif order == "shortfall":
        keys.sort(key=lambda k: -Shares.of(slices[k]).shortfall(figure))
    elif order == "share":

        def lowest_first(key: str) -> tuple[bool, Decimal]:
            value = Shares.of(slices[key]).of_figure(figure)
            return (value is None, value if value is not None else Decimal(0))

        keys.sort(key=lowest_first)
    return keys
