"""`tracker keys`: a key is shown once, listed without its secret, and can be revoked."""

from __future__ import annotations

from click.testing import CliRunner

from tracker.cli import main
from tracker.keys import KeyStore, Role
from tracker.readmodel.database import create_readmodel_engine
from tracker.settings import Settings


def test_create_list_and_revoke_a_key(settings: Settings) -> None:
    runner = CliRunner()
    env = {"TRACKER_DATABASE_URL": settings.database_url, "TRACKER_DB_SCHEMA": settings.db_schema}
    made = runner.invoke(
        main, ["keys", "create", "--name", "uz-desk", "--role", "recorder"], env=env
    )
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("trk_")

    engine = create_readmodel_engine(settings, pool_size=1)
    try:
        principal = KeyStore(engine).authenticate(token)
        assert principal is not None and principal.role is Role.RECORDER
        assert principal.name == "uz-desk"

        listed = runner.invoke(main, ["keys", "list"], env=env)
        assert listed.exit_code == 0 and "uz-desk" in listed.output
        assert token.split("_", 2)[2] not in listed.output

        again = runner.invoke(
            main, ["keys", "create", "--name", "uz-desk", "--role", "reader"], env=env
        )
        assert again.exit_code == 1 and "exists already" in again.output

        revoked = runner.invoke(main, ["keys", "revoke", "uz-desk"], env=env)
        assert revoked.exit_code == 0, revoked.output
        assert KeyStore(engine).authenticate(token) is None
        missing = runner.invoke(main, ["keys", "revoke", "nobody"], env=env)
        assert missing.exit_code == 1 and "Traceback" not in missing.output
    finally:
        engine.dispose()
