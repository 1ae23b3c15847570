"""What the process built to serve is left out of Python's full garbage collections."""

from __future__ import annotations

import gc

from litestar import Litestar
from litestar.testing import TestClient


def test_the_app_freezes_its_startup_heap_while_it_serves(app: Litestar) -> None:
    """A full collection walked every object of the process (modules, the app, its routes
    and schemas) and held every request meanwhile: 135-170 ms each during a large import.
    Started, the app leaves what it has built to the permanent generation; stopped, it
    gives it back (a process that builds many apps keeps none of them)."""
    gc.unfreeze()
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the app and every module imported to serve it
        tracked = len(gc.get_objects())
        assert tracked < frozen  # a full collection walks only what came later
    assert gc.get_freeze_count() == 0
