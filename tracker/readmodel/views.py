"""The read model's tables as one projection writes them: the live ones, or the copies a
rebuild loads beside them and swaps in (tracker/readmodel/rebuild.py, swap.py)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import MetaData, Table, quoted_name

from tracker.readmodel import tables as t


@dataclass(frozen=True)
class Views:
    """The tables one projection writes: the live ones, or a rebuild's copies beside them."""

    portfolios: Table
    targets: Table
    statements: Table
    projects: Table
    plans: Table
    statuses: Table
    milestones: Table
    facts: Table
    fact_totals: Table
    rate_sets: Table
    rates: Table
    rate_choices: Table
    documents: Table
    document_versions: Table
    indicators: Table
    observations: Table
    indicator_targets: Table
    reporting_organisations: Table
    project_titles: Table
    failures: Table
    fact_checkpoints: Table
    fact_checkpoint_sums: Table

    def all(self) -> tuple[Table, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))


LIVE = Views(
    t.portfolios,
    t.targets,
    t.statements,
    t.projects,
    t.plans,
    t.statuses,
    t.milestones,
    t.facts,
    t.fact_totals,
    t.rate_sets,
    t.rates,
    t.rate_choices,
    t.documents,
    t.document_versions,
    t.indicators,
    t.observations,
    t.indicator_targets,
    t.reporting_organisations,
    t.project_titles,
    t.projection_failures,
    t.fact_checkpoints,
    t.fact_checkpoint_sums,
)
#: A rebuild writes into copies of the live tables, named with this suffix, and swaps them in.
REBUILD_SUFFIX = "_next"


#: Where a copy keeps the indexes it is built without (``Table.info``): created once it is
#: loaded (tracker/readmodel/swap.py).
DEFERRED = "deferred_indexes"


def rebuild_views() -> Views:
    """Copies of the live tables in a metadata of their own, their indexes renamed with the
    suffix. The copies are created with only the indexes the projector looks rows up by; the
    rest, those only the reports read (they start with ``portfolio_id``), wait in the table's
    ``info`` until the copy is loaded: an index built once over the loaded rows costs less
    than one maintained row by row."""
    copies = MetaData()
    tables = []
    for table in LIVE.all():
        copy = table.to_metadata(copies, name=table.name + REBUILD_SUFFIX)
        deferred = []
        for index in sorted(copy.indexes, key=lambda index: str(index.name)):
            index.name = quoted_name(f"{index.name}{REBUILD_SUFFIX}", None)
            if index.columns.keys()[0] == "portfolio_id":
                copy.indexes.discard(index)
                deferred.append(index)
        copy.info[DEFERRED] = deferred
        tables.append(copy)
    return Views(*tables)


#: The tables the projector derives from the event store.
DERIVED = (*LIVE.all(), t.projection_position)
