"""The Document aggregate: its status machine, amendments, and the values it refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from tests.unit.factories import on, usd
from tracker.domain.document import Amendment, Document, DocumentStatus, DocumentTerms
from tracker.domain.errors import Conflict, InvalidTransition, ValidationError
from tracker.domain.values import Money


def signed(**overrides: object) -> Document:
    values: dict[str, object] = {
        "title": "Memorandum on a copper cathode plant",
        "kind": "memorandum",
        "forum": "Samarkand forum",
        "parties": ("KazInvest", "UzIndustry"),
        "value": usd("25000000"),
    }
    values.update(overrides)
    return Document.sign(uuid4(), DocumentTerms(**values), on("2024-10-22"))  # type: ignore[arg-type]


def test_a_document_goes_from_signed_to_in_force_to_fulfilled() -> None:
    document = signed()
    assert (document.status, document.signed_on) == (DocumentStatus.SIGNED, date(2024, 10, 22))
    document.enter_into_force(on("2025-01-15"))
    document.fulfil(on("2026-03-01"))
    assert document.status is DocumentStatus.FULFILLED
    assert [type(e).KIND for e in document.collect_events()] == [
        "signed",
        "entered_into_force",
        "fulfilled",
    ]


@pytest.mark.parametrize("end", ["lapse", "withdraw"])
@pytest.mark.parametrize("in_force", [False, True])
def test_a_document_lapses_or_is_withdrawn_from_signed_or_in_force_and_stays_so(
    end: str, in_force: bool
) -> None:
    document = signed()
    if in_force:
        document.enter_into_force(on("2024-11-01"))
    getattr(document, end)("the investor withdrew", on("2025-01-01"))
    assert document.status in (DocumentStatus.LAPSED, DocumentStatus.WITHDRAWN)
    with pytest.raises(InvalidTransition):
        document.enter_into_force(on("2025-02-01"))
    with pytest.raises(InvalidTransition):
        document.amend(Amendment("late", value=usd("1")), on("2025-02-01"))


def test_only_a_document_in_force_is_fulfilled_and_nothing_enters_into_force_twice() -> None:
    document = signed()
    with pytest.raises(InvalidTransition) as caught:
        document.fulfil(on("2025-01-01"))
    assert "may become" in caught.value.detail
    document.enter_into_force(on("2025-01-01"))
    with pytest.raises(InvalidTransition):
        document.enter_into_force(on("2025-02-01"))
    document.fulfil(on("2025-03-01"))
    with pytest.raises(InvalidTransition):
        document.withdraw("too late", on("2025-04-01"))


def test_an_amendment_changes_only_what_it_names() -> None:
    document = signed()
    document.amend(
        Amendment("second phase", value=Money(Decimal("30000000"), "USD")), on("2025-02-01")
    )
    assert document.value == usd("30000000")
    assert document.title == "Memorandum on a copper cathode plant"
    project = uuid4()
    document.amend(
        Amendment("named", parties=("KazInvest",), projects=(project,)), on("2025-03-01")
    )
    assert (document.parties, document.projects) == (("KazInvest",), (project,))
    assert document.value == usd("30000000")


def test_an_amendment_must_change_something_and_give_a_reason() -> None:
    document = signed()
    with pytest.raises(ValidationError) as caught:
        document.amend(Amendment("nothing", value=usd("25000000")), on("2025-01-01"))
    assert caught.value.field == "value"
    with pytest.raises(ValidationError) as caught:
        document.amend(Amendment("  ", title="New title"), on("2025-01-01"))
    assert caught.value.field == "reason"


def test_events_are_recorded_in_date_order() -> None:
    document = signed()
    with pytest.raises(Conflict) as caught:
        document.enter_into_force(on("2024-10-01"))
    assert caught.value.field == "effective_date"
    document.enter_into_force(on("2024-10-22"))  # the same day is fine
    document.amend(Amendment("raised", value=usd("30000000")), on("2025-06-01"))
    with pytest.raises(Conflict):
        document.lapse("expired", on("2025-05-31"))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": " "}, "title"),
        ({"kind": "treaty"}, "kind"),
        ({"value": usd("0")}, "value.amount"),
        ({"value": usd("-5")}, "value.amount"),
        ({"value": Money(Decimal(1), "XXY")}, "value.currency"),
        ({"parties": ("A", "A")}, "parties"),
        ({"parties": ("A", "")}, "parties[1]"),
        ({"forum": "line\nbreak"}, "forum"),
    ],
)
def test_signing_refuses_bad_values_naming_the_field(
    overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        signed(**overrides)
    assert caught.value.field == field


def test_a_document_may_state_no_value() -> None:
    document = signed(value=None, parties=())
    assert document.value is None and document.parties == ()
    project = uuid4()
    with pytest.raises(ValidationError) as caught:
        signed(projects=(project, project))
    assert caught.value.field == "projects"
