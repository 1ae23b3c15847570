"""`tracker rates`: establish a set, load an official file into it, name it for a portfolio."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from click.testing import CliRunner

from tracker.application import TrackerApplication
from tracker.cli import main
from tracker.domain.values import Envelope
from tracker.settings import Settings


def test_a_rate_file_from_the_command_line(settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"TRACKER_DATABASE_URL": settings.database_url, "TRACKER_DB_SCHEMA": settings.db_schema}
    made = runner.invoke(main, ["rates", "establish", "NBK official"], env=env)
    assert made.exit_code == 0, made.output
    rate_set = UUID(made.stdout.strip().splitlines()[-1])

    good = tmp_path / "nbk.csv"
    good.write_text("date,currency,units_per_usd\n2024-01-01,KZT,500\n2024-01-02,KZT,501\n")
    loaded = runner.invoke(
        main, ["rates", "import", str(rate_set), str(good), "--source-title", "NBK"], env=env
    )
    assert loaded.exit_code == 0, loaded.output
    assert "2 rates, 2 new" in loaded.output
    bad = tmp_path / "bad.csv"
    bad.write_text("date,currency,units_per_usd\n2024-01-03,KZT,zero\n")
    refused = runner.invoke(main, ["rates", "import", str(rate_set), str(bad)], env=env)
    assert refused.exit_code == 1 and "line 2, column units_per_usd" in refused.output
    assert "Traceback" not in refused.output

    app = TrackerApplication(settings)
    try:
        portfolio = app.establish_portfolio(
            "P", "F", date(2024, 1, 1), Envelope("desk", date(2024, 1, 1))
        ).id
        chosen = runner.invoke(main, ["rates", "choose", str(portfolio), str(rate_set)], env=env)
        assert chosen.exit_code == 0, chosen.output
        assert app.portfolio(portfolio).rate_sets == (rate_set,)
        assert app.rate_set(rate_set).rate_on("KZT", date(2024, 1, 2)) == Decimal(501)
    finally:
        app.close()
    listed = runner.invoke(main, ["rates", "list"], env=env)
    assert listed.exit_code == 0 and "NBK official" in listed.output
    unknown = runner.invoke(main, ["rates", "choose", str(portfolio), str(portfolio)], env=env)
    assert unknown.exit_code == 1 and "there is no rate set" in unknown.output
