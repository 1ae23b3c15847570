"""Rules on every value that enters the domain: text, dates, digits, status order.

Each case here was once accepted and broke something downstream: a NUL in a title stopped the
PostgreSQL read model for good, a fact dated 1927 made a monthly timeline 1,200 points long, a
status dated before the one in force made the current status and the as-of status disagree,
and "٥" was stored as 5.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from tests.unit.factories import announced, on, plan, record, usd
from tracker.domain.commands import (
    Cancel,
    ChangeStatus,
    CommitInvestment,
    Complete,
    Correct,
    ReachMilestone,
    Replacement,
    Retract,
)
from tracker.domain.errors import Conflict, ValidationError
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.status import Status
from tracker.domain.values import Source, parse_amount

CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\x85"]


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize("name", ["title", "sector"])
def test_an_announcement_with_a_control_character_is_refused_naming_the_field(
    char: str, name: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        announced(**{name: f"nul{char}value"})
    assert caught.value.field == name
    assert f"U+{ord(char):04X}" in caught.value.detail


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_a_one_line_text_refuses_tabs_and_line_breaks(char: str) -> None:
    with pytest.raises(ValidationError) as caught:
        announced(parties=(f"Kaz{char}Invest",))
    assert caught.value.field == "parties"


def test_free_text_keeps_tabs_and_line_breaks_but_refuses_nul() -> None:
    project = announced()
    record(project, ChangeStatus("agreed", "signed\tin Samarkand\nby both"), on("2024-02-01"))
    assert project.status is Status.AGREED
    with pytest.raises(ValidationError) as caught:
        record(project, ChangeStatus("in_preparation", "bad\x00reason"), on("2024-03-01"))
    assert caught.value.field == "reason"


def test_a_correction_cannot_bring_a_nul_into_the_plan() -> None:
    project = announced()
    with pytest.raises(ValidationError) as caught:
        record(
            project,
            Correct(1, "typo", Replacement(sector="metal\x00lurgy")),
            on("2024-02-01"),
        )
    assert caught.value.field == "sector"


@pytest.mark.parametrize(
    "command, field",
    [
        (ReachMilestone("first\x00melt"), "name"),
        (ReachMilestone("first melt", "desc\x00ription"), "description"),
        (Cancel("no\x00money"), "reason"),
    ],
)
def test_every_text_of_a_command_is_checked(command: object, field: str) -> None:
    project = announced()
    with pytest.raises(ValidationError) as caught:
        record(project, command, on("2024-02-01"))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_source_title_or_address_with_control_characters_is_refused() -> None:
    project = announced()
    with pytest.raises(ValidationError) as caught:
        record(project, CommitInvestment(usd("5")), on("2024-02-01", source=Source("Gazette\x00")))
    assert caught.value.field == "source.title"
    with pytest.raises(ValidationError) as caught:
        record(
            project,
            CommitInvestment(usd("5")),
            on("2024-02-01", source=Source("Gazette", "https://example.org/\x00")),
        )
    assert caught.value.field == "source.url"


def test_portfolio_names_are_checked_too() -> None:
    with pytest.raises(ValidationError) as caught:
        Portfolio.establish("KZ\x00UZ", "forum", date(2024, 10, 22), on("2024-10-22"))
    assert caught.value.field == "name"


@pytest.mark.parametrize("day", ["1927-03-01", "1949-12-31", "0001-01-01"])
def test_an_effective_date_before_1950_is_refused(day: str) -> None:
    project = announced()
    with pytest.raises(ValidationError) as caught:
        record(project, CommitInvestment(usd("5")), on(day))
    assert caught.value.field == "effective_date"
    assert "1950-01-01" in caught.value.detail


def test_an_announcement_dated_before_1950_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Project.announce(uuid4(), plan(), on("0001-01-01"))
    assert caught.value.field == "effective_date"


def test_an_effective_date_after_the_recorders_today_is_refused() -> None:
    project = announced()
    record(project, CommitInvestment(usd("5")), on("2024-02-02", today=date(2024, 2, 1)))
    with pytest.raises(ValidationError) as caught:
        record(project, CommitInvestment(usd("5")), on("2024-02-03", today=date(2024, 2, 1)))
    assert caught.value.field == "effective_date"
    assert "future" in caught.value.detail


def test_a_correction_cannot_move_a_fact_outside_the_valid_dates() -> None:
    project = announced()
    record(project, CommitInvestment(usd("5")), on("2024-02-01"))
    for day, today in ((date(1927, 1, 1), None), (date(2030, 1, 1), date(2024, 3, 1))):
        with pytest.raises(ValidationError) as caught:
            record(
                project,
                Correct(2, "date", Replacement(effective_date=day)),
                on("2024-03-01", today=today),
            )
        assert caught.value.field == "replacement.effective_date"


@pytest.mark.parametrize("name", ["planned_start", "planned_end"])
@pytest.mark.parametrize("day", [date(1, 1, 1), date(9999, 12, 31)])
def test_planned_dates_stay_within_the_accepted_range(name: str, day: date) -> None:
    with pytest.raises(ValidationError) as caught:
        announced(**{name: day})
    assert caught.value.field == name


def test_a_status_change_dated_before_the_status_in_force_is_refused() -> None:
    project = announced()
    record(project, ChangeStatus("under_implementation"), on("2024-06-01"))
    with pytest.raises(Conflict) as caught:
        record(project, Cancel("funding withdrawn"), on("2024-03-01"))
    assert caught.value.field == "effective_date"
    assert "2024-06-01" in caught.value.detail
    assert project.status is Status.UNDER_IMPLEMENTATION
    # The same day is fine: it is not before the status in force.
    record(project, Complete(), on("2024-06-01"))
    assert project.status is Status.CLOSED


def test_a_status_change_dated_before_the_announcement_is_refused() -> None:
    project = announced()  # announced on 2024-01-10
    with pytest.raises(Conflict):
        record(project, ChangeStatus("agreed"), on("2024-01-09"))


def test_corrections_and_retractions_may_still_be_dated_in_the_past() -> None:
    project = announced()
    record(project, CommitInvestment(usd("5")), on("2024-02-01"))
    record(project, ChangeStatus("under_implementation"), on("2024-06-01"))
    record(project, Retract(2, "duplicate"), on("2024-05-01"))
    assert project.retracted == {2: 4}


@pytest.mark.parametrize("text", ["٥", "１２.５", "5²", "1.٥", "12\u00a0000"])
def test_amounts_are_written_in_ascii_digits_only(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_amount(text)


def test_ascii_amounts_still_parse_exactly() -> None:
    assert str(parse_amount("-1500000.125")) == "-1500000.125"
