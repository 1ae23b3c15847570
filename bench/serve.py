"""``python -m bench.serve --port N``: the production app with ``tracker serve``'s settings.

The uvicorn settings are ``tracker serve``'s (one worker, the same loop, HTTP parser, logging
and access log), so a figure measured here is the production server's.
"""

from __future__ import annotations

import argparse

import uvicorn

from tracker.logs import LogSettings, logging_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logs = LogSettings.from_env()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        log_level=logs.level,
        log_config=logging_config(logs),
        access_log=False,
    )


if __name__ == "__main__":
    main()
