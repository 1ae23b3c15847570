"""The JSON export: the portfolio, its targets, the rate sets it converts with, each
project's figures and events, and its indicators.

It names its format and version (``format``, ``format_version``), described by the JSON
Schema shipped beside this module (``schema/export-v1.json``, docs/import-format.md), and
carries the import rows (``rows``, the csv export's rows as objects), so that ``tracker
import`` reads it back into another database with the same reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from tracker.domain.portfolio import Targets
from tracker.domain.status import IATI_ACTIVITY_STATUS
from tracker.domain.values import Money
from tracker.history import RecordedEvent
from tracker.transfer.document_export import document_dict
from tracker.transfer.export_csv import import_rows_of
from tracker.transfer.export_values import (
    amount_text,
    day_text,
    event_payload,
    money_dict,
    plain,
    source_dict,
)
from tracker.transfer.file_format import EXPORT_FORMAT, FORMAT_VERSION
from tracker.transfer.indicator_export import IndicatorExport
from tracker.transfer.portfolio_export import PortfolioExport, ProjectExport
from tracker.transfer.rate_set_export import RateSetExport


def _money_list(values: Iterable[Money]) -> list[dict[str, str]]:
    return [money_dict(m) for m in values]


def _targets_dict(targets: Targets | None) -> dict[str, Any] | None:
    if targets is None:
        return None
    return {
        "version": targets.version,
        "effective_date": targets.effective_date.isoformat(),
        "investment": plain(targets.investment),
        "jobs": targets.jobs,
        "projects": targets.projects,
        "source": source_dict(targets.source),
    }


def event_dict(stored: RecordedEvent) -> dict[str, Any]:
    e = stored.event
    return {
        "type": stored.kind,
        "version": stored.version,
        "position": stored.position,
        "effective_date": e.effective_date.isoformat(),
        "recorded_at": e.timestamp.isoformat(),
        "actor": e.actor,
        "source": source_dict(e.source),
        "payload": event_payload(e),
        "corrected_by": list(stored.corrected_by),
        "retracted_by": stored.retracted_by,
    }


def rate_set_dict(rate_set: RateSetExport) -> dict[str, Any]:
    """A rate set and its rates in force at known_at (units of the currency per US dollar)."""
    return {
        "id": str(rate_set.id),
        "name": rate_set.name,
        "illustrative": rate_set.illustrative,
        "rates": [
            {
                "date": rate.rate_date.isoformat(),
                "currency": rate.currency,
                "units_per_usd": amount_text(rate.units_per_usd),
                "source": source_dict(rate.source),
            }
            for rate in rate_set.rates
        ],
    }


def _quantity(value: Any) -> dict[str, str | None]:
    return {"amount": amount_text(value.amount), "currency": value.currency}


def indicator_dict(item: IndicatorExport) -> dict[str, Any]:
    """An indicator with its observations in force and its target statements (by as_of),
    and every event recorded by known_at."""
    indicator = item.indicator
    return {
        "id": str(item.id),
        "name": indicator.name,
        "currency": indicator.currency,
        "unit": indicator.unit,
        "description": indicator.description,
        "observations": [
            {
                "period": {
                    "start": o.observation.period.start.isoformat(),
                    "end": o.observation.period.end.isoformat(),
                    "kind": o.observation.period.kind.value,
                },
                "value": _quantity(o.observation.value),
                "effective_date": o.observation.effective_date.isoformat(),
                "source": source_dict(o.source),
                "actor": o.actor,
                "correction_reason": o.correction_reason,
            }
            for o in item.observations
        ],
        "targets": [
            {
                "version": target.version,
                "value": _quantity(target.value),
                "target_date": target.target_date.isoformat(),
                "per": target.per.value if target.per else None,
                "effective_date": target.effective_date.isoformat(),
                "source": source_dict(target.source),
                "actor": target.actor,
            }
            for target in item.targets
        ],
        "version": indicator.version,
        "events": [event_dict(e) for e in item.events],
    }


def project_dict(item: ProjectExport) -> dict[str, Any]:
    p, f = item.project, item.figures
    return {
        "id": str(p.id),
        "title": p.plan.title,
        "titles": dict(item.ledger.titles),
        "sector": p.plan.sector,
        "regions": list(p.plan.regions),
        "countries": list(p.plan.countries),
        "parties": list(p.plan.parties),
        "illustrative": p.illustrative,
        "status": f.status.value,
        "iati_activity_status": IATI_ACTIVITY_STATUS[f.status],
        "announced_on": p.announced_on().isoformat(),
        "planned_investment": plain(p.plan.planned_investment),
        "planned_jobs": p.plan.planned_jobs,
        "planned_start": day_text(p.plan.planned_start) or None,
        "planned_end": day_text(p.plan.planned_end) or None,
        "committed": _money_list(f.committed),
        "disbursed": _money_list(f.disbursed),
        "jobs_created": {
            "permanent": f.jobs_permanent,
            "temporary": f.jobs_temporary,
            "total": f.jobs_permanent + f.jobs_temporary,
        },
        "milestones": list(f.milestones),
        "version": p.version,
        "last_recorded_at": item.last_recorded_at.isoformat(),
        "events": [event_dict(e) for e in item.events],
    }


#: The JSON Schema of that version, shipped in the package.
SCHEMA = Path(__file__).with_name("schema") / f"export-v{FORMAT_VERSION}.json"


def to_json(export: PortfolioExport, integrity: dict[str, Any] | None = None) -> bytes:
    """The JSON export; ``integrity``: its checkpoint and proof (export_proof.py)."""
    portfolio = export.portfolio
    document = {
        "format": EXPORT_FORMAT,
        "format_version": FORMAT_VERSION,
        # the import rows first: an import reads them and stops
        "rows": list(import_rows_of(export)),
        "portfolio": {
            "id": str(portfolio.id),
            "name": portfolio.name,
            "forum": portfolio.forum,
            "established_on": portfolio.established_on.isoformat(),
            "illustrative": portfolio.illustrative,
            "targets": _targets_dict(export.targets),
            "target_history": [_targets_dict(t) for t in portfolio.targets],
            "rate_sets": [str(i) for i in portfolio.rate_sets],
            # sourced statements about the whole portfolio, made by as_of: never summed
            "statements": [
                msgspec.to_builtins(said)
                for said in portfolio.statements
                if export.query.as_of is None or said.effective_date <= export.query.as_of
            ],
        },
        # the sets the portfolio converts with at known_at, in order of preference
        "rate_sets": [rate_set_dict(r) for r in export.chosen_rate_sets],
        "as_of": day_text(export.query.as_of) or None,
        "known_at": export.query.known_at.isoformat() if export.query.known_at else None,
        "generated_at": export.generated_at.isoformat(),
        "projects": [project_dict(p) for p in export.projects],
        # the register of signed documents: not investment, counted apart from the projects
        "documents": [document_dict(d, event_dict) for d in export.documents],
        "indicators": [indicator_dict(i) for i in export.indicators],
    }
    if integrity is not None:
        # the signed checkpoint and what checks this file against it without a database
        document["integrity"] = integrity
    return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"
