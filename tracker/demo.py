"""The demo portfolio: the real Kazakhstan–Uzbekistan targets and 74 illustrative projects.

The restated targets and their sources are public figures (shared/reference/portfolio-facts.md).
No itemised list of the projects is public, so every project and exchange rate here is
invented, deterministic (seeded) and labelled illustrative, in its title and in its flag.
Every command carries an idempotency key, so loading the demo twice records nothing new.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from tracker.application import TrackerApplication
from tracker.demo_clock import Lag, RecordingClock
from tracker.domain import commands as c
from tracker.domain.plan import Plan
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Envelope, Money, Source
from tracker.recording import Recorded

ACTOR = "demo-loader"
SEED = 2024
FIRST_DAY = date(2022, 11, 1)
LAST_DAY = date(2026, 10, 31)
ILLUSTRATIVE = "[Illustrative]"
PLEDGE_USD = 3_400_000_000
PLEDGE_JOBS = 14_600
PROJECTS = 74

#: (effective date, projects, USD, jobs, source): the portfolio as publicly restated.
TARGETS = [
    (
        date(2023, 2, 1),
        42,
        2_100_000_000,
        10_000,
        "Feb 2023: 42 projects, USD 2.1 B, over 10,000 "
        "jobs (29 in Kazakhstan, 13 in Uzbekistan) — tafsilar.info, Forbes.kz",
    ),
    (
        date(2024, 5, 1),
        60,
        2_500_000_000,
        10_000,
        "Apr–May 2024: 60 projects, USD 2.5–2.6 B; jobs "
        "not restated — en.trend.az, astanatimes.com 2024/05",
    ),
    (
        date(2024, 7, 12),
        69,
        3_100_000_000,
        15_000,
        "12 Jul 2024: 69 projects, about USD 3.1 B, about 15,000 jobs — khabar.kz",
    ),
    (
        date(2024, 10, 22),
        74,
        3_400_000_000,
        14_600,
        "22 Oct 2024, 4th interregional forum, "
        "Samarkand: 74 projects, USD 3.4 B, 14,600 jobs — astanatimes.com 2024/10, "
        "centralasianlight.org, silkwaytv.kz",
    ),
]

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
FX_SOURCE = "Illustrative demo rates (not official rates)"
RATE_SET = "Illustrative (demo)"
#: A rate published wrong and corrected after the Samarkand forum (22 Oct 2024).
MISPUBLISHED = {
    ("UZS", date(2024, 9, 1)): PublishedRate("UZS", date(2024, 9, 1), Decimal("12150.00"))
}
RATE_CORRECTED_ON = date(2024, 11, 12)
#: Two moments worth comparing (README): the forum's day, and a report known then.
SAMARKAND_FORUM = date(2024, 10, 22)


@dataclass(frozen=True)
class DemoResult:
    portfolio_id: UUID
    projects: int
    events_recorded: int
    events_replayed: int


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


def _split(total: int, parts: int, rng: random.Random, unit: int) -> list[int]:
    """``parts`` whole multiples of ``unit`` that add up to ``total`` exactly."""
    weights = [rng.lognormvariate(0, 0.9) for _ in range(parts)]
    scale = sum(weights)
    shares = [max(unit, int(total * w / scale) // unit * unit) for w in weights]
    shares[shares.index(max(shares))] += total - sum(shares)
    return shares


class DemoLoader:
    """Replays the demo's commands through the application, each with its own key, at
    simulated recording times (see :mod:`tracker.demo_clock`)."""

    def __init__(self, tracker: TrackerApplication, today: date, now: datetime) -> None:
        self.tracker = tracker
        self.last_day = min(LAST_DAY, today)
        self.rng = random.Random(SEED)
        self.clock = RecordingClock(now, random.Random(SEED + 1))
        self.ids: dict[str, UUID] = {}
        self.established: datetime | None = None
        self.counter = 0
        self.recorded = 0
        self.replayed = 0

    def _step(
        self,
        aggregate: str,
        day: date,
        run: Callable[[Envelope], Recorded],
        *,
        source: Source | None = None,
        lag: Lag = Lag.REPORT,
        not_before: datetime | None = None,
    ) -> datetime:
        """Plan one command on ``aggregate``, effective on ``day`` and recorded ``lag`` after
        it (and not before ``not_before``); return when it is recorded."""
        self.counter += 1
        key = f"demo:{self.counter}"
        at = self.clock.time_for(aggregate, day, lag, not_before=not_before)
        envelope = Envelope(
            ACTOR, day, source, idempotency_key=key, command_digest=key, simulated_at=at
        )
        self.clock.plan(at, lambda: self._count(run(envelope)))
        return at

    def _count(self, recorded: Recorded) -> None:
        if recorded.replayed:
            self.replayed += 1
        else:
            self.recorded += 1

    def _establish(
        self, name: str, make: Callable[[Envelope], Recorded]
    ) -> Callable[[Envelope], Recorded]:
        def run(envelope: Envelope) -> Recorded:
            recorded = make(envelope)
            self.ids[name] = recorded.id
            return recorded

        return run

    def load(self, progress: Callable[[int, int], None] | None = None) -> DemoResult:
        tracker = self.tracker
        self.established = self._step(
            "portfolio",
            date(2023, 2, 1),
            self._establish(
                "portfolio",
                lambda e: tracker.establish_portfolio(
                    "Kazakhstan–Uzbekistan joint industrial portfolio",
                    "Kazakhstan–Uzbekistan interregional cooperation forums",
                    date(2023, 2, 1),
                    e,
                ),
            ),
            source=Source("Forbes.kz, February 2023"),
            lag=Lag.SAME_DAY,
        )
        self._rates()
        for day, projects, usd, jobs, source in TARGETS:
            self._step(
                "portfolio",
                day,
                self._restate(Money(Decimal(usd), "USD"), jobs, projects),
                source=Source(source),
                lag=Lag.SAME_DAY,
            )
        investments = _split(PLEDGE_USD, PROJECTS, self.rng, 1_000_000)
        planned_jobs = _split(PLEDGE_JOBS, PROJECTS, self.rng, 10)
        for index in range(PROJECTS):
            self._project(index, investments[index], planned_jobs[index])
        total = self.clock.planned
        for done in self.clock.run():
            if progress and (done % 50 == 0 or done == total):
                progress(done, total)
        return DemoResult(self.ids["portfolio"], PROJECTS, self.recorded, self.replayed)

    def _rates(self) -> None:
        """The demo's own illustrative rate set, which only the demo portfolio converts with:
        each month's rates published on the month's first day, and one of them corrected
        after the Samarkand forum, so a report known at the forum converts with the rate
        published then."""
        tracker = self.tracker
        rates_established = self._step(
            "rates",
            FIRST_DAY,
            self._establish(
                "rates", lambda e: tracker.establish_rate_set(RATE_SET, e, illustrative=True)
            ),
            lag=Lag.SAME_DAY,
        )
        self._step(
            "portfolio",
            FIRST_DAY,
            lambda e: tracker.choose_rate_sets(self.ids["portfolio"], [self.ids["rates"]], e),
            lag=Lag.SAME_DAY,
            not_before=rates_established,
        )
        by_month: dict[date, list[PublishedRate]] = {}
        for rate in demo_rates(last=self.last_day):
            published = MISPUBLISHED.get(rate.key, rate)
            by_month.setdefault(rate.rate_date, []).append(published)
        for day, rates in sorted(by_month.items()):
            self._step(
                "rates",
                day,
                self._publish(rates),
                source=Source(FX_SOURCE),
                lag=Lag.SAME_DAY,
            )
        for wrong in MISPUBLISHED.values():
            if wrong.rate_date > self.last_day:
                continue
            right = PublishedRate(wrong.currency, wrong.rate_date, RATES[wrong.key])
            self._step(
                "rates",
                RATE_CORRECTED_ON,
                self._correct(right),
                source=Source(FX_SOURCE),
                lag=Lag.SAME_DAY,
            )

    def _restate(
        self, investment: Money, jobs: int, projects: int
    ) -> Callable[[Envelope], Recorded]:
        def run(envelope: Envelope) -> Recorded:
            return self.tracker.restate_targets(
                self.ids["portfolio"], investment, jobs, projects, envelope
            )

        return run

    def _publish(self, rates: list[PublishedRate]) -> Callable[[Envelope], Recorded]:
        def run(envelope: Envelope) -> Recorded:
            return self.tracker.change_rate_set(
                self.ids["rates"], lambda r: r.publish(rates, envelope), envelope
            )

        return run

    def _correct(self, rate: PublishedRate) -> Callable[[Envelope], Recorded]:
        reason = "Illustrative: the published rate was mistyped"

        def run(envelope: Envelope) -> Recorded:
            return self.tracker.change_rate_set(
                self.ids["rates"], lambda r: r.correct(rate, reason, envelope), envelope
            )

        return run

    def _record(self, name: str, command: c.ProjectCommand) -> Callable[[Envelope], Recorded]:
        def run(envelope: Envelope) -> Recorded:
            return self.tracker.record(self.ids[name], command, envelope)

        return run

    def _announced_on(self, index: int) -> date:
        """Projects join in the waves the restatements report: 42, 60, 69, then 74."""
        waves = [
            (42, date(2022, 11, 1), date(2023, 1, 31)),
            (60, date(2023, 3, 1), date(2024, 4, 30)),
            (69, date(2024, 5, 2), date(2024, 7, 11)),
            (74, date(2024, 7, 13), date(2024, 10, 22)),
        ]
        for count, first, last in waves:
            if index < count:
                return first + timedelta(days=self.rng.randrange((last - first).days + 1))
        raise ValueError(index)

    def _project(self, index: int, usd: int, jobs: int) -> None:
        rng = self.rng
        sector = SECTORS[index % len(SECTORS)]
        regions = (rng.choice(KZ_REGIONS), rng.choice(UZ_REGIONS))[: rng.choice((1, 2, 2))]
        if rng.random() < 0.3:
            regions = (rng.choice(UZ_REGIONS),)
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
        name = f"project-{index}"
        tracker = self.tracker
        self._step(
            name,
            announced_on,
            self._establish(
                name,
                lambda e: tracker.announce_project(
                    self.ids["portfolio"], plan, e, illustrative=True
                ),
            ),
            not_before=self.established,
        )
        for day, command in self._history(announced_on, Decimal(usd), jobs):
            late = isinstance(command, c.Correct | c.Retract)
            self._step(
                name,
                day,
                self._record(name, command),
                lag=Lag.AFTERTHOUGHT if late else Lag.REPORT,
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


def load_demo(
    tracker: TrackerApplication,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Load the demo as it would have been recorded up to ``now`` (simulated times)."""
    return DemoLoader(tracker, now.date(), now).load(progress)
