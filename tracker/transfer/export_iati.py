"""IATI activity XML 2.03: one ``iati-activity`` per project, figures as of a day.

What goes where (see docs/import-format.md, "IATI"):

- ``iati-identifier``: the reporting organisation's identifier, a hyphen, the project id.
- ``activity-status``: :data:`tracker.domain.status.IATI_ACTIVITY_STATUS` of the status as of.
- ``activity-date``: 1 planned start (the announcement date when none was planned),
  2 actual start (the first move to under_implementation or beyond), 3 planned end,
  4 actual end (completion or cancellation).
- ``participating-org``: the reporting organisation (role 2, accountable) and each party
  (role 4, implementing).
- ``recipient-country``: each country, sharing 100 %; ISO 3166-2 regions are sub-national, so
  they are ``location`` elements (``ref`` = the code), not IATI recipient regions (which are
  supranational).
- ``sector``: vocabulary 99 (the reporting organisation's own), with its vocabulary URI.
- ``transaction``: type 2 (outgoing commitment) per committed fact, type 3 (disbursement) per
  disbursed fact, as corrected, without retracted ones, effective by as_of; decreases are
  negative values, as IATI records them.
- ``result``: jobs created (an outcome) and investment disbursed (an output), each an
  indicator with a baseline and a target and actual per calendar year (see
  :mod:`tracker.transfer.iati_results`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pycountry
from lxml import etree

from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.status import IATI_ACTIVITY_STATUS, STAGES, Status
from tracker.transfer.export_values import amount_text, xml_safe
from tracker.transfer.iati_results import add_results
from tracker.transfer.portfolio_export import PortfolioExport, ProjectExport

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: Where the reporting organisation's sector vocabulary (99) is described.
SECTOR_VOCABULARY_URI = "urn:x-tracker:sectors"
_STARTED = frozenset(STAGES[STAGES.index(Status.UNDER_IMPLEMENTATION) :]) | {Status.CLOSED}


@dataclass(frozen=True)
class ReportingOrg:
    """Who publishes. ``ref`` must be the publisher's IATI organisation identifier."""

    ref: str
    name: str
    type: str = "10"  # IATI OrganisationType 10: government
    sector_vocabulary_uri: str = SECTOR_VOCABULARY_URI

    @classmethod
    def default_for(cls, portfolio: Portfolio) -> ReportingOrg:
        """A placeholder identity; set the real one (``--reporting-org-ref``) to publish."""
        return cls(ref=f"TRACKER-{portfolio.id.hex[:8].upper()}", name=portfolio.name)


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(
        parent, tag, {k.replace("_", "-"): xml_safe(v) for k, v in attributes.items()}
    )
    if text is not None:
        element.text = xml_safe(text)
    return element


def _narrative(parent: etree._Element, tag: str, text: str, **attributes: str) -> etree._Element:
    element = _sub(parent, tag, **attributes)
    _sub(element, "narrative", text)
    return element


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def to_iati(export: PortfolioExport, org: ReportingOrg) -> bytes:
    root = etree.Element(
        "iati-activities",
        {"version": IATI_VERSION, "generated-datetime": _stamp(export.generated_at)},
    )
    today = export.generated_at.date()
    for item in export.projects:
        _activity(root, item, org, export.query.as_of or today)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _activity(root: etree._Element, item: ProjectExport, org: ReportingOrg, as_of: date) -> None:
    project, figures, plan = item.project, item.figures, item.project.plan
    activity = _sub(root, "iati-activity", last_updated_datetime=_stamp(item.last_recorded_at))
    activity.set(XML_LANG, "en")
    _sub(activity, "iati-identifier", f"{org.ref}-{project.id}")
    _narrative(activity, "reporting-org", org.name, ref=org.ref, type=org.type)
    _narrative(activity, "title", plan.title)
    description = (
        f"{plan.title}: a {plan.sector} project of the portfolio, announced on "
        f"{project.announced_on().isoformat()}"
        + (f" by {', '.join(plan.parties)}" if plan.parties else "")
        + f"; planned investment {amount_text(plan.planned_investment.amount)} "
        f"{plan.planned_investment.currency}, {plan.planned_jobs} planned jobs."
        + (" Illustrative figures." if project.illustrative else "")
    )
    _narrative(activity, "description", description, type="1")
    _narrative(activity, "participating-org", org.name, ref=org.ref, type=org.type, role="2")
    for party in plan.parties:
        _narrative(activity, "participating-org", party, role="4")
    _sub(activity, "activity-status", code=str(IATI_ACTIVITY_STATUS[figures.status]))
    for kind, day in _dates(project, as_of):
        _sub(activity, "activity-date", type=kind, iso_date=day.isoformat())
    for code, share in _shares(plan.countries):
        _sub(activity, "recipient-country", code=code, percentage=share)
    for code in plan.regions:
        location = _sub(activity, "location", ref=code)
        subdivision = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
        _narrative(location, "name", subdivision.name if subdivision else code)
        _narrative(location, "description", f"ISO 3166-2 subdivision {code}")
    _narrative(
        activity,
        "sector",
        plan.sector,
        vocabulary="99",
        vocabulary_uri=org.sector_vocabulary_uri,
        code=plan.sector,
        percentage="100",
    )
    facts = item.ledger.facts.values()
    for fact in sorted(facts, key=lambda f: (f.effective_date, f.version)):
        if fact.retracted_by is not None or fact.amount is None or fact.effective_date > as_of:
            continue
        transaction = _sub(activity, "transaction", ref=f"{project.id}:{fact.version}")
        _sub(transaction, "transaction-type", code="2" if fact.kind == "committed" else "3")
        _sub(transaction, "transaction-date", iso_date=fact.effective_date.isoformat())
        _sub(
            transaction,
            "value",
            amount_text(fact.amount.amount),
            currency=fact.amount.currency,
            value_date=fact.effective_date.isoformat(),
        )
    add_results(activity, item, as_of)


def _dates(project: Project, as_of: date) -> list[tuple[str, date]]:
    plan = project.plan
    dates = [("1", plan.planned_start or project.announced_on())]
    history = sorted(
        (e for e in project.status_history if e.effective_date <= as_of),
        key=lambda e: (e.effective_date, e.version),
    )
    started = next((e.effective_date for e in history if e.status in _STARTED), None)
    if started is not None:
        dates.append(("2", started))
    if plan.planned_end is not None:
        dates.append(("3", plan.planned_end))
    status = project.status_as_of(as_of)
    if status in (Status.CLOSED, Status.CANCELLED):
        ended = max(e.effective_date for e in history if e.status is status)
        dates.append(("4", ended))
    return dates


def _shares(countries: tuple[str, ...]) -> list[tuple[str, str]]:
    """Equal percentages that add up to exactly 100 (the last takes the rounding)."""
    if not countries:
        return []
    each = (Decimal(100) / len(countries)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    shares = [each] * (len(countries) - 1)
    shares.append(Decimal(100) - sum(shares, Decimal(0)))
    return [
        (code, format(share.normalize(), "f"))
        for code, share in zip(countries, shares, strict=True)
    ]
