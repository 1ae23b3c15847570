"""Read-model tables. Alembic creates them (migrations/versions/0002_read_model.py).

Money and jobs facts form a bitemporal ledger: each row has its effective date, the moment
and position at which it was recorded and, once corrected or retracted, the moment and
position at which it stopped being believed. A correction closes the old row and opens a
new one with the replacement values.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from tracker.readmodel.database import Amount

metadata = MetaData()

ID = 36  # a UUID as text: the same on both databases

portfolios = Table(
    "rm_portfolios",
    metadata,
    Column("portfolio_id", String(ID), primary_key=True),
    Column("name", Text, nullable=False),
    Column("forum", Text, nullable=False),
    Column("established_on", Date, nullable=False),
    Column("illustrative", Boolean, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

targets = Table(
    "rm_targets",
    metadata,
    Column("portfolio_id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("effective_date", Date, nullable=False),
    Column("investment", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("jobs", Integer, nullable=False),
    Column("projects", Integer, nullable=False),
    Column("source_title", Text),
    Column("source_url", Text),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
)

#: Sourced statements about a whole portfolio, compared with the tracked figures.
statements = Table(
    "rm_statements",
    metadata,
    Column("portfolio_id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("effective_date", Date, nullable=False),
    Column("measure", String(32), nullable=False),
    Column("summary", Text, nullable=False),
    Column("count", Integer),
    Column("amount", Amount),
    Column("currency", String(3)),
    Column("jobs", Integer),
    Column("source_title", Text),
    Column("source_url", Text),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
)

#: Current state of every project, for listing and filtering.
projects = Table(
    "rm_projects",
    metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("portfolio_id", String(ID), nullable=False),
    Column("title", Text, nullable=False),
    Column("sector", String(100), nullable=False),
    Column("regions", Text, nullable=False),  # space-separated ISO 3166-2 codes
    Column("countries", Text, nullable=False),  # space-separated ISO 3166-1 codes
    Column("status", String(32), nullable=False),
    Column("planned_investment", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("planned_jobs", Integer, nullable=False),
    Column("illustrative", Boolean, nullable=False),
    Column("announced_on", Date, nullable=False),
    Column("last_event_on", Date, nullable=False),  # latest effective date of any event
    Column("last_recorded_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_rm_projects_portfolio_id", "portfolio_id"),
)

#: Bitemporal plan of each project (what was announced, as corrected).
plans = Table(
    "rm_plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(ID), nullable=False),
    Column("portfolio_id", String(ID), nullable=False),
    Column("sector", String(100), nullable=False),
    Column("regions", Text, nullable=False),
    Column("countries", Text, nullable=False),
    Column("planned_investment", Amount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("planned_jobs", Integer, nullable=False),
    Column("announced_on", Date, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Column("superseded_at", DateTime),
    Column("superseded_position", Integer),
    Index("ix_rm_plans_portfolio", "portfolio_id", "recorded_at"),
    Index("ix_rm_plans_project", "project_id", "superseded_position"),
)

#: Every status a project took, with when it took effect and when that was recorded.
statuses = Table(
    "rm_statuses",
    metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("portfolio_id", String(ID), nullable=False),
    Column("status", String(32), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Index("ix_rm_statuses_portfolio", "portfolio_id", "recorded_at"),
    # A project's status at a moment, one lookup with every column it reads (reports.py).
    Index(
        "ix_rm_statuses_lookup", "project_id", "effective_date", "version", "recorded_at", "status"
    ),
)

#: The milestones reached, each by the moment it was recorded: they change no figure, but are
#: among the events recorded between two moments (tracker/readmodel/activity.py).
milestones = Table(
    "rm_milestones",
    metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),  # of the event that recorded it
    Column("portfolio_id", String(ID), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Index("ix_rm_milestones_portfolio", "portfolio_id", "recorded_at"),
)

#: The ledger of money and jobs facts.
facts = Table(
    "rm_facts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(ID), nullable=False),
    Column("fact_version", Integer, nullable=False),  # version of the event that recorded it
    Column("portfolio_id", String(ID), nullable=False),
    Column("kind", String(16), nullable=False),  # committed | disbursed | jobs_created
    Column("amount", Amount),
    Column("currency", String(3)),
    Column("permanent", Integer, nullable=False),
    Column("temporary", Integer, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Column("superseded_at", DateTime),
    Column("superseded_position", Integer),
    # Every column the reports read, in their group order, and those ``changes`` reads of the
    # rows effective between two days (whose project, which events): neither touches the
    # table (migration 0019).
    Index(
        "ix_rm_facts_report",
        "portfolio_id",
        "kind",
        "currency",
        "effective_date",
        "superseded_at",
        "recorded_at",
        "amount",
        "permanent",
        "temporary",
        "project_id",
        "recorded_position",
        "superseded_position",
    ),
    Index("ix_rm_facts_project", "project_id", "fact_version"),
    # What was recorded, or closed, between two moments (tracker/readmodel/changes.py).
    Index("ix_rm_facts_recorded", "portfolio_id", "recorded_at"),
    Index("ix_rm_facts_superseded", "portfolio_id", "superseded_at"),
)

#: Every title a project was given in a reader's language, one row per event and never
#: changed: the title known at a moment is the latest recorded by then (readmodel/titles.py).
project_titles = Table(
    "rm_project_titles",
    metadata,
    Column("project_id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("portfolio_id", String(ID), nullable=False),
    Column("language", String(8), nullable=False),
    Column("title", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Index("ix_rm_project_titles_portfolio", "portfolio_id", "language"),
)

#: Named sources of exchange rates (``RateSet`` aggregates).
rate_sets = Table(
    "rm_rate_sets",
    metadata,
    Column("rate_set_id", String(ID), primary_key=True),
    Column("name", Text, nullable=False),
    Column("illustrative", Boolean, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    #: The position of the last event that published, corrected or withdrew one of its
    #: rates: the rates in force now change only with it (tracker/readmodel/fx.py).
    Column("rates_position", Integer, nullable=False, server_default="0"),
)

#: Every rate each set published, bitemporal like the ledger: a correction closes the row
#: and opens one with the new value; a withdrawal only closes it.
rates = Table(
    "rm_rates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rate_set_id", String(ID), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("rate_date", Date, nullable=False),
    Column("units_per_usd", Amount, nullable=False),
    Column("source_title", Text),
    Column("source_url", Text),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Column("superseded_at", DateTime),
    Column("superseded_position", Integer),
    Index("ix_rm_rates_set", "rate_set_id", "currency", "rate_date", "superseded_position"),
)

#: Which rate sets each portfolio converts with (space-separated ids, preferred first), in
#: every version it chose, so a report known at a past moment uses the choice of then.
rate_choices = Table(
    "rm_rate_choices",
    metadata,
    Column("portfolio_id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("rate_sets", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
)

#: Who publishes each portfolio to IATI, every setting of it, so that a read known at a past
#: moment names the publisher of then (``Portfolio.ReportingOrganisationSet``).
reporting_organisations = Table(
    "rm_reporting_organisations",
    metadata,
    Column("portfolio_id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("ref", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("organisation_type", String(2), nullable=False),
    Column("flow_type", String(2), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
)

#: Every signed document as it is now (``Document`` aggregates), for listing.
documents = Table(
    "rm_documents",
    metadata,
    Column("document_id", String(ID), primary_key=True),
    Column("portfolio_id", String(ID), nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("forum", Text),
    Column("parties", Text, nullable=False),  # a JSON array of names
    Column("value_amount", Amount),
    Column("currency", String(3)),
    Column("value_date", Date),  # when the value was stated: signed, or amended
    Column("projects", Text, nullable=False),  # space-separated project ids
    Column("status", String(16), nullable=False),
    Column("source_title", Text),  # of the signing
    Column("source_url", Text),
    Column("recorded_at", DateTime, nullable=False),
    Column("last_event_on", Date, nullable=False),
    Column("last_recorded_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_rm_documents_portfolio_id", "portfolio_id"),
)

#: Every version of every document: its terms and status after each of its events, from
#: that event's effective date, as recorded then. A document's events come in date order,
#: so its state as of a day as known at a moment is its latest version within both.
document_versions = Table(
    "rm_document_versions",
    metadata,
    Column("document_id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("portfolio_id", String(ID), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("title", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parties", Text, nullable=False),
    Column("value_amount", Amount),
    Column("currency", String(3)),
    Column("value_date", Date),
    Column("projects", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Index("ix_rm_document_versions_portfolio", "portfolio_id", "recorded_at"),
)

#: Indicators a portfolio follows beyond its projects (``Indicator`` aggregates): money in
#: ``currency``, or a count in ``unit``.
indicators = Table(
    "rm_indicators",
    metadata,
    Column("indicator_id", String(ID), primary_key=True),
    Column("portfolio_id", String(ID), nullable=False),
    Column("name", Text, nullable=False),
    Column("currency", String(3)),
    Column("unit", Text),
    Column("description", Text),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Index("ix_rm_indicators_portfolio", "portfolio_id"),
)

#: Every observation of every indicator, bitemporal like the ledger: a correction closes the
#: row and opens one with the new value (the same effective date); a retraction only closes.
observations = Table(
    "rm_observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator_id", String(ID), nullable=False),
    Column("portfolio_id", String(ID), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("period_kind", String(16), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", String(3)),
    Column("effective_date", Date, nullable=False),
    Column("observed_version", Integer, nullable=False),
    #: Why the value was corrected, on a row a correction opened.
    Column("correction_reason", Text),
    Column("source_title", Text),
    Column("source_url", Text),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Column("superseded_at", DateTime),
    Column("superseded_position", Integer),
    Index(
        "ix_rm_observations_indicator",
        "indicator_id",
        "period_start",
        "period_end",
        "superseded_position",
    ),
    Index("ix_rm_observations_portfolio", "portfolio_id", "recorded_at"),
)

#: Every statement of an indicator's target, as ``rm_targets`` keeps a portfolio's: a
#: restatement is a later statement, not a correction, so no row is ever closed; the one in
#: force is the latest stated by ``as_of`` among those recorded by ``known_at``.
indicator_targets = Table(
    "rm_indicator_targets",
    metadata,
    Column("indicator_id", String(ID), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("portfolio_id", String(ID), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", String(3)),
    Column("target_date", Date, nullable=False),
    Column("per", String(16)),
    Column("effective_date", Date, nullable=False),
    Column("source_title", Text),
    Column("source_url", Text),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_position", Integer, nullable=False),
    Index("ix_rm_indicator_targets_portfolio", "portfolio_id", "recorded_at"),
)

#: The position up to which the read model has applied the notification log.
projection_position = Table(
    "rm_position",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
)


#: The current facts summed per portfolio, layer, kind, currency ("" for jobs) and value date,
#: kept by the projector with the ledger (tracker/readmodel/fact_totals.py, migration 0016).
def _summed() -> list[Column[Any]]:
    """The key of a sum of facts (portfolio, layer, kind, currency, value date) and its sums:
    ``rm_fact_totals``' columns, and those of each checkpoint of them."""
    return [
        Column("portfolio_id", String(ID), primary_key=True),
        Column("illustrative", Boolean, primary_key=True),
        Column("kind", String(16), primary_key=True),
        Column("currency", String(3), primary_key=True),
        Column("effective_date", Date, primary_key=True),
        Column("amount", Amount),
        Column("permanent", Integer, nullable=False),
        Column("temporary", Integer, nullable=False),
        Column("count", Integer, nullable=False),
    ]


fact_totals = Table("rm_fact_totals", metadata, *_summed())

#: Checkpoints of those sums: each one the sums as known at its moment ``ends_at`` (the ledger
#: rows recorded by then and not superseded by then), so that a report as known at a past
#: moment reads the nearest checkpoint and the few ledger rows changed between
#: (tracker/readmodel/fact_checkpoints.py, migration 0020). ``position``: the projector's
#: position when it was made.
fact_checkpoints = Table(
    "rm_fact_checkpoints",
    metadata,
    Column("ends_at", DateTime, primary_key=True),
    Column("position", Integer, nullable=False),
)

#: Each checkpoint's sums, keyed as ``rm_fact_totals`` (a key may hold a count of 0).
fact_checkpoint_sums = Table(
    "rm_fact_checkpoint_sums",
    metadata,
    Column("ends_at", DateTime, primary_key=True),
    *_summed(),
)

#: Events the projector could not apply and set aside (docs/operations.md: "Events the
#: read model set aside"): the view lacks them until a rebuild applies them.
projection_failures = Table(
    "rm_failures",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("originator_id", String(ID), nullable=False),
    Column("originator_version", Integer, nullable=False),
    Column("topic", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("failed_at", DateTime, nullable=False),
)
