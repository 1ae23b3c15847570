"""The demo's reported layer: what officials said, read from tracker/data/public-record.json.

The file (documented in docs/demo.md) holds the portfolio-level statements and the projects
named in public reports, each with its date and source, and only the figures the sources
give. This module turns it into the domain's values; the demo loader records them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from tracker.domain.document import DocumentTerms
from tracker.domain.indicator import Period, PeriodKind, Quantity
from tracker.domain.plan import Plan
from tracker.domain.values import Money, Source

PUBLIC_RECORD = Path(__file__).parent / "data" / "public-record.json"
#: A project whose reports give no figure is planned at this: nothing is invented.
NOT_REPORTED = Money(Decimal(0), "USD")


@dataclass(frozen=True)
class ReportedStatement:
    day: date
    measure: str
    summary: str
    count: int | None
    amount: Money | None
    jobs: int | None
    source: Source


@dataclass(frozen=True)
class ReportedStatus:
    day: date
    status: str
    reason: str
    source: Source


@dataclass(frozen=True)
class ReportedProject:
    ref: str
    plan: Plan
    announced_on: date
    source: Source
    statuses: tuple[ReportedStatus, ...]

    @property
    def located_in(self) -> str:
        """The country of its first region, or of its first party country."""
        first = (self.plan.regions or self.plan.countries)[0]
        return first.split("-")[0]


@dataclass(frozen=True)
class ReportedDocument:
    """A document signed, with the refs of the reported projects it names."""

    ref: str
    terms: DocumentTerms
    signed_on: date
    project_refs: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class ReportedObservation:
    period: Period
    value: Quantity
    published: date
    source: Source


@dataclass(frozen=True)
class ReportedTarget:
    value: Quantity
    by: date
    per: PeriodKind | None
    stated: date
    source: Source


@dataclass(frozen=True)
class ReportedIndicator:
    """An indicator beyond investment and jobs, its reported figures and stated targets."""

    ref: str
    name: str
    currency: str | None
    unit: str | None
    description: str
    defined_on: date
    source: Source
    observations: tuple[ReportedObservation, ...]
    targets: tuple[ReportedTarget, ...]


@dataclass(frozen=True)
class PublicRecord:
    statements: tuple[ReportedStatement, ...]
    projects: tuple[ReportedProject, ...]
    documents: tuple[ReportedDocument, ...] = ()
    indicators: tuple[ReportedIndicator, ...] = ()

    def reported_usd(self) -> Decimal:
        """The planned investment the reports give in US dollars."""
        return sum(
            (
                p.plan.planned_investment.amount
                for p in self.projects
                if p.plan.planned_investment.currency == "USD"
            ),
            Decimal(0),
        )

    def reported_jobs(self) -> int:
        return sum(p.plan.planned_jobs for p in self.projects)

    def announced_by(self, day: date) -> list[ReportedProject]:
        return [p for p in self.projects if p.announced_on <= day]


def load_public_record(path: Path = PUBLIC_RECORD) -> PublicRecord:
    data = json.loads(path.read_text(encoding="utf-8"))
    return PublicRecord(
        statements=tuple(_statement(item) for item in data["statements"]),
        projects=tuple(_project(item) for item in data["projects"]),
        documents=tuple(_document(item) for item in data.get("documents", [])),
        indicators=tuple(_indicator(item) for item in data.get("indicators", [])),
    )


def _indicator(item: dict[str, Any]) -> ReportedIndicator:
    currency = item.get("currency")

    def quantity(text: str) -> Quantity:
        return Quantity(Decimal(text), currency)

    return ReportedIndicator(
        ref=item["ref"],
        name=item["name"],
        currency=currency,
        unit=item.get("unit"),
        description=item["description"],
        defined_on=date.fromisoformat(item["defined_on"]),
        source=_source(item["source"]),
        observations=tuple(
            ReportedObservation(
                Period(
                    date.fromisoformat(o["start"]),
                    date.fromisoformat(o["end"]),
                    PeriodKind(o["kind"]),
                ),
                quantity(o["value"]),
                date.fromisoformat(o["published"]),
                _source(o["source"]),
            )
            for o in item["observations"]
        ),
        targets=tuple(
            ReportedTarget(
                quantity(t["value"]),
                date.fromisoformat(t["by"]),
                PeriodKind(t["per"]) if t.get("per") else None,
                date.fromisoformat(t["stated"]),
                _source(t["source"]),
            )
            for t in item["targets"]
        ),
    )


def _document(item: dict[str, Any]) -> ReportedDocument:
    return ReportedDocument(
        ref=item["ref"],
        terms=DocumentTerms(
            title=item["title"],
            kind=item["kind"],
            forum=item.get("forum"),
            parties=tuple(item.get("parties", ())),
            value=_money(item.get("value")),
        ),
        signed_on=date.fromisoformat(item["signed_on"]),
        project_refs=tuple(item.get("projects", ())),
        source=_source(item["source"]),
    )


def _source(item: dict[str, Any]) -> Source:
    return Source(item["title"], item.get("url"))


def _money(item: dict[str, Any] | None) -> Money | None:
    return None if item is None else Money(Decimal(item["amount"]), item["currency"])


def _statement(item: dict[str, Any]) -> ReportedStatement:
    return ReportedStatement(
        day=date.fromisoformat(item["date"]),
        measure=item["measure"],
        summary=item["summary"],
        count=item.get("count"),
        amount=_money(item.get("amount")),
        jobs=item.get("jobs"),
        source=_source(item["source"]),
    )


def _project(item: dict[str, Any]) -> ReportedProject:
    announced = item["announced"]
    planned_end = item.get("planned_end")
    plan = Plan(
        title=item["title"],
        sector=item["sector"],
        regions=tuple(item["regions"]),
        countries=tuple(item["countries"]),
        parties=tuple(item["parties"]),
        planned_investment=_money(item.get("investment")) or NOT_REPORTED,
        planned_jobs=int(item.get("planned_jobs", 0)),
        planned_start=None,
        planned_end=date.fromisoformat(planned_end) if planned_end else None,
    )
    return ReportedProject(
        ref=item["ref"],
        plan=plan,
        announced_on=date.fromisoformat(announced["date"]),
        source=_source(announced["source"]),
        statuses=tuple(
            ReportedStatus(
                date.fromisoformat(event["date"]),
                event["status"],
                event["reason"],
                _source(event["source"]),
            )
            for event in item["events"]
        ),
    )
