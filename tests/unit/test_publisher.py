"""The portfolio's IATI reporting organisation: checked against IATI's codelists."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.factories import on
from tracker.domain.errors import ValidationError
from tracker.domain.portfolio import Portfolio
from tracker.domain.publisher import ReportingOrganisation


def portfolio() -> Portfolio:
    return Portfolio.establish("KZ-UZ", "forum", date(2023, 2, 1), on("2023-02-01"))


@pytest.mark.parametrize(
    "ref",
    ["KZ-BIN-123456789012", "XM-DAC-41114", "UZ-KTUT-305123456", "XI-IATI-EBRD", "GB-GOV-1"],
)
def test_an_identifier_is_a_registered_agency_code_and_a_number(ref: str) -> None:
    p = portfolio()
    p.set_reporting_organisation(ReportingOrganisation(f" {ref} ", "Ministry"), on("2025-01-01"))
    assert p.reporting_organisation == ReportingOrganisation(ref, "Ministry", "10", "36")
    assert p.reporting_organisation.agency == ref.rsplit("-", 1)[0]


@pytest.mark.parametrize(
    ("ref", "field", "says"),
    [
        ("TRACKER-1A2B3C4D", "ref", "registration agency"),  # the old placeholder
        ("KZ-BIN", "ref", "registration agency"),  # no number
        ("KZ-BIN-12345", "ref", "12 digits"),
        ("XM-DAC-41 114", "ref", "not a registration number"),
        ("XM-DAC-41/114", "ref", "not a registration number"),
        ("ZZ-XYZ-1", "ref", "registration agency"),
    ],
)
def test_an_identifier_without_a_known_agency_or_number_is_refused(
    ref: str, field: str, says: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        portfolio().set_reporting_organisation(
            ReportingOrganisation(ref, "Ministry"), on("2025-01-01")
        )
    assert caught.value.field == field
    assert says in caught.value.detail


@pytest.mark.parametrize(
    ("organisation", "field"),
    [
        (ReportingOrganisation("XM-DAC-1", "Ministry", type="12"), "type"),
        (ReportingOrganisation("XM-DAC-1", "Ministry", flow_type="20"), "flow_type"),  # withdrawn
        (ReportingOrganisation("XM-DAC-1", "  "), "name"),
    ],
)
def test_types_come_from_the_codelists_and_a_name_is_needed(
    organisation: ReportingOrganisation, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        portfolio().set_reporting_organisation(organisation, on("2025-01-01"))
    assert caught.value.field == field


def test_a_new_publisher_replaces_the_old_whose_identifier_is_remembered() -> None:
    p = portfolio()
    assert p.reporting_organisation is None and p.earlier_publisher_refs == ()
    p.set_reporting_organisation(ReportingOrganisation("XM-DAC-1", "Old"), on("2025-01-01"))
    p.set_reporting_organisation(
        ReportingOrganisation("XM-DAC-1", "Old, renamed"), on("2025-02-01")
    )
    assert p.earlier_publisher_refs == ()  # the same identifier: nothing to trace
    p.set_reporting_organisation(
        ReportingOrganisation("KZ-BIN-123456789012", "New", flow_type="30"), on("2025-03-01")
    )
    assert p.reporting_organisation == ReportingOrganisation(
        "KZ-BIN-123456789012", "New", "10", "30"
    )
    assert p.earlier_publisher_refs == ("XM-DAC-1",)
