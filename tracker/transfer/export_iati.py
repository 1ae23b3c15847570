"""IATI activity XML 2.03: one ``iati-activity`` per project, figures as of a day.

The publisher is the portfolio's reporting organisation (``Portfolio.ReportingOrganisationSet``,
as known at ``known_at``); without one the export is refused, since every identifier starts
with its identifier. It reports money that others put in, so it is a secondary reporter.
What goes where (docs/import-format.md, "IATI"):

- ``iati-identifier``: the reporting organisation's identifier, a hyphen, the project id;
  ``other-identifier`` (type B1, previous activity identifier) for each earlier publisher's.
- ``reporting-org``: its identifier, type and name, ``secondary-reporter="1"``.
- ``participating-org``: the project's parties as funding (role 1): the record names them
  as the companies and bodies that put money into the project, without finer roles (a
  project that names none has "Investors not named in the record"); the reporting
  organisation as accountable (role 2) when it is a public body, which oversees the
  programme. No organisation is named that the record does not name.
- ``activity-status`` and ``activity-date``: 1 planned start (the announcement date when
  none was planned), 2 actual start (the first move to under_implementation or beyond), 3
  planned end, 4 actual end (completion or cancellation). A date that would break IATI's
  order (planned end before planned start, actual end before actual start) is left out, and
  a comment in the activity says which and why. Actual dates are never after the day of
  the file: they come from the history up to ``as_of``, and an ``as_of`` after today is
  refused.
- ``recipient-country`` sharing 100 %; each region a ``location`` (:mod:`iati_codes`).
- ``sector``: the DAC 5-digit code where one fits (vocabulary 1), and the portfolio's own
  (vocabulary 99, with its URI), each at 100 %.
- ``default-flow-type``: the reporting organisation's setting (36, private direct
  investment, unless set otherwise).
- ``transaction``: type 2 (outgoing commitment) per committed fact, type 3 (disbursement) per
  disbursed fact, as corrected, without retracted ones, effective by as_of; decreases are
  negative values. ``provider-org`` names the project's parties (the investors); the record
  does not say who received the money, so there is no ``receiver-org``.
- ``result``: jobs and investment (:mod:`tracker.transfer.iati_results`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pycountry
from lxml import etree

from tracker.domain.errors import N_, Conflict, TrackerError
from tracker.domain.project import Project
from tracker.domain.publisher import PUBLIC_SECTOR, ReportingOrganisation
from tracker.domain.status import IATI_ACTIVITY_STATUS, STAGES, Status
from tracker.integrity.signing import checkpoint_dict
from tracker.transfer import iati_codes as codes
from tracker.transfer.export_values import amount_text
from tracker.transfer.iati_results import add_results
from tracker.transfer.iati_xml import narrative, omitted, sub
from tracker.transfer.portfolio_export import ExportQuery, PortfolioExport, ProjectExport

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FUNDING, ACCOUNTABLE = "1", "2"  # OrganisationRole
PREVIOUS_ACTIVITY_IDENTIFIER = "B1"  # OtherIdentifierType
COMMITMENT, DISBURSEMENT = "2", "3"  # TransactionType
#: Who put the money in when the record names no party (IATI wants a funding organisation).
UNNAMED_INVESTORS = "Investors not named in the record"
_STARTED = frozenset(STAGES[STAGES.index(Status.UNDER_IMPLEMENTATION) :]) | {Status.CLOSED}


def check_iati_moment(query: ExportQuery, now: datetime) -> None:
    """IATI reports what has happened: an ``as_of`` after today (UTC) is refused."""
    today = now.astimezone(UTC).date()
    if query.as_of is not None and query.as_of > today:
        raise TrackerError(
            N_(
                "as_of %(as_of)s is after today (%(today)s, UTC): an IATI file reports what has "
                "happened, so its actual dates and transactions cannot lie ahead; ask for today "
                "or an earlier day"
            ),
            as_of=query.as_of.isoformat(),
            today=today.isoformat(),
            field="as_of",
        )


def publisher_of(export: PortfolioExport) -> ReportingOrganisation:
    """The portfolio's reporting organisation as known at the export's ``known_at``."""
    org = export.portfolio.reporting_organisation
    if org is None:
        portfolio_id = export.portfolio.id
        if export.query.known_at:
            raise Conflict(
                N_(
                    "portfolio %(portfolio_id)s had no IATI reporting organisation as known at "
                    "%(known_at)s (the setting reporting_organisation), and every activity "
                    "identifier starts with its IATI organisation identifier: an admin sets it "
                    "with PUT /api/v1/portfolios/%(portfolio_id)s/reporting-organisation or "
                    "`tracker publisher set %(portfolio_id)s --ref … --name …`"
                ),
                portfolio_id=portfolio_id,
                known_at=export.query.known_at.isoformat(),
                field="reporting_organisation",
            )
        raise Conflict(
            N_(
                "portfolio %(portfolio_id)s has no IATI reporting organisation (the setting "
                "reporting_organisation), and every activity identifier starts with its IATI "
                "organisation identifier: an admin sets it with PUT "
                "/api/v1/portfolios/%(portfolio_id)s/reporting-organisation or "
                "`tracker publisher set %(portfolio_id)s --ref … --name …`"
            ),
            portfolio_id=portfolio_id,
            field="reporting_organisation",
        )
    return org


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def to_iati(export: PortfolioExport) -> bytes:
    org = publisher_of(export)
    root = etree.Element(
        "iati-activities",
        {"version": IATI_VERSION, "generated-datetime": _stamp(export.generated_at)},
    )
    if export.checkpoint is not None:
        # A comment: IATI's schema has no element for it, and validators skip comments.
        signed = checkpoint_dict(export.checkpoint)
        root.append(
            etree.Comment(
                " tracker checkpoint (docs/integrity.md): "
                + " ".join(f"{k}={v}" for k, v in signed.items())
                + " "
            )
        )
    today = export.generated_at.astimezone(UTC).date()
    earlier = export.portfolio.earlier_publisher_refs
    for item in export.projects:
        _activity(root, item, org, earlier, export.query.as_of or today)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _activity(
    root: etree._Element,
    item: ProjectExport,
    org: ReportingOrganisation,
    earlier_refs: tuple[str, ...],
    as_of: date,
) -> None:
    project, figures, plan = item.project, item.figures, item.project.plan
    activity = sub(root, "iati-activity", last_updated_datetime=_stamp(item.last_recorded_at))
    activity.set(XML_LANG, "en")
    sub(activity, "iati-identifier", f"{org.ref}-{project.id}")
    narrative(
        activity, "reporting-org", org.name, ref=org.ref, type=org.type, secondary_reporter="1"
    )
    narrative(activity, "title", plan.title)
    description = (
        f"{plan.title}: a {plan.sector} project of the portfolio, announced on "
        f"{project.announced_on().isoformat()}"
        + (f" by {', '.join(plan.parties)}" if plan.parties else "")
        + f"; planned investment {amount_text(plan.planned_investment.amount)} "
        f"{plan.planned_investment.currency}, {plan.planned_jobs} planned jobs."
        + (" Illustrative figures." if project.illustrative else "")
    )
    narrative(activity, "description", description, type="1")
    for party in plan.parties or (UNNAMED_INVESTORS,):
        narrative(activity, "participating-org", party, role=FUNDING)
    if org.type in PUBLIC_SECTOR:
        narrative(
            activity, "participating-org", org.name, ref=org.ref, type=org.type, role=ACCOUNTABLE
        )
    for ref in earlier_refs:
        previous = f"{ref}-{project.id}"
        sub(activity, "other-identifier", ref=previous, type=PREVIOUS_ACTIVITY_IDENTIFIER)
    sub(activity, "activity-status", code=str(IATI_ACTIVITY_STATUS[figures.status]))
    _add_dates(activity, project, as_of)
    for code, share in _shares(plan.countries):
        sub(activity, "recipient-country", code=code, percentage=share)
    for code in plan.regions:
        _location(activity, code)
    _sectors(activity, plan.sector)
    sub(activity, "default-flow-type", code=org.flow_type)
    _transactions(activity, item, as_of)
    add_results(activity, item, as_of)


def _add_dates(activity: etree._Element, project: Project, as_of: date) -> None:
    """The activity's dates, leaving out (with a comment) any that would break IATI's
    order: planned and actual starts on or before their ends."""
    plan = project.plan
    planned_start = plan.planned_start or project.announced_on()
    dates: dict[str, date] = {"1": planned_start}
    if plan.planned_end is not None and plan.planned_end < planned_start:
        omitted(
            activity,
            f"planned end {plan.planned_end.isoformat()}",
            f"before the planned start {planned_start.isoformat()}"
            + ("" if plan.planned_start else " (the announcement date, as none was planned)"),
        )
    elif plan.planned_end is not None:
        dates["3"] = plan.planned_end
    # Actual dates come from the status history up to as_of, which is never after today.
    started, ended = _actual_dates(project, as_of)
    if started is not None:
        dates["2"] = started
    if ended is not None:
        dates["4"] = ended
    if "2" in dates and "4" in dates and dates["4"] < dates["2"]:
        omitted(
            activity,
            f"actual start {dates.pop('2').isoformat()}",
            f"after the actual end {dates['4'].isoformat()} (the status history's dates "
            "are out of order)",
        )
    for kind in sorted(dates):
        sub(activity, "activity-date", type=kind, iso_date=dates[kind].isoformat())


def _actual_dates(project: Project, as_of: date) -> tuple[date | None, date | None]:
    """When the project started (first under implementation or beyond) and ended (closed
    or cancelled), as of ``as_of``."""
    history = sorted(
        (e for e in project.status_history if e.effective_date <= as_of),
        key=lambda e: (e.effective_date, e.version),
    )
    started = next((e.effective_date for e in history if e.status in _STARTED), None)
    status = project.status_as_of(as_of)
    ended = None
    if status in (Status.CLOSED, Status.CANCELLED):
        ended = max(e.effective_date for e in history if e.status is status)
    return started, ended


def _location(activity: etree._Element, code: str) -> None:
    location = sub(activity, "location", ref=code)
    sub(location, "location-reach", code=codes.ACTIVITY_HAPPENS_HERE)
    subdivision = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    narrative(location, "name", subdivision.name if subdivision else code)
    narrative(location, "description", f"ISO 3166-2 subdivision {code}")
    sub(
        location,
        "administrative",
        vocabulary=codes.COUNTRY_VOCABULARY,
        level="0",
        code=code.split("-")[0],
    )
    sub(location, "location-class", code=codes.ADMINISTRATIVE_REGION)
    sub(location, "feature-designation", code=codes.FIRST_ORDER_DIVISION)


def _sectors(activity: etree._Element, sector: str) -> None:
    """The DAC code that fits, if one does, and the portfolio's own, each at 100 %."""
    dac = codes.dac_sector(sector)
    if dac is not None:
        sub(activity, "sector", vocabulary=codes.DAC_VOCABULARY, code=dac, percentage="100")
    narrative(
        activity,
        "sector",
        sector,
        vocabulary=codes.OWN_VOCABULARY,
        vocabulary_uri=codes.OWN_VOCABULARY_URI,
        code=sector,
        percentage="100",
    )


def _transactions(activity: etree._Element, item: ProjectExport, as_of: date) -> None:
    project, parties = item.project, item.project.plan.parties
    provider = (" and ".join(parties) if parties else "Investors not named in the record") + (
        " (the record does not say which of them paid)" if len(parties) > 1 else ""
    )
    facts = item.ledger.facts.values()
    for fact in sorted(facts, key=lambda f: (f.effective_date, f.version)):
        if fact.retracted_by is not None or fact.amount is None or fact.effective_date > as_of:
            continue
        transaction = sub(activity, "transaction", ref=f"{project.id}:{fact.version}")
        sub(
            transaction,
            "transaction-type",
            code=COMMITMENT if fact.kind == "committed" else DISBURSEMENT,
        )
        sub(transaction, "transaction-date", iso_date=fact.effective_date.isoformat())
        sub(
            transaction,
            "value",
            amount_text(fact.amount.amount),
            currency=fact.amount.currency,
            value_date=fact.effective_date.isoformat(),
        )
        narrative(transaction, "provider-org", provider)


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
