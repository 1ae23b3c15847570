"""The floor for the read figures: a bare Litestar app answering the same bodies, served by
uvicorn with the tracker's own server settings (``api.server.uvicorn_options``), one worker,
no middleware, hooks or access log.

``python -m bench.bare PORT BODIES``: BODIES is a JSON file mapping a name to
``{"media_type": …, "body": …}``; each is served at ``/same/{name}``, and ``/health`` answers
what the tracker's ``/health`` answers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import msgspec
import uvicorn
from litestar import Litestar, Response, get

from api.server import uvicorn_options
from tracker.settings import Settings


class HealthOut(msgspec.Struct):
    status: str
    detail: str | None = None


def bare_app(bodies: dict[str, dict[str, str]]) -> Litestar:
    encoded = {name: (item["body"].encode(), item["media_type"]) for name, item in bodies.items()}

    @get("/health", sync_to_thread=False)
    def health() -> HealthOut:
        return HealthOut("ok")

    @get("/same/{name:str}", sync_to_thread=False)
    def same(name: str) -> Response[bytes]:
        body, media_type = encoded[name]
        return Response(body, media_type=media_type)

    return Litestar([health, same], logging_config=None, openapi_config=None)


def main() -> None:
    port, bodies = int(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    uvicorn.run(
        bare_app(bodies),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        **uvicorn_options(Settings.from_env()),
    )


if __name__ == "__main__":
    main()
