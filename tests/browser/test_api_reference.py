"""The API reference (``/docs``) in Chromium with the network cut off: everything it needs
comes from this server, under the same strict Content-Security-Policy as the dashboard."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.browser.harness import LOCAL_HOSTS, Server, Watch


def operations_in(schema: dict[str, Any]) -> list[tuple[str, str]]:
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in methods
    ]


def test_the_reference_renders_every_operation_with_outside_requests_blocked(
    page: Any, server: Server, watch: Watch
) -> None:
    blocked: list[str] = []

    def only_this_machine(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_machine)
    # The first request builds the OpenAPI document, and Swagger UI is 1.5 MB of script.
    page.set_default_timeout(60_000)
    response = page.goto(f"{server.base_url}/docs")
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy

    operations = page.locator(".opblock")
    operations.first.wait_for(state="visible")
    expected = operations_in(httpx.get(f"{server.base_url}/docs/openapi.json").json())
    shown = {
        (method.strip(), path.strip().replace("\u200b", ""))
        for method, path in zip(
            page.locator(".opblock-summary-method").all_inner_texts(),
            page.locator(".opblock-summary-path").all_inner_texts(),
            strict=True,
        )
    }
    assert set(expected) <= shown, f"not shown: {sorted(set(expected) - shown)}"
    assert ("GET", "/api/v1/projects/{project_id}") in shown
    assert blocked == [], "the reference asked for something from elsewhere"
    assert all(urlsplit(url).hostname in LOCAL_HOSTS for url in watch.requests)


def test_the_reference_page_names_only_its_own_assets(server: Server) -> None:
    """Without a browser: the page's policy, and every asset it names answered here."""
    page = httpx.get(f"{server.base_url}/docs")
    assert page.status_code == 200
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 4 and all(url.startswith("/docs/assets/") for url in assets)
    for url in assets:
        assert httpx.get(f"{server.base_url}{url}").status_code == 200, url
