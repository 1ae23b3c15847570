"""A busy history for the projector's tests: a portfolio with restated targets, a rate set
whose rates are corrected, published and withdrawn, an indicator whose rows are closed, and
projects of about fifteen events of every kind each, some naming a signed document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from tests.rates import give_rates
from tracker.application import TrackerApplication
from tracker.domain.commands import (
    Cancel,
    ChangeStatus,
    CommitInvestment,
    Complete,
    Correct,
    CreateJobs,
    DisburseFunds,
    ReachMilestone,
    Replacement,
    Retract,
    TranslateTitle,
)
from tracker.domain.document import Amendment, DocumentTerms
from tracker.domain.indicator import Period, PeriodKind, Quantity
from tracker.domain.project import Plan
from tracker.domain.rate_set import PublishedRate
from tracker.domain.values import Envelope, Money

#: The portfolio's rate set as first published; ``establish`` then corrects the second rate
#: (510 → 512) and publishes and withdraws a UZS rate, so the rate tables hold closed rows.
RATES = [
    ("KZT", date(2024, 1, 1), Decimal("500")),
    ("KZT", date(2025, 1, 1), Decimal("510")),
    ("UZS", date(2024, 6, 1), Decimal("12800")),
]
CURRENCIES = ("USD", "KZT", "UZS", "EUR")
REGIONS = (("KZ-61", "UZ-SI"), ("KZ-75",), ("UZ-TK", "UZ-TO"), ())


# A busy history


def on(day: str) -> Envelope:
    return Envelope("crash-test", date.fromisoformat(day))


def money(amount: str, currency: str) -> Money:
    return Money(Decimal(amount), currency)


def establish(tracker: TrackerApplication) -> UUID:
    portfolio = tracker.establish_portfolio("KZ-UZ", "Forum", date(2023, 2, 1), on("2023-02-01"))
    for day, investment, jobs, projects in (
        ("2023-02-01", "2100000000", 10_000, 42),
        ("2024-05-01", "2500000000", 12_000, 60),
    ):
        tracker.restate_targets(portfolio.id, money(investment, "USD"), jobs, projects, on(day))
    rate_set = give_rates(tracker, portfolio.id, RATES)
    fix = on("2025-01-02")
    for change in (
        lambda s: s.correct(PublishedRate("KZT", date(2025, 1, 1), Decimal("512")), "typo", fix),
        lambda s: s.publish([PublishedRate("UZS", date(2025, 1, 1), Decimal("16000"))], fix),
        lambda s: s.withdraw("UZS", date(2025, 1, 1), "not an official rate", fix),
    ):
        tracker.change_rate_set(rate_set, change, fix)
    trade_indicator(tracker, portfolio.id)
    return portfolio.id


def trade_indicator(tracker: TrackerApplication, portfolio: UUID) -> None:
    """An indicator whose observation rows are closed by a correction and a retraction, one
    of them observed again, and whose target was restated."""
    indicator = tracker.define_indicator(portfolio, "Trade", on("2024-10-22"), currency="USD").id
    year = Period(date(2023, 1, 1), date(2023, 12, 31), PeriodKind.YEAR)
    to_date = Period(date(2024, 1, 1), date(2024, 8, 31), PeriodKind.TO_DATE)
    usd = Quantity(Decimal("4400000000"), "USD")
    later = on("2024-11-01")
    for change in (
        lambda i: i.observe(year, usd, on("2024-02-15")),
        lambda i: i.observe(to_date, Quantity(Decimal("2500000000"), "USD"), on("2024-10-22")),
        lambda i: i.restate_target(Quantity(Decimal("1E10"), "USD"), date(2030, 12, 31), later),
        lambda i: i.correct(year, Quantity(Decimal("4410000000.5"), "USD"), "final", later),
        lambda i: i.retract(to_date, "preliminary", later),
        lambda i: i.observe(to_date, Quantity(Decimal("2600000000"), "KZT"), later),
        lambda i: i.correct(to_date, Quantity(Decimal("2700000000"), "KZT"), "again", later),
        lambda i: i.restate_target(Quantity(Decimal("9E9"), "EUR"), date(2031, 12, 31), later),
    ):
        tracker.change_indicator(indicator, change, later)


def busy_project(tracker: TrackerApplication, portfolio: UUID, n: int) -> UUID:
    """About fifteen events of every kind, in the project's own currency ``n`` picks."""
    currency = CURRENCIES[n % len(CURRENCIES)]
    regions = REGIONS[n % len(REGIONS)]
    plan = Plan(
        title=f"Plant {n}",
        sector=("energy", "metallurgy", "agriculture")[n % 3],
        regions=regions,
        countries=() if regions else ("TR",),
        parties=("KazInvest",),
        planned_investment=money(f"{(n + 1) * 1_000_000}.50", currency),
        planned_jobs=100 * (n + 1),
        planned_start=None,
        planned_end=None,
    )
    project = tracker.announce_project(portfolio, plan, on(f"2024-0{1 + n % 6}-1{n % 10}")).id

    def record(command: Any, day: str) -> int:
        return tracker.record(project, command, on(day)).version

    record(ChangeStatus("under_implementation"), "2024-07-01")
    record(TranslateTitle("ru", f"Завод {n}"), "2024-07-02")
    commitment = record(CommitInvestment(money(f"{n + 3}000000.25", currency)), "2024-07-15")
    first = record(DisburseFunds(money(f"{n + 1}00000.10", "KZT")), "2024-08-01")
    record(DisburseFunds(money("-2500.00", currency)), "2024-09-01")
    duplicate = record(DisburseFunds(money(f"{n + 1}00000.10", "KZT")), "2024-08-01")
    record(CreateJobs(10 * n + 5, 3), "2024-10-01")
    record(ReachMilestone("Foundation stone"), "2024-10-05")
    record(
        Correct(first, "bank statement", Replacement(amount=money("777777.77", "UZS"))),
        "2025-01-05",
    )
    record(
        Correct(commitment, "signed later", Replacement(effective_date=date(2025, 2, 1))),
        "2025-01-06",
    )
    record(Retract(duplicate, "entered twice"), "2025-01-07")
    record(ChangeStatus("suspended"), "2025-02-01")
    record(ChangeStatus("resumed"), "2025-03-01")
    if n % 3 == 0:
        record(Cancel("investor withdrew"), "2025-04-01")
    else:
        record(ChangeStatus("operational"), "2025-04-01")
        record(Complete(), "2025-06-30")
    record(TranslateTitle("ru", f"Завод № {n}"), "2025-06-30")  # replaces the first
    if n % 2:
        sector = Replacement(sector="logistics", planned_investment=money("123.45", "EUR"))
        record(Correct(1, "the plan was restated", sector), "2025-07-01")
    else:
        signed_document(tracker, portfolio, project, n, currency)
    return project


def signed_document(
    tracker: TrackerApplication, portfolio: UUID, project: UUID, n: int, currency: str
) -> None:
    """A document naming the project: signed, in force, amended, and for some lapsed."""
    terms = DocumentTerms(
        f"Agreement {n}",
        "agreement",
        "Forum",
        ("KazInvest",),
        money("5000000", currency),
        (project,),
    )
    document = tracker.sign_document(portfolio, terms, on("2024-10-22")).id
    changes: list[tuple[Any, str]] = [
        (lambda d, e: d.enter_into_force(e), "2024-11-01"),
        (
            lambda d, e: d.amend(Amendment("raised", value=money("6000000", currency)), e),
            "2025-02-01",
        ),
    ]
    if n % 4 == 0:
        changes.append((lambda d, e: d.lapse("expired", e), "2025-08-01"))
    for change, day in changes:
        envelope = on(day)
        tracker.change_document(document, lambda d, c=change, e=envelope: c(d, e), envelope)


def busy_history(tracker: TrackerApplication, portfolio: UUID, first: int, count: int) -> None:
    for n in range(first, first + count):
        busy_project(tracker, portfolio, n)
