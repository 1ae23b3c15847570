"""The API keeps its own OpenAPI contract, whatever it is sent.

Schemathesis reads ``/docs/openapi.json`` from the app itself and, for every operation, sends
the documented examples, boundary values and random valid and invalid requests through ASGI,
authenticated with an admin key, on a migrated SQLite file that already holds a portfolio (with
the id the documented examples use) and a project with a few events, so path parameters and
``corrects``/``retracts`` can hit real things. Every answer must be documented (status code,
content type, body schema); none may be a server error.

The figures of the last run (cases per operation, answers per status) are written to
``test-artifacts/contract.json`` for docs/RELIABILITY.md.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from api.app import create_app
from tests.http.conftest import make_key
from tracker.application import TrackerApplication
from tracker.domain.commands import CommitInvestment, CreateJobs, DisburseFunds
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Plan
from tracker.domain.values import Envelope, Money
from tracker.keys import Role
from tracker.migrate import upgrade
from tracker.settings import Settings

#: The portfolio id the documented examples of ``POST /api/v1/projects`` name.
EXAMPLE_PORTFOLIO = UUID("6a1f9b1e-3c55-4c9e-9d1e-0b7f1b2c3d4e")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: Random cases per operation, on top of the documented examples and boundary values.
MAX_EXAMPLES = 30

TALLY: Counter[str] = Counter()


def seed(settings: Settings) -> UUID:
    """A portfolio with the examples' id and a project whose versions 2–4 are money and jobs
    facts (the documented correction and retraction examples name versions 2 and 3)."""
    tracker = TrackerApplication(settings)
    try:
        desk = Envelope("contract-seed", date(2024, 10, 22))
        portfolio = Portfolio.establish(
            "KZ–UZ industrial cooperation",
            "Samarkand forum",
            date(2024, 10, 22),
            desk,
            portfolio_id=EXAMPLE_PORTFOLIO,
        )
        tracker.save(portfolio)
        plan = Plan(
            "Copper cathode plant",
            "metallurgy",
            ("KZ-61", "UZ-SI"),
            (),
            (),
            Money(Decimal("50000000.00"), "USD"),
            300,
            None,
            None,
        )
        project_id = tracker.announce_project(EXAMPLE_PORTFOLIO, plan, desk).id
        for command in (
            CommitInvestment(Money(Decimal("20000000.00"), "USD")),
            DisburseFunds(Money(Decimal("4000000.00"), "USD")),
            CreateJobs(permanent=120, temporary=40),
        ):
            tracker.record(project_id, command, desk)
        return project_id
    finally:
        tracker.close()


@pytest.fixture
def contract_settings(tmp_path: Path) -> Settings:
    # No rate limits: hundreds of requests a minute from one key are the point here.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/contract.db",
        rate_limit_per_address=0,
        rate_limit_per_key=0,
        db_timeout=2,
    )
    upgrade(settings)
    return settings


@pytest.fixture
def admin_token(contract_settings: Settings) -> str:
    return make_key(contract_settings, "contract-admin", Role.ADMIN)


@pytest.fixture
def api_schema(contract_settings: Settings, admin_token: str) -> Iterator[Any]:
    project_id = seed(contract_settings)
    real = {"portfolio_id": str(EXAMPLE_PORTFOLIO), "project_id": str(project_id)}
    schema = schemathesis.openapi.from_asgi("/docs/openapi.json", create_app(contract_settings))

    @schema.hook
    def flatmap_path_parameters(_: Any, path_parameters: dict[str, Any]) -> Any:
        # Random ids only ever reach the 404 branch; half the time use the real ones.
        known = {name: real[name] for name in path_parameters if name in real}
        return st.sampled_from([path_parameters, {**path_parameters, **known}])

    @schema.hook
    def flatmap_body(_: Any, body: Any) -> Any:
        if isinstance(body, dict) and "portfolio_id" in body:
            return st.sampled_from([body, {**body, "portfolio_id": real["portfolio_id"]}])
        return st.just(body)

    yield schema
    # Run the app's shutdown (projector thread, database handles) before tmp_path goes.
    asgi.shutdown_lifespans()
    write_figures()


def write_figures() -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    figures = {
        "cases": TALLY["cases"],
        "negative_cases": TALLY["negative"],
        "by_status": {k[7:]: v for k, v in sorted(TALLY.items()) if k.startswith("status:")},
        "by_operation": {k[3:]: v for k, v in sorted(TALLY.items()) if k.startswith("op:")},
        "server_errors": sum(v for k, v in TALLY.items() if k.startswith("status:5")),
    }
    (ARTIFACTS / "contract.json").write_text(json.dumps(figures, indent=2) + "\n")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_answer_is_documented_and_none_is_a_server_error(
    case: schemathesis.Case, admin_token: str
) -> None:
    response = case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"})
    meta = case.meta
    TALLY["cases"] += 1
    TALLY[f"op:{case.method.upper()} {case.operation.path}"] += 1
    TALLY[f"status:{response.status_code}"] += 1
    if meta is not None and meta.generation.mode.name.lower() == "negative":
        TALLY["negative"] += 1
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json")
