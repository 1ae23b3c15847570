from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.unit.factories import announced, ledger, on, plan, record, unsaved, usd
from tracker.domain.base import CommandRecord, command_record, earlier_command
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
)
from tracker.domain.errors import Conflict, IdempotencyKeyReused, InvalidTransition, ValidationError
from tracker.domain.project import Project
from tracker.domain.status import Status
from tracker.domain.values import Envelope, Money


def test_announcing_derives_countries_from_regions() -> None:
    project = announced(regions=("KZ-61", "UZ-SI"), countries=())
    assert project.plan.countries == ("KZ", "UZ")
    assert project.status is Status.ANNOUNCED
    assert project.version == 1


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"regions": ("KZ-99",)}, "regions"),
        ({"regions": (), "countries": ("XX",)}, "countries"),
        ({"regions": (), "countries": ()}, "regions"),
        ({"planned_investment": Money(Decimal("1"), "XYZ")}, "planned_investment"),
        ({"planned_jobs": -1}, "planned_jobs"),
        ({"title": "   "}, "title"),
        ({"planned_start": date(2025, 1, 1), "planned_end": date(2024, 1, 1)}, "planned_end"),
    ],
)
def test_an_announcement_with_a_bad_value_names_the_field(
    overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        announced(**overrides)
    assert caught.value.field == field


def test_figures_fold_facts_by_currency_and_effective_date() -> None:
    project = announced()
    record(project, CommitInvestment(usd("100")), on("2024-02-01"))
    record(project, CommitInvestment(Money(Decimal("5000"), "KZT")), on("2024-03-01"))
    record(project, DisburseFunds(usd("40")), on("2024-04-01"))
    record(project, CreateJobs(permanent=10, temporary=5), on("2024-05-01"))
    record(project, ReachMilestone("Groundbreaking"), on("2024-05-02"))

    now = ledger(project).figures_as_of(None)
    assert now.committed == (Money(Decimal("5000"), "KZT"), usd("100"))
    assert now.disbursed == (usd("40"),)
    assert (now.jobs_permanent, now.jobs_temporary) == (10, 5)
    assert now.milestones == ("Groundbreaking",)

    march = ledger(project).figures_as_of(date(2024, 3, 15))
    assert march.committed == (Money(Decimal("5000"), "KZT"), usd("100"))
    assert march.disbursed == ()
    assert march.jobs_permanent == 0

    assert ledger(project).figures_as_of(date(2024, 1, 31)).committed == ()


def test_a_decrease_is_a_negative_amount_and_zero_is_refused() -> None:
    project = announced()
    record(project, CommitInvestment(usd("100")), on("2024-02-01"))
    record(project, CommitInvestment(usd("-30")), on("2024-02-02"))
    assert ledger(project).figures_as_of().committed == (usd("70"),)
    with pytest.raises(ValidationError) as caught:
        record(project, CommitInvestment(usd("0")), on("2024-02-03"))
    assert caught.value.field == "amount"


def test_a_correction_replaces_values_and_can_move_the_effective_date() -> None:
    project = announced()
    record(project, CommitInvestment(usd("100")), on("2024-02-01"))
    record(
        project,
        Correct(
            2,
            "wrong date and amount",
            Replacement(amount=usd("120"), effective_date=date(2024, 6, 1)),
        ),
        on("2024-07-01"),
    )
    assert ledger(project).figures_as_of().committed == (usd("120"),)
    assert ledger(project).figures_as_of(date(2024, 5, 1)).committed == ()
    assert ledger(project).facts[2].corrected_by == [3]


def test_correcting_the_announcement_changes_the_plan() -> None:
    project = announced()
    record(project, Correct(1, "restated", Replacement(planned_jobs=250)), on("2024-02-01"))
    assert project.plan.planned_jobs == 250


def test_a_retraction_removes_the_fact_and_cannot_be_repeated() -> None:
    project = announced()
    record(project, DisburseFunds(usd("50")), on("2024-02-01"))
    record(project, Retract(2, "duplicate"), on("2024-02-02"))
    assert ledger(project).figures_as_of().disbursed == ()
    with pytest.raises(Conflict, match="retracted"):
        record(project, Retract(2, "again"), on("2024-02-03"))
    with pytest.raises(Conflict, match="retracted"):
        record(project, Correct(2, "fix", Replacement(amount=usd("1"))), on("2024-02-03"))


@pytest.mark.parametrize(
    "command, field",
    [
        (Correct(9, "no such", Replacement(amount=usd("1"))), "corrects"),
        (Correct(2, "nothing", Replacement()), "replacement"),
        (Correct(2, "wrong field", Replacement(permanent=3)), "replacement.permanent"),
        (Correct(3, "a correction", Replacement(amount=usd("1"))), "corrects"),
        (Retract(3, "a correction"), "retracts"),
        (Correct(2, "   ", Replacement(amount=usd("1"))), "reason"),
    ],
)
def test_corrections_must_name_a_correctable_event(command: object, field: str) -> None:
    project = announced()
    record(project, CommitInvestment(usd("10")), on("2024-02-01"))
    record(project, Correct(2, "fix", Replacement(amount=usd("11"))), on("2024-02-02"))
    with pytest.raises(ValidationError) as caught:
        record(project, command, on("2024-02-03"))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_the_announcement_cannot_be_retracted() -> None:
    with pytest.raises(Conflict, match="cancel"):
        record(announced(), Retract(1, "never happened"), on("2024-02-01"))


def test_suspension_resumption_and_completion() -> None:
    project = announced()
    record(project, ChangeStatus("under_implementation"), on("2024-02-01"))
    record(project, ChangeStatus("suspended", "permits"), on("2024-03-01"))
    assert project.status is Status.SUSPENDED
    with pytest.raises(InvalidTransition):
        record(project, Complete(), on("2024-03-02"))
    record(project, ChangeStatus("resumed"), on("2024-04-01"))
    assert project.status is Status.UNDER_IMPLEMENTATION
    record(project, Complete(), on("2024-09-01"))
    assert project.status is Status.CLOSED
    assert project.status_as_of(date(2024, 3, 15)) is Status.SUSPENDED
    assert project.status_as_of(date(2024, 1, 15)) is Status.ANNOUNCED


def test_a_terminal_project_accepts_only_corrections_and_retractions() -> None:
    project = announced()
    record(project, CommitInvestment(usd("10")), on("2024-02-01"))
    record(project, Cancel("investor withdrew"), on("2024-03-01"))
    with pytest.raises(Conflict, match="only corrections"):
        record(project, DisburseFunds(usd("1")), on("2024-03-02"))
    record(project, Retract(2, "never signed"), on("2024-03-03"))
    assert ledger(project).figures_as_of().committed == ()


def test_jobs_must_count_something() -> None:
    with pytest.raises(ValidationError):
        record(announced(), CreateJobs(0, 0), on("2024-02-01"))


def test_an_idempotency_key_answers_the_same_request_and_refuses_another() -> None:
    envelope = Envelope("desk", date(2024, 2, 1), idempotency_key="k", command_digest="d1")
    project = announced()
    record(project, CommitInvestment(usd("10")), envelope)
    keyed = command_record(project.pending_events[-1])
    assert keyed == ("k", CommandRecord("d1", 2))
    assert earlier_command(keyed[1], envelope) == CommandRecord("d1", 2)
    with pytest.raises(IdempotencyKeyReused):
        earlier_command(
            keyed[1],
            Envelope("desk", date(2024, 2, 1), idempotency_key="k", command_digest="d2"),
        )
    assert earlier_command(None, envelope) is None
    assert command_record(project.pending_events[0]) is None  # announced without a key


def test_the_aggregate_keeps_only_what_corrections_did_not_every_fact() -> None:
    project = announced()
    for day in range(1, 21):
        record(project, CommitInvestment(usd(str(day))), on(f"2024-02-{day:02}"))
    record(project, Correct(5, "typo", Replacement(amount=usd("50"))), on("2024-03-01"))
    record(
        project,
        Correct(5, "again", Replacement(effective_date=date(2024, 1, 31))),
        on("2024-03-02"),
    )
    record(project, Retract(7, "duplicate"), on("2024-03-03"))
    assert project.corrections == {5: (22, 23)}
    assert project.retracted == {7: 24}
    assert project.needs(Correct(5, "x", Replacement(amount=usd("1")))) == (5, 22, 23)
    assert project.needs(Retract(6, "x")) == (6,)
    assert project.needs(Retract(99, "x")) == ()
    fact = ledger(project).facts[5]
    assert (fact.amount, fact.effective_date, fact.corrected_by) == (
        usd("50"),
        date(2024, 1, 31),
        [22, 23],
    )


def test_a_correction_needs_the_event_it_names() -> None:
    project = announced()
    record(project, CommitInvestment(usd("10")), on("2024-02-01"))
    with pytest.raises(ValidationError) as caught:
        project.execute(Correct(2, "fix", Replacement(amount=usd("11"))), on("2024-02-02"))
    assert caught.value.field == "corrects"
    with pytest.raises(ValueError, match="is not event 2"):
        project.execute(
            Retract(2, "wrong target"), on("2024-02-02"), events={2: project.pending_events[0]}
        )


def test_a_correction_is_checked_against_the_values_earlier_corrections_left() -> None:
    project = announced()
    record(project, CreateJobs(3, 0), on("2024-02-01"))
    record(project, Correct(2, "more", Replacement(permanent=0, temporary=4)), on("2024-02-02"))
    with pytest.raises(ValidationError, match="at least one permanent or temporary job"):
        record(project, Correct(2, "none", Replacement(temporary=0)), on("2024-02-03"))
    record(project, Correct(2, "fewer", Replacement(temporary=2)), on("2024-02-04"))
    assert project.needs(Retract(2, "x")) == (2, 3, 4)


def test_a_correction_must_be_handed_the_earlier_corrections_of_its_fact() -> None:
    project = announced()
    record(project, CommitInvestment(usd("10")), on("2024-02-01"))
    record(project, Correct(2, "typo", Replacement(amount=usd("12"))), on("2024-02-02"))
    only_the_fact = unsaved(project, [2])
    with pytest.raises(ValueError, match=r"correction 3 .* was not handed"):
        project.execute(
            Correct(2, "again", Replacement(amount=usd("13"))),
            on("2024-02-03"),
            events=only_the_fact,
        )


def test_a_retracted_fact_is_refused_naming_the_retraction_and_needs_no_corrections() -> None:
    project = announced()
    record(project, CommitInvestment(usd("10")), on("2024-02-01"))
    record(project, Correct(2, "typo", Replacement(amount=usd("12"))), on("2024-02-02"))
    record(project, Retract(2, "duplicate"), on("2024-02-03"))
    assert (project.corrections, project.retracted) == ({}, {2: 4})
    assert project.needs(Retract(2, "again")) == (2,)
    with pytest.raises(Conflict, match="event 2 was retracted by event 4") as caught:
        record(project, Correct(2, "fix", Replacement(amount=usd("1"))), on("2024-02-04"))
    assert caught.value.field == "corrects"
    facts = ledger(project).facts
    assert (facts[2].amount, facts[2].corrected_by, facts[2].retracted_by) == (usd("12"), [3], 4)


def test_every_event_type_has_an_explicit_topic() -> None:
    kinds = [
        Project.Announced,
        Project.InvestmentCommitted,
        Project.FundsDisbursed,
        Project.JobsCreated,
        Project.MilestoneReached,
        Project.StatusChanged,
        Project.Completed,
        Project.Cancelled,
        Project.Corrected,
        Project.Retracted,
    ]
    assert all(k.__dict__["TOPIC"].startswith("tracker:Project.") for k in kinds)
    assert len({k.KIND for k in kinds}) == 10
    assert plan().title
