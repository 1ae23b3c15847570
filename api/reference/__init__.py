"""The API reference at ``/docs``: Swagger UI, served from this server.

Swagger UI's files come from the ``swagger-ui-bundle-v2`` package (its ``dist`` build, as
published); the page that loads them is written here, with no inline script or style, so it
carries the dashboard's Content-Security-Policy: nothing is fetched from another origin, and
the reference renders on a machine with no network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from api.dashboard.rendering import SECURITY_HEADERS

#: Swagger UI's own files, in a folder named after its version (``swagger-ui-5.31.0``).
SWAGGER_UI = Path(str(swagger_ui_path))
#: The script that starts Swagger UI on the page (a file, as the policy allows no inline one).
STATIC = Path(__file__).parent / "static"
ASSETS_PATH = "/assets"


class SwaggerUI(OpenAPIRenderPlugin):
    """Litestar's render plugin for ``/docs``, with every asset served under ``/docs/assets``."""

    def __init__(self, *, path: str | Sequence[str] = "/", **kwargs: Any) -> None:
        super().__init__(path=path, favicon="", style="", **kwargs)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        prefix = request.app.openapi_config.path if request.app.openapi_config else ""
        assets = f"{prefix}{ASSETS_PATH}"
        swagger_ui = f"{assets}/{SWAGGER_UI.name}"
        starter = f"{assets}/{_versioned('reference.js')}"
        title = escape(openapi_schema["info"]["title"])
        spec = escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — API reference</title>
<link rel="icon" type="image/png" href="{swagger_ui}/favicon-32x32.png">
<link rel="stylesheet" href="{swagger_ui}/swagger-ui.css">
<script defer src="{swagger_ui}/swagger-ui-bundle.js"></script>
<script defer src="{starter}"></script>
</head>
<body>
<div id="swagger-ui" data-openapi-url="{spec}"></div>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        """Serve the assets beside the page, and give the router's answers the page policy."""
        router.register(
            create_static_files_router(
                path=ASSETS_PATH,
                directories=[STATIC, SWAGGER_UI.parent],
                name="reference-assets",
                include_in_schema=False,
                # Every URL names the version (the folder, or ``?v=`` and a digest).
                cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True),
            )
        )
        router.response_headers = [
            *(router.response_headers or ()),
            *(ResponseHeader(name=name, value=value) for name, value in SECURITY_HEADERS.items()),
        ]


@cache
def _versioned(name: str) -> str:
    """Our own file's URL with a digest of its content, so a new release is never served stale."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"{name}?v={digest}"
