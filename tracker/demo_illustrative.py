"""The demo's illustrative layer: invented projects and exchange rates, labelled as such.

No itemised public list of the portfolio exists, so the projects that fill it beside the
reported ones (tracker/demo_record.py) are invented here: deterministic (seeded), titled
"[Illustrative]" and flagged illustrative. They join in the waves the public restatements
give, located in Kazakhstan or Uzbekistan as the reported country split has it, and each
lives a plausible life of stages, money in three currencies, jobs and the odd mishap.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from tracker.demo_record import PublicRecord
from tracker.domain import commands as c
from tracker.domain.plan import Plan
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Money

ILLUSTRATIVE = "[Illustrative]"
#: The demo's rates run from before the earliest reported project (2019) to its last day.
FIRST_DAY = date(2019, 1, 1)
LAST_DAY = date(2026, 10, 31)

SECTORS = [
    "energy",
    "mining and geology",
    "petrochemicals",
    "metallurgy",
    "automotive",
    "food industry",
    "chemicals and pharmaceuticals",
    "transit transport",
    "water",
    "gas industry",
    "trade and logistics",
    "science and technology",
]
KZ_REGIONS = ["KZ-61", "KZ-79", "KZ-31", "KZ-35", "KZ-39", "KZ-75", "KZ-71"]
UZ_REGIONS = ["UZ-SI", "UZ-NW", "UZ-TO", "UZ-TK", "UZ-QA", "UZ-SA"]
PRODUCTS = {
    "energy": ["solar park", "wind farm", "substation upgrade"],
    "mining and geology": ["copper concentrate plant", "exploration programme"],
    "petrochemicals": ["polypropylene plant", "lubricants blending unit"],
    "metallurgy": ["steel pipe mill", "ferroalloy smelter", "copper cathode plant"],
    "automotive": ["bus assembly line", "auto components plant"],
    "food industry": ["flour mill", "fruit processing plant", "dairy plant"],
    "chemicals and pharmaceuticals": ["generic drugs plant", "fertiliser plant"],
    "transit transport": ["rail freight terminal", "cross-border logistics hub"],
    "water": ["irrigation canal lining", "water treatment plant"],
    "gas industry": ["gas compressor station", "LPG filling network"],
    "trade and logistics": ["wholesale distribution centre", "cold storage hub"],
    "science and technology": ["engineering centre", "agri-biotech laboratory"],
}
#: Illustrative units per US dollar at the start and the end of the demo period.
FX_PATHS = {"KZT": (Decimal("452"), Decimal("522")), "UZS": (Decimal("11250"), Decimal("12950"))}


def demo_rates(first: date = FIRST_DAY, last: date = LAST_DAY) -> list[PublishedRate]:
    """A rate on the first day of every month, moving steadily between the two ends."""
    months = (last.year - first.year) * 12 + last.month - first.month
    rates = []
    for step in range(months + 1):
        year, month = divmod(first.month - 1 + step, 12)
        day = date(first.year + year, month + 1, 1)
        for currency, (start, end) in FX_PATHS.items():
            units = (start + (end - start) * step / months).quantize(Decimal("0.01"))
            rates.append(PublishedRate(currency, day, units))
    return rates


def split(total: int, parts: int, rng: random.Random, unit: int) -> list[int]:
    """``parts`` whole multiples of ``unit`` that add up to ``total`` exactly."""
    weights = [rng.lognormvariate(0, 0.9) for _ in range(parts)]
    scale = sum(weights)
    shares = [max(unit, int(total * w / scale) // unit * unit) for w in weights]
    shares[shares.index(max(shares))] += total - sum(shares)
    return shares


@dataclass(frozen=True)
class IllustrativeProject:
    plan: Plan
    announced_on: date
    history: list[tuple[date, c.ProjectCommand]]


class IllustrativeProjects:
    """The invented projects that fill the portfolio beside ``record``'s reported ones."""

    def __init__(self, rng: random.Random, last_day: date, record: PublicRecord) -> None:
        self.rng = rng
        self.last_day = last_day
        self.waves = _waves(record)
        self.count = self.waves[-1][0]
        self.countries = _countries(record, [count for count, _, _ in self.waves])

    def _announced_on(self, index: int) -> date:
        """Illustrative projects join in the waves the restatements report (42, 60, 69, then
        74 projects), less the reported projects announced by then."""
        for count, first, last in self.waves:
            if index < count:
                return first + timedelta(days=self.rng.randrange((last - first).days + 1))
        raise ValueError(index)

    def project(self, index: int, usd: int, jobs: int) -> IllustrativeProject:
        """The ``index``-th invented project: its plan, announcement day and life."""
        rng = self.rng
        sector = SECTORS[index % len(SECTORS)]
        regions = (rng.choice(KZ_REGIONS if self.countries[index] == "KZ" else UZ_REGIONS),)
        title = f"{ILLUSTRATIVE} {rng.choice(PRODUCTS[sector]).capitalize()} #{index + 1:02d}"
        announced_on = self._announced_on(index)
        plan = Plan(
            title=title,
            sector=sector,
            regions=regions,
            countries=(),
            parties=("Illustrative investor", "Illustrative regional akimat/khokimiyat"),
            planned_investment=Money(Decimal(usd), "USD"),
            planned_jobs=jobs,
            planned_start=announced_on + timedelta(days=90),
            planned_end=announced_on + timedelta(days=900),
        )
        return IllustrativeProject(
            plan, announced_on, list(self._history(announced_on, Decimal(usd), jobs))
        )

    def _history(
        self, start: date, usd: Decimal, jobs: int
    ) -> Iterator[tuple[date, c.ProjectCommand]]:
        """A plausible life: stages, money in three currencies, jobs, and the odd mishap."""
        rng = self.rng
        day = start
        version = 1

        def later(low: int, high: int) -> date | None:
            nonlocal day
            candidate = day + timedelta(days=rng.randrange(low, high))
            if candidate > self.last_day:
                return None
            day = candidate
            return day

        def emit(command: c.ProjectCommand) -> tuple[date, c.ProjectCommand]:
            nonlocal version
            version += 1
            return day, command

        money_versions: list[int] = []
        for stage in ("agreed", "in_preparation", "under_implementation"):
            if later(30, 200) is None:
                return
            yield emit(c.ChangeStatus(stage))
            if stage == "agreed" and rng.random() < 0.05:
                if later(20, 120) is None:
                    return
                yield emit(c.Cancel("Illustrative: investor withdrew"))
                return
        committed = usd * Decimal(rng.uniform(0.35, 0.9))
        for share in (Decimal("0.6"), Decimal("0.4")):
            if later(10, 120) is None:
                return
            yield emit(c.CommitInvestment(self._money(committed * share, day)))
            money_versions.append(version)
        disbursed = Decimal(0)
        while disbursed < committed * Decimal("0.8"):
            if later(45, 160) is None:
                return
            portion = committed * Decimal(rng.uniform(0.1, 0.3))
            disbursed += portion
            yield emit(c.DisburseFunds(self._money(portion, day)))
            money_versions.append(version)
            if rng.random() < 0.15:
                yield emit(c.CreateJobs(temporary=max(10, jobs // rng.randint(3, 6))))
            if rng.random() < 0.04:
                yield emit(c.ChangeStatus("suspended", "Illustrative: financing review"))
                if later(60, 200) is None:
                    return
                yield emit(c.ChangeStatus("resumed"))
            if rng.random() < 0.06 and money_versions:
                target = rng.choice(money_versions)
                yield emit(c.Retract(target, "Illustrative: entered twice"))
                money_versions.remove(target)
            elif rng.random() < 0.08 and money_versions:
                target = money_versions[-1]
                yield emit(
                    c.Correct(
                        target,
                        "Illustrative: amount corrected from the bank statement",
                        c.Replacement(amount=self._money(portion * Decimal("0.9"), day)),
                    )
                )
        yield emit(c.CreateJobs(permanent=max(10, int(jobs * rng.uniform(0.4, 0.95)))))
        yield emit(c.ReachMilestone("Illustrative: plant commissioned"))
        if later(30, 200) is None:
            return
        yield emit(c.ChangeStatus("operational"))
        if rng.random() < 0.3 and later(60, 300) is not None:
            yield emit(c.Complete("Illustrative: project closed"))

    def _money(self, usd: Decimal, day: date) -> Money:
        """Some amounts are recorded in tenge or sum, at the demo rate of that month."""
        currency = self.rng.choice(("USD", "USD", "KZT", "UZS"))
        if currency == "USD":
            return Money(usd.quantize(Decimal("0.01")), "USD")
        units = RATES[(currency, date(day.year, day.month, 1))]
        return Money((usd * units).quantize(Decimal("1")), currency)


RATES = {r.key: r.units_per_usd for r in demo_rates()}


#: (restated on, projects): the counts the illustrative waves fill up to.
WAVES = [
    (date(2023, 1, 31), 42, date(2022, 11, 1)),
    (date(2024, 4, 30), 60, date(2023, 3, 1)),
    (date(2024, 7, 11), 69, date(2024, 5, 2)),
    (date(2024, 10, 22), 74, date(2024, 7, 13)),
]
#: (by, projects in Kazakhstan, in Uzbekistan), as reported in Feb 2023 and May 2024.
COUNTRY_SPLITS = [(date(2023, 2, 1), 29, 13), (date(2024, 5, 3), 55, 5)]


def _waves(record: PublicRecord) -> list[tuple[int, date, date]]:
    """(illustrative projects so far, first day, last day) per wave: each restated count less
    the reported projects announced by then, so that the portfolio holds as many projects as
    each restatement says (the last one first, where the reported ones leave no room)."""
    counts = [projects - len(record.announced_by(last)) for last, projects, _ in WAVES]
    for index in range(len(counts) - 2, -1, -1):
        counts[index] = min(counts[index], counts[index + 1])
    return [(count, first, last) for count, (last, _, first) in zip(counts, WAVES, strict=True)]


def _countries(record: PublicRecord, wave_ends: list[int]) -> list[str]:
    """Where each illustrative project is: the first wave so that, with the reported projects
    of the time, the portfolio has the Feb 2023 split (29 in Kazakhstan, 13 in Uzbekistan);
    the later ones in the proportion of May 2024 (55 to 5)."""
    (first_day, kz_first, _), (_, kz_later, uz_later) = COUNTRY_SPLITS
    reported_kz = sum(p.located_in == "KZ" for p in record.announced_by(first_day))
    first = wave_ends[0]
    kz = min(first, max(0, kz_first - reported_kz))
    countries = ["KZ"] * kz + ["UZ"] * (first - kz)
    later = wave_ends[-1] - first
    kz = round(later * kz_later / (kz_later + uz_later))
    countries += ["KZ"] * kz + ["UZ"] * (later - kz)
    return countries
