"""The demo portfolio: the real Kazakhstan–Uzbekistan targets and 74 illustrative projects.

The restated targets and their sources are public figures (shared/reference/portfolio-facts.md).
No itemised list of the projects is public, so every project and exchange rate here is
invented, deterministic (seeded) and labelled illustrative, in its title and in its flag.
Every command carries an idempotency key, so loading the demo twice records nothing new.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from uuid import UUID

from tracker.application import TrackerApplication
from tracker.demo_clock import Lag, RecordingClock
from tracker.demo_illustrative import (
    FIRST_DAY,
    LAST_DAY,
    RATES,
    IllustrativeProject,
    IllustrativeProjects,
    demo_rates,
    split,
)
from tracker.demo_record import (
    PublicRecord,
    ReportedDocument,
    ReportedIndicator,
    ReportedObservation,
    ReportedStatement,
    ReportedTarget,
    load_public_record,
)
from tracker.domain import commands as c
from tracker.domain.indicator import Indicator
from tracker.domain.plan import Plan
from tracker.domain.publisher import ReportingOrganisation
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Envelope, Money, Source
from tracker.recording import Recorded

ACTOR = "demo-loader"
#: Who publishes the demo portfolio to IATI: a plausible publisher (the ministry that
#: co-chairs the forums on the Kazakh side), with an invented business identification number
#: (its real one is not in the public record), and labelled so in its name.
PUBLISHER = ReportingOrganisation(
    "KZ-BIN-000000000000",
    "Ministry of Trade and Integration of the Republic of Kazakhstan "
    "(illustrative: the identifier is invented)",
)
PUBLISHER_SET_ON = date(2024, 10, 22)
SEED = 2024
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
    reported_projects: int
    illustrative_projects: int
    events_recorded: int
    events_replayed: int


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
        self.waves: list[tuple[int, date, date]] = []
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
        record = load_public_record()
        self._reported(record)
        invented = IllustrativeProjects(self.rng, self.last_day, record)
        count = invented.count
        usd = int(PLEDGE_USD - record.reported_usd())
        investments = split(usd, count, self.rng, 1_000_000)
        planned_jobs = split(PLEDGE_JOBS - record.reported_jobs(), count, self.rng, 10)
        for index in range(count):
            self._illustrative(
                index, invented.project(index, investments[index], planned_jobs[index])
            )
        # Last, so that the keys of the commands before it stay as they were.
        self._step(
            "portfolio",
            PUBLISHER_SET_ON,
            lambda e: tracker.set_reporting_organisation(self.ids["portfolio"], PUBLISHER, e),
            lag=Lag.SAME_DAY,
        )
        total = self.clock.planned
        for done in self.clock.run():
            if progress and (done % 50 == 0 or done == total):
                progress(done, total)
        return DemoResult(
            self.ids["portfolio"], len(record.projects), count, self.recorded, self.replayed
        )

    def _illustrative(self, index: int, project: IllustrativeProject) -> None:
        name = f"project-{index}"
        self._step(
            name,
            project.announced_on,
            self._establish(name, self._announce(project.plan, illustrative=True)),
            not_before=self.established,
        )
        for day, command in project.history:
            late = isinstance(command, c.Correct | c.Retract)
            self._step(
                name,
                day,
                self._record(name, command),
                lag=Lag.AFTERTHOUGHT if late else Lag.REPORT,
            )

    def _announce(self, plan: Plan, *, illustrative: bool) -> Callable[[Envelope], Recorded]:
        def run(envelope: Envelope) -> Recorded:
            return self.tracker.announce_project(
                self.ids["portfolio"], plan, envelope, illustrative=illustrative
            )

        return run

    def _reported(self, record: PublicRecord) -> None:
        """The reported layer: each statement, named project and signed document with its
        source, recorded a few days after the report, as a desk would have."""
        for statement in record.statements:
            self._step(
                "portfolio",
                statement.day,
                self._state(statement),
                source=statement.source,
                not_before=self.established,
            )
        announced: dict[str, datetime] = {}
        for project in record.projects:
            name = f"reported:{project.ref}"
            announced[project.ref] = self._step(
                name,
                project.announced_on,
                self._establish(name, self._announce(project.plan, illustrative=False)),
                source=project.source,
                not_before=self.established,
            )
            for status in project.statuses:
                self._step(
                    name,
                    status.day,
                    self._record(name, c.ChangeStatus(status.status, status.reason)),
                    source=status.source,
                )
        for document in record.documents:
            self._step(
                f"document:{document.ref}",
                document.signed_on,
                self._sign(document),
                source=document.source,
                not_before=max(announced[ref] for ref in document.project_refs),
            )

        for indicator in record.indicators:
            self._indicator(indicator)

    def _indicator(self, indicator: ReportedIndicator) -> None:
        """An indicator with its reported figures, each recorded when it was published, and
        its targets when they were stated."""
        name = f"indicator:{indicator.ref}"
        tracker = self.tracker

        def define(envelope: Envelope) -> Recorded:
            return tracker.define_indicator(
                self.ids["portfolio"],
                indicator.name,
                envelope,
                currency=indicator.currency,
                unit=indicator.unit,
                description=indicator.description,
            )

        self._step(
            name,
            indicator.defined_on,
            self._establish(name, define),
            source=indicator.source,
            not_before=self.established,
        )
        changes: list[tuple[date, Source, Callable[[Indicator, Envelope], object]]] = [
            (o.published, o.source, partial(_observe, o)) for o in indicator.observations
        ]
        changes += [(t.stated, t.source, partial(_aim, t)) for t in indicator.targets]
        for day, source, change in sorted(changes, key=lambda c: c[0]):
            self._step(name, day, self._on_indicator(name, change), source=source)

    def _on_indicator(
        self, name: str, change: Callable[[Indicator, Envelope], object]
    ) -> Callable[[Envelope], Recorded]:
        def run(envelope: Envelope) -> Recorded:
            return self.tracker.change_indicator(
                self.ids[name], lambda indicator: change(indicator, envelope), envelope
            )

        return run

    def _sign(self, document: ReportedDocument) -> Callable[[Envelope], Recorded]:
        def run(envelope: Envelope) -> Recorded:
            projects = tuple(self.ids[f"reported:{ref}"] for ref in document.project_refs)
            terms = replace(document.terms, projects=projects)
            return self.tracker.sign_document(self.ids["portfolio"], terms, envelope)

        return run

    def _state(self, statement: ReportedStatement) -> Callable[[Envelope], Recorded]:
        def run(envelope: Envelope) -> Recorded:
            return self.tracker.record_statement(
                self.ids["portfolio"],
                statement.measure,
                statement.summary,
                envelope,
                count=statement.count,
                amount=statement.amount,
                jobs=statement.jobs,
            )

        return run

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


def _observe(reported: ReportedObservation, indicator: Indicator, envelope: Envelope) -> None:
    indicator.observe(reported.period, reported.value, envelope)


def _aim(target: ReportedTarget, indicator: Indicator, envelope: Envelope) -> None:
    indicator.restate_target(target.value, target.by, envelope, per=target.per)


def load_demo(
    tracker: TrackerApplication,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Load the demo as it would have been recorded up to ``now`` (simulated times)."""
    with tracker.saves_told_at_the_end():
        return DemoLoader(tracker, now.date(), now).load(progress)
