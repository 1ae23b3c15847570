"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tracker.readmodel.database import create_readmodel_engine
from tracker.settings import Settings


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the test's read model (the ``settings`` database)."""
    readmodel_engine = create_readmodel_engine(settings, pool_size=4)
    yield readmodel_engine
    readmodel_engine.dispose()
