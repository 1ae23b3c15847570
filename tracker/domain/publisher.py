"""Who publishes a portfolio to IATI, and the IATI codes the tracker checks it against.

An IATI organisation identifier is the code of the agency that registered the organisation
(IATI's OrganisationRegistrationAgency codelist), a hyphen, and the number that agency gave
it: ``KZ-BIN-123456789012`` (a Kazakh business identification number), ``XM-DAC-41114``
(an OECD DAC code). Every activity's ``iati-identifier`` starts with the publisher's, so
it is set once, as a fact of the portfolio, before anything is published.

The codes below are a small part of IATI's non-embedded codelists, taken from the
IATI-Codelists-NonEmbedded repository (``xml/OrganisationRegistrationAgency.xml``,
``xml/OrganisationType.xml``, ``xml/FlowType.xml``, as of June 2026): the agencies of the
region the tracker serves, its neighbours, and the international ones. An agency missing
here is added to :data:`REGISTRATION_AGENCIES` with the codelist's name for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.domain.errors import N_, ValidationError
from tracker.domain.values import check_text

#: Registration agencies (OrganisationRegistrationAgency codelist): code → name.
REGISTRATION_AGENCIES: dict[str, str] = {
    "KZ-BIN": "Business Identification Number (BIN), Kazakhstan",
    "KZ-COA": "Kazakhstan Chart of Accounts",
    "UZ-KTUT": "United State Register of Corporate Entities, Uzbekistan",
    "UZ-COA": "Uzbekistan Chart of Accounts",
    "KG-INN": "Kyrgyz Republic Register of Legal Entities",
    "KG-COA": "Kyrgyzstan Chart of Accounts",
    "TJ-COA": "Tajikistan Chart of Accounts",
    "TM-COA": "Turkmenistan Chart of Accounts",
    "RU-INN": "Uniform State Register of Legal Entities, Russian Federation",
    "RU-OGRN": "Unified State Register of Legal Entities, Russian Federation",
    "RU-COA": "Russian Federation Chart of Accounts",
    "GB-COH": "Companies House, United Kingdom",
    "GB-GOV": "UK Government Departments Reference Numbers",
    "US-EIN": "Employer Identification Number, United States",
    "FR-RCS": "Trade and Companies Register, France",
    "XM-DAC": "OECD Development Assistance Committee",
    "XM-OCHA": "UN OCHA Humanitarian Programme Cycle Identifiers",
    "XI-IATI": "IATI Organisation Identifier",
    "XI-LEI": "Global Legal Entity Identifier Index",
    "XI-DUNS": "D-U-N-S Number",
    "XI-PB": "Public Bodies (Open Knowledge Foundation)",
    "XI-WIKIDATA": "Wikidata",
}
#: Numbers some agencies give have a fixed form (a Kazakh BIN is 12 digits).
NUMBER_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    "KZ-BIN": (re.compile(r"\d{12}"), "12 digits"),
}
#: What a registration number may hold: IATI identifiers keep to letters, digits, ``-``,
#: ``_`` and ``.`` (no spaces, and none of ``/ & | ?``, which break identifiers in URLs).
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_REF = 100

#: Organisation types (OrganisationType codelist): code → name.
ORGANISATION_TYPES: dict[str, str] = {
    "10": "Government",
    "11": "Local Government",
    "15": "Other Public Sector",
    "21": "International NGO",
    "22": "National NGO",
    "23": "Regional NGO",
    "24": "Partner Country based NGO",
    "30": "Public Private Partnership",
    "40": "Multilateral",
    "60": "Foundation",
    "70": "Private Sector",
    "71": "Private Sector in Provider Country",
    "72": "Private Sector in Aid Recipient Country",
    "73": "Private Sector in Third Country",
    "80": "Academic, Training and Research",
    "90": "Other",
}
#: The public-sector types: a publisher of one of these oversees the programme it reports.
PUBLIC_SECTOR = frozenset({"10", "11", "15"})

#: Flow types (FlowType codelist; 20 "OOF" was withdrawn in 2016): code → name.
FLOW_TYPES: dict[str, str] = {
    "10": "ODA",
    "21": "Non-export credit OOF",
    "22": "Officially supported export credits",
    "30": "Private Development Finance",
    "35": "Private Market",
    "36": "Private Foreign Direct Investment",
    "37": "Other Private flows at market terms",
    "40": "Non flow",
    "50": "Other flows",
}
#: The portfolio records companies' investment across a border: private direct investment.
DEFAULT_FLOW_TYPE = "36"
DEFAULT_ORGANISATION_TYPE = "10"


@dataclass(frozen=True)
class ReportingOrganisation:
    """The organisation that publishes the portfolio's activities to IATI, as a secondary
    reporter (it reports others' money), with the flow type its activities carry."""

    ref: str
    name: str
    type: str = DEFAULT_ORGANISATION_TYPE
    flow_type: str = DEFAULT_FLOW_TYPE

    @property
    def agency(self) -> str:
        """The registration agency's code that starts ``ref`` (its first two parts when the
        agency is not among those known here)."""
        for agency in sorted(REGISTRATION_AGENCIES, key=len, reverse=True):
            if self.ref.startswith(agency + "-"):
                return agency
        return "-".join(self.ref.split("-")[:2])


def registration_agency(ref: str) -> str:
    """The agency code an identifier starts with, or :class:`ValidationError` (``ref``)."""
    agency = ReportingOrganisation(ref, "").agency
    if agency in REGISTRATION_AGENCIES and ref.startswith(agency + "-"):
        return agency
    known = ", ".join(sorted(REGISTRATION_AGENCIES))
    raise ValidationError(
        N_(
            "%(ref)r does not start with a registration agency's code and a hyphen: an IATI "
            "organisation identifier is one of %(known)s (OrganisationRegistrationAgency "
            "codelist), '-', and the number that agency gave the organisation"
        ),
        ref=ref[:40],
        known=known,
        field="ref",
    )


def check_reporting_organisation(org: ReportingOrganisation) -> ReportingOrganisation:
    """Check every part; raise :class:`ValidationError` naming the field."""
    ref = org.ref.strip()
    if len(ref) > MAX_REF:
        raise ValidationError(
            N_("must be at most %(max_ref)s characters"), max_ref=MAX_REF, field="ref"
        )
    agency = registration_agency(ref)
    number = ref[len(agency) + 1 :]
    if not _NUMBER.fullmatch(number):
        raise ValidationError(
            N_(
                "%(number)r is not a registration number: after %(agency)s- come letters, "
                "digits, '-', '_' or '.' (no spaces, no / & | ?)"
            ),
            number=number[:40],
            agency=agency,
            field="ref",
        )
    form = NUMBER_FORMS.get(agency)
    if form is not None and not form[0].fullmatch(number):
        raise ValidationError(
            N_("a %(agency)s number is %(form)s, not %(number)r"),
            agency=agency,
            form=form[1],
            number=number[:40],
            field="ref",
        )
    if org.type not in ORGANISATION_TYPES:
        raise ValidationError(
            N_(
                "%(type)r is not an IATI organisation type; use one of %(allowed)s "
                "(OrganisationType codelist)"
            ),
            type=org.type,
            allowed=", ".join(ORGANISATION_TYPES),
            field="type",
        )
    if org.flow_type not in FLOW_TYPES:
        raise ValidationError(
            N_(
                "%(flow_type)r is not an IATI flow type; use one of %(allowed)s (FlowType "
                "codelist; 36 is private direct investment)"
            ),
            flow_type=org.flow_type,
            allowed=", ".join(FLOW_TYPES),
            field="flow_type",
        )
    return ReportingOrganisation(
        ref, check_text(org.name, field="name", max_length=200), org.type, org.flow_type
    )
