"""Checking an IATI file in tests: the shared 2.03 schema, and the Standard ruleset's checks.

The schema lives in the shared reference folder beside the repository. Where it is missing a
test is skipped, except in CI (``CI=true``, or ``TRACKER_REQUIRE_POSTGRES``/``_BROWSER`` set
as ``.ci/run`` sets them), where that is a failure: a file CI cannot check is not checked.

:func:`ruleset_problems` is this project's own reading of the IATI Standard ruleset's rules
that concern what the tracker exports (dates ordered and not in the future, the status
consistent with the actual dates, transactions dated, valued and with a provider,
identifiers that start with the publisher's, percentages that add up to 100 per
vocabulary). It returns every problem found, each naming the activity and the rule.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
IATI_XSD = ROOT / ".." / "shared" / "reference" / "iati-2.03" / "iati-activities-schema.xsd"
#: A real-looking organisation identifier: a Kazakh business identification number.
PUBLISHER_REF = "KZ-BIN-123456789012"


def shared_files_required() -> bool:
    """Whether a missing file of the shared reference folder must fail the test."""
    return os.environ.get("CI", "").lower() in ("true", "1") or any(
        os.environ.get(f"TRACKER_REQUIRE_{what}") == "1" for what in ("POSTGRES", "BROWSER")
    )


def iati_schema() -> etree.XMLSchema:
    """The IATI 2.03 activity schema, or a skip (a failure in CI) when it is not there."""
    if not IATI_XSD.exists():
        reason = f"the IATI 2.03 schema is not at {IATI_XSD} (shared reference folder)"
        if shared_files_required():
            pytest.fail(f"CI needs it: {reason}")
        pytest.skip(reason)
    return etree.XMLSchema(etree.parse(str(IATI_XSD)))


def assert_valid_iati(content: bytes, today: date) -> Any:
    """The parsed file, once it passes the schema and every ruleset check."""
    document = etree.fromstring(content)
    schema = iati_schema()
    assert schema.validate(document), schema.error_log
    assert ruleset_problems(document, today) == []
    return document


def _day(element: Any, path: str) -> date | None:
    found = element.find(path)
    return date.fromisoformat(found.get("iso-date")) if found is not None else None


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text or "")
    except InvalidOperation:
        return None


def ruleset_problems(document: Any, today: date) -> list[str]:
    problems: list[str] = []
    for activity in document.findall("iati-activity"):
        identifier = activity.findtext("iati-identifier") or ""

        def fail(rule: str, identifier: str = identifier) -> None:
            problems.append(f"{identifier}: {rule}")

        publisher = activity.find("reporting-org").get("ref")
        if not identifier.startswith(publisher + "-"):
            fail(f"iati-identifier does not start with reporting-org/@ref {publisher}-")
        days = {kind: _day(activity, f"activity-date[@type='{kind}']") for kind in "1234"}
        if days["1"] is None and days["2"] is None:
            fail("no start date, planned (1) or actual (2)")
        for start, end in (("1", "3"), ("2", "4")):
            if days[start] and days[end] and days[start] > days[end]:
                fail(f"activity-date {start} {days[start]} is after {end} {days[end]}")
        for kind in "24":
            if days[kind] and days[kind] > today:
                fail(f"actual activity-date {kind} {days[kind]} is in the future")
        _status_problems(activity.find("activity-status").get("code"), days, fail)
        for transaction in activity.findall("transaction"):
            _transaction_problems(transaction, activity, today, fail)
        for path in ("sector", "transaction/sector"):
            shares: dict[str, Decimal] = defaultdict(Decimal)
            for sector in activity.findall(path):
                shares[sector.get("vocabulary", "1")] += _decimal(sector.get("percentage")) or 0
            for vocabulary, total in shares.items():
                if total != 100:
                    fail(f"{path} percentages of vocabulary {vocabulary} add up to {total}")
        countries = [_decimal(c.get("percentage")) for c in activity.findall("recipient-country")]
        if countries and sum(c or 0 for c in countries) != 100:
            fail("recipient-country percentages do not add up to 100")
        for org in activity.findall("participating-org"):
            if org.get("role") not in {"1", "2", "3", "4"}:
                fail(f"participating-org role {org.get('role')} is not an OrganisationRole")
            if not org.get("ref") and not org.findtext("narrative"):
                fail("participating-org has neither ref nor narrative")
        for period in activity.findall("result/indicator/period"):
            if _day(period, "period-start") > _day(period, "period-end"):
                fail("a result period starts after it ends")
    return problems


def _status_problems(status: str, days: dict[str, date | None], fail: Any) -> None:
    """The activity status agrees with the actual dates: a pipeline activity has not
    started; one in implementation or finalisation started and has not ended; a closed or
    cancelled one has ended."""
    started, ended = days["2"] is not None, days["4"] is not None
    if status == "1" and (started or ended):
        fail("activity-status 1 (pipeline) with an actual date")
    if status in ("2", "3") and not started:
        fail(f"activity-status {status} without an actual start")
    if status in ("2", "3") and ended:
        fail(f"activity-status {status} with an actual end")
    if status in ("4", "5") and not ended:
        fail(f"activity-status {status} without an actual end")


def _transaction_problems(transaction: Any, activity: Any, today: date, fail: Any) -> None:
    when = _day(transaction, "transaction-date")
    if when is None:
        fail("a transaction has no transaction-date")
    elif when > today:
        fail(f"transaction-date {when} is in the future")
    value = transaction.find("value")
    if _decimal(value.text) is None:
        fail(f"transaction value {value.text!r} is not a number")
    value_date = value.get("value-date")
    if value_date is None or date.fromisoformat(value_date) > today:
        fail(f"transaction value-date {value_date} is missing or in the future")
    if not value.get("currency") and not activity.get("default-currency"):
        fail("transaction value has no currency, nor has the activity a default-currency")
    provider = transaction.find("provider-org")
    if provider is None or not (provider.get("ref") or provider.findtext("narrative")):
        fail("transaction without a provider-org ref or narrative")
