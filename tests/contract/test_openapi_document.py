"""The OpenAPI document is the API's promise: it changes only on purpose.

``tests/contract/openapi.json`` is the document as last agreed. A restructuring of the code
must leave it byte-identical; a change to the API updates it in the same commit, so the diff
shows reviewers what clients will see. Regenerate it with
``TRACKER_WRITE_OPENAPI=1 .venv/bin/pytest tests/contract/test_openapi_document.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from litestar.testing import TestClient

from api.app import create_app
from tracker.eventstore.migrate import upgrade
from tracker.settings import Settings

AGREED = Path(__file__).with_name("openapi.json")


def test_the_openapi_document_is_the_agreed_one(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/openapi.db")
    upgrade(settings)
    with TestClient(create_app(settings)) as client:
        response = client.get("/docs/openapi.json")
    assert response.status_code == 200
    # Pretty-printed so that a change shows as a readable diff; the keys keep the order served.
    served = json.dumps(response.json(), indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("TRACKER_WRITE_OPENAPI") == "1":
        AGREED.write_text(served, encoding="utf-8")
    assert served == AGREED.read_text(encoding="utf-8"), (
        "the OpenAPI document changed; if on purpose, regenerate tests/contract/openapi.json "
        "(see this module's docstring) and commit it with the change"
    )
