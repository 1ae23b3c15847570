"""The application service: one method per command or query, shared by the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from tracker.domain.commands import ProjectCommand
from tracker.domain.document import Document, DocumentTerms
from tracker.domain.errors import (
    N_,
    Forbidden,
    NotFound,
    ValidationError,
)
from tracker.domain.indicator import Indicator
from tracker.domain.plan import Plan
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.domain.publisher import ReportingOrganisation
from tracker.domain.rate_set import RateSet
from tracker.domain.values import Envelope, Money
from tracker.event_reads import EventReads
from tracker.recording import Recorded
from tracker.settings import Settings


class TrackerApplication(EventReads):
    name = "Tracker"
    snapshotting_intervals: ClassVar[dict[Any, int]] = {
        Project: 50,
        Portfolio: 50,
        RateSet: 50,
        Document: 50,
        Indicator: 50,
    }

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        interval = settings.snapshot_interval
        # The library reads the intervals from the instance; the setting is per deployment.
        self.snapshotting_intervals = {  # type: ignore[misc]
            Project: interval,
            Portfolio: interval,
            RateSet: interval,
            Document: interval,
            Indicator: interval,
        }
        super().__init__(env=settings.eventsourcing_env())

    # Portfolios

    def establish_portfolio(
        self,
        name: str,
        forum: str,
        established_on: date,
        envelope: Envelope,
        *,
        illustrative: bool = False,
        scope: UUID | None = None,
    ) -> Recorded:
        check_unscoped(
            scope,
            N_(
                "this key may only write to portfolio %(scope)s; establishing a portfolio "
                "needs an admin key "
                "that is not scoped to a portfolio"
            ),
        )
        return self._create(
            Portfolio,
            envelope,
            lambda new_id: Portfolio.establish(
                name,
                forum,
                established_on,
                envelope,
                illustrative=illustrative,
                portfolio_id=new_id,
            ),
        )

    def restate_targets(
        self,
        portfolio_id: UUID,
        investment: Money,
        jobs: int,
        projects: int,
        envelope: Envelope,
        *,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
    ) -> Recorded:
        check_scope(scope, portfolio_id)
        return self._change(
            Portfolio,
            portfolio_id,
            envelope,
            expected_version,
            lambda p: p.restate_targets(investment, jobs, projects, envelope),
        )

    def record_statement(
        self,
        portfolio_id: UUID,
        measure: str,
        summary: str,
        envelope: Envelope,
        *,
        count: int | None = None,
        amount: Money | None = None,
        jobs: int | None = None,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
    ) -> Recorded:
        """A sourced statement about the whole portfolio (shown beside the tracked figures)."""
        check_scope(scope, portfolio_id)
        return self._change(
            Portfolio,
            portfolio_id,
            envelope,
            expected_version,
            lambda p: p.record_statement(
                measure, summary, envelope, count=count, amount=amount, jobs=jobs
            ),
        )

    def _require_portfolio(self, portfolio_id: UUID) -> None:
        """What is added to a portfolio (a project, a document, an indicator) needs it to be."""
        try:
            self.portfolio(portfolio_id)
        except NotFound:
            raise ValidationError(
                N_("there is no portfolio %(portfolio_id)s"),
                portfolio_id=portfolio_id,
                field="portfolio_id",
            ) from None

    def portfolio(self, portfolio_id: UUID, *, known_at: datetime | None = None) -> Portfolio:
        return self._load(Portfolio, portfolio_id, known_at)

    def choose_rate_sets(
        self,
        portfolio_id: UUID,
        rate_sets: list[UUID],
        envelope: Envelope,
        *,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
    ) -> Recorded:
        """Name the rate sets the portfolio converts with, each of which must exist."""
        check_scope(scope, portfolio_id)
        for index, rate_set_id in enumerate(rate_sets):
            try:
                self.rate_set(rate_set_id)
            except NotFound:
                raise ValidationError(
                    N_("there is no rate set %(rate_set_id)s"),
                    rate_set_id=rate_set_id,
                    field=f"rate_sets[{index}]",
                ) from None
        return self._change(
            Portfolio,
            portfolio_id,
            envelope,
            expected_version,
            lambda p: p.choose_rate_sets(rate_sets, envelope),
        )

    def set_reporting_organisation(
        self,
        portfolio_id: UUID,
        organisation: ReportingOrganisation,
        envelope: Envelope,
        *,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
    ) -> Recorded:
        """Name who publishes the portfolio to IATI (its identifier starts every activity's)."""
        check_scope(scope, portfolio_id)
        return self._change(
            Portfolio,
            portfolio_id,
            envelope,
            expected_version,
            lambda p: p.set_reporting_organisation(organisation, envelope),
        )

    # Rate sets: reference data beyond any one portfolio, written by unscoped keys only

    def establish_rate_set(
        self,
        name: str,
        envelope: Envelope,
        *,
        illustrative: bool = False,
        scope: UUID | None = None,
    ) -> Recorded:
        check_unscoped(
            scope,
            N_(
                "this key may only write to portfolio %(scope)s; establishing a rate set "
                "needs an admin key "
                "that is not scoped to a portfolio"
            ),
        )
        return self._create(
            RateSet,
            envelope,
            lambda new_id: RateSet.establish(
                name, envelope, illustrative=illustrative, rate_set_id=new_id
            ),
        )

    def change_rate_set(
        self,
        rate_set_id: UUID,
        change: Callable[[RateSet], Any],
        envelope: Envelope,
        *,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
    ) -> Recorded:
        """Publish, correct or withdraw rates (``change`` calls the aggregate's method)."""
        check_unscoped(
            scope,
            N_(
                "this key may only write to portfolio %(scope)s; publishing exchange rates "
                "needs an admin key "
                "that is not scoped to a portfolio"
            ),
        )
        return self._change(RateSet, rate_set_id, envelope, expected_version, change)

    def rate_set(self, rate_set_id: UUID, *, known_at: datetime | None = None) -> RateSet:
        return self._load(RateSet, rate_set_id, known_at)

    # Documents: agreements and memoranda signed at forums, counted apart from projects

    def sign_document(
        self,
        portfolio_id: UUID,
        terms: DocumentTerms,
        envelope: Envelope,
        *,
        scope: UUID | None = None,
    ) -> Recorded:
        """Record a document signed on the envelope's effective date; the projects it names
        must be projects of the same portfolio."""
        check_scope(scope, portfolio_id)
        self._require_portfolio(portfolio_id)
        self.check_linked_projects(portfolio_id, terms.projects)
        return self._create(
            Document,
            envelope,
            lambda new_id: Document.sign(portfolio_id, terms, envelope, document_id=new_id),
        )

    def change_document(
        self,
        document_id: UUID,
        change: Callable[[Document], Any],
        envelope: Envelope,
        *,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
        linked: Collection[UUID] = (),
    ) -> Recorded:
        """Record what happened to a document (``change`` calls its method); ``linked`` are
        the projects an amendment names, which must be the portfolio's."""

        def checked_change(document: Document) -> None:
            self.check_linked_projects(document.portfolio_id, linked)
            change(document)

        return self._change(
            Document,
            document_id,
            envelope,
            expected_version,
            checked_change,
            permit=lambda document: check_scope(scope, document.portfolio_id),
        )

    def document(self, document_id: UUID, *, known_at: datetime | None = None) -> Document:
        return self._load(Document, document_id, known_at)

    def check_linked_projects(self, portfolio_id: UUID, projects: Collection[UUID]) -> None:
        for index, project_id in enumerate(projects):
            try:
                project = self.project(project_id)
            except NotFound:
                project = None
            if project is None or project.portfolio_id != portfolio_id:
                raise ValidationError(
                    N_("there is no project %(project_id)s in portfolio %(portfolio_id)s"),
                    project_id=project_id,
                    portfolio_id=portfolio_id,
                    field=f"projects[{index}]",
                )

    # Indicators: figures a portfolio follows beyond its projects (trade, exports)

    def define_indicator(
        self,
        portfolio_id: UUID,
        name: str,
        envelope: Envelope,
        *,
        currency: str | None = None,
        unit: str | None = None,
        description: str | None = None,
        scope: UUID | None = None,
    ) -> Recorded:
        """A money indicator (``currency``) or a counted one (``unit``) of the portfolio."""
        check_scope(scope, portfolio_id)
        self._require_portfolio(portfolio_id)
        return self._create(
            Indicator,
            envelope,
            lambda new_id: Indicator.define(
                portfolio_id,
                name,
                envelope,
                currency=currency,
                unit=unit,
                description=description,
                indicator_id=new_id,
            ),
        )

    def change_indicator(
        self,
        indicator_id: UUID,
        change: Callable[[Indicator], Any],
        envelope: Envelope,
        *,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
    ) -> Recorded:
        """Observe, correct, retract or restate the target (``change`` calls the
        aggregate's method); a key scoped to another portfolio is refused first."""
        return self._change(
            Indicator,
            indicator_id,
            envelope,
            expected_version,
            change,
            permit=lambda indicator: check_scope(scope, indicator.portfolio_id),
        )

    def indicator(self, indicator_id: UUID, *, known_at: datetime | None = None) -> Indicator:
        return self._load(Indicator, indicator_id, known_at)

    # Projects

    def announce_project(
        self,
        portfolio_id: UUID,
        plan: Plan,
        envelope: Envelope,
        *,
        illustrative: bool = False,
        scope: UUID | None = None,
    ) -> Recorded:
        check_scope(scope, portfolio_id)
        self._require_portfolio(portfolio_id)
        return self._create(
            Project,
            envelope,
            lambda new_id: Project.announce(
                portfolio_id, plan, envelope, illustrative=illustrative, project_id=new_id
            ),
        )

    def record(
        self,
        project_id: UUID,
        command: ProjectCommand,
        envelope: Envelope,
        *,
        expected_version: Collection[int] | None = None,
        scope: UUID | None = None,
    ) -> Recorded:
        return self._change(
            Project,
            project_id,
            envelope,
            expected_version,
            lambda project: self.apply_command(project, command, envelope, scope=scope),
            permit=lambda project: check_scope(scope, project.portfolio_id),
        )

    def apply_command(
        self,
        project: Project,
        command: ProjectCommand,
        envelope: Envelope,
        *,
        scope: UUID | None = None,
    ) -> None:
        """Execute ``command`` on ``project`` (loaded, perhaps with unsaved events), handed
        the stored events it needs; the caller saves."""
        check_scope(scope, project.portfolio_id)
        project.execute(command, envelope, events=self.events_at(project, project.needs(command)))

    def project(self, project_id: UUID, *, known_at: datetime | None = None) -> Project:
        """The project aggregate: its plan, status and what its rules need (from the latest
        snapshot, so its cost does not grow with the history). Its facts and figures are in
        :meth:`project_ledger`."""
        return self._load(Project, project_id, known_at)


def check_scope(scope: UUID | None, portfolio_id: UUID | None) -> None:
    """A key scoped to one portfolio writes only there (``portfolio_id`` ``None``: a write
    that belongs to no one portfolio, such as establishing one: only unscoped keys)."""
    if scope is not None and scope != portfolio_id:
        raise Forbidden(
            N_("this key may only write to portfolio %(scope)s"), scope=scope, field="portfolio_id"
        )


def check_unscoped(scope: UUID | None, refusal: str) -> None:
    """Writes that reach beyond one portfolio need a key scoped to none; ``refusal`` (with
    ``%(scope)s``, the key's portfolio) says which write was refused."""
    if scope is not None:
        raise Forbidden(refusal, scope=scope)
