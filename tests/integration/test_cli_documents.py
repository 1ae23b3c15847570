"""`tracker documents`: the register listed and one document shown, at a moment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

from click.testing import CliRunner

from tracker.application import TrackerApplication
from tracker.cli import main
from tracker.domain.document import DocumentTerms
from tracker.domain.values import Envelope, Money
from tracker.settings import Settings


def test_the_register_from_the_command_line(settings: Settings) -> None:
    app = TrackerApplication(settings)
    try:
        desk = Envelope("desk", date(2024, 10, 22))
        portfolio = app.establish_portfolio("P", "F", date(2024, 1, 1), desk).id
        terms = DocumentTerms(
            "Memorandum on copper",
            "memorandum",
            "Samarkand forum",
            ("KazInvest", "UzIndustry"),
            Money(Decimal("25000000"), "USD"),
        )
        document = app.sign_document(portfolio, terms, desk).id
        app.sign_document(portfolio, DocumentTerms("Roadmap", "roadmap"), desk)
        later = Envelope("desk", date(2025, 1, 15))
        app.change_document(document, lambda d: d.lapse("expired", later), later)
    finally:
        app.close()
    runner = CliRunner()
    env = {
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_DB_SCHEMA": settings.db_schema,
        "COLUMNS": "200",  # a wide terminal, so that rich keeps each title on one line
    }

    listed = runner.invoke(main, ["documents", "list", "--portfolio", str(portfolio)], env=env)
    assert listed.exit_code == 0, listed.output
    assert "Memorandum on copper" in listed.output and "lapsed" in listed.output
    assert "2 documents (1 stating a value), together 25,000,000.00 USD" in listed.output

    before = runner.invoke(
        main, ["documents", "show", str(document), "--as-of", "2024-12-31"], env=env
    )
    assert before.exit_code == 0, before.output
    assert (
        "(memorandum, signed)" in before.output
        and "signed 2024-10-22 at Samarkand" in before.output
    )
    assert "lapsed" in before.output  # the history lists every event recorded
    unknown = runner.invoke(main, ["documents", "show", str(uuid4())], env=env)
    assert unknown.exit_code == 1 and "there is no document" in unknown.output
