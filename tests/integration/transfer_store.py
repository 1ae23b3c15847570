"""The database the import and export tests work on, and how they write rows: one
application with its read model and projector (``Store``, the ``store`` fixture), a second,
empty database of the same kind (``empty_twin``; as many as asked: ``empty_twins``), the
import template, CSV rows in the import format, the errors of a refused import, the events
stored and the command line's environment.

A module using the fixtures imports them by name and lists them in ``__all__``."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeVar
from uuid import UUID

import psycopg
import pytest

from tests.rates import give_rates
from tracker.application import TrackerApplication
from tracker.eventstore.migrate import upgrade
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.settings import Settings
from tracker.transfer.columns import COLUMNS
from tracker.transfer.errors import ImportRejected
from tracker.transfer.export import export_portfolio
from tracker.transfer.importer import Importer, import_rows
from tracker.transfer.portfolio_export import ExportQuery

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docs" / "import-template.csv"
DESK = Importer("desk")
#: Rates that are powers of 2 and 5, so every conversion is exact whatever the order.
RATES = [
    ("KZT", date(2024, 1, 1), Decimal("512")),
    ("UZS", date(2024, 1, 1), Decimal("12800")),
]


class Store:
    """One database: the application, a read-model engine and its projector."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tracker = TrackerApplication(settings)
        self.engine = create_readmodel_engine(settings, pool_size=2)
        self.projector = Projector(self.tracker, self.engine)

    def give_rates(self, portfolio: UUID) -> None:
        """A rate set with :data:`RATES`, the portfolio's only one (three events)."""
        give_rates(self.tracker, portfolio, RATES)

    def close(self) -> None:
        self.engine.dispose()
        self.tracker.close()

    def head(self) -> int:
        return self.tracker.recorder.max_notification_id() or 0

    def load(
        self, data: bytes | str, kind: str = "csv", importer: Importer = DESK, **kwargs: Any
    ) -> Any:
        raw = data.encode() if isinstance(data, str) else data
        return import_rows(self.tracker, raw, kind, importer, **kwargs)  # type: ignore[arg-type]

    def export(self, portfolio_id: UUID, fmt: str, **query: Any) -> bytes:
        self.projector.catch_up()
        rendered = export_portfolio(
            self.tracker,
            self.engine,
            ExportQuery(portfolio_id, **query),
            fmt,  # type: ignore[arg-type]
        )
        return rendered.content


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store(settings)
    yield opened
    opened.close()


class Closing(Protocol):
    def close(self) -> None: ...


Opened = TypeVar("Opened", bound=Closing)


@contextmanager
def empty_databases(
    settings: Settings, tmp_path: Path, opener: Callable[[Settings], Opened]
) -> Iterator[Callable[[], Opened]]:
    """Makes empty databases of the same kind as ``settings``, each opened by ``opener``;
    closed and dropped afterwards."""
    opened: list[Opened] = []
    schemas: list[str] = []

    def make() -> Opened:
        if settings.is_postgres:
            schema = f"t_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(settings.database_url, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            schemas.append(schema)
            twin = Settings(
                database_url=settings.database_url, db_schema=schema, snapshot_interval=5
            )
        else:
            path = tmp_path / f"twin-{uuid.uuid4().hex[:12]}.db"
            twin = Settings(database_url=f"sqlite:///{path}", snapshot_interval=5)
        upgrade(twin)
        opened.append(opener(twin))
        return opened[-1]

    yield make
    for twin_store in opened:
        twin_store.close()
    for schema in schemas:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def empty_twins(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Makes empty databases of the same kind as ``settings``, dropped afterwards."""
    with empty_databases(settings, tmp_path, Store) as make:
        yield make


@pytest.fixture
def empty_twin(settings: Settings, tmp_path: Path) -> Iterator[Store]:
    """A second, empty database of the same kind as ``settings``."""
    with empty_databases(settings, tmp_path, Store) as make:
        yield make()


def rows(*lines: dict[str, str]) -> str:
    """A CSV in the import format with these rows (every column in the header)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for line in lines:
        writer.writerow(line)
    return buffer.getvalue()


def errors_of(excinfo: pytest.ExceptionInfo[ImportRejected]) -> set[tuple[int, str | None]]:
    return {(e.line, e.column) for e in excinfo.value.errors}


def stored(store: Store) -> list[tuple[str | None, str, int]]:
    """Every stored event: its idempotency key, kind and version, in log order."""
    notifications = store.tracker.recorder.select_notifications(0, 1_000_000)
    events = [store.tracker.mapper.to_domain_event(n) for n in notifications]
    return [
        (getattr(e, "idempotency_key", None), type(e).__name__, e.originator_version)
        for e in events
    ]


def cli_env(settings: Settings) -> dict[str, str]:
    return {"TRACKER_DATABASE_URL": settings.database_url, "TRACKER_DB_SCHEMA": settings.db_schema}
