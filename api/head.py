"""``HEAD`` wherever ``GET`` is (RFC 9110 §9.3.2): the ``GET`` answer's status and headers,
without its body.

Litestar routes ``HEAD`` only to handlers that declare it, and lists each route's methods
(and so the OpenAPI document's operations) from them; so ``head_as_get`` wraps the whole
application, in front of its router (api/envelope.py): it hands the router a ``GET`` and
sends on the start of the answer alone. A streamed answer (the event stream) is stopped once
its headers are out.
"""

from __future__ import annotations

from typing import cast

import anyio
from litestar.types import ASGIApp, Message, Receive, Scope, Send


async def head_as_get(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a ``HEAD`` request (``scope``) with ``app``'s answer to the same ``GET``."""
    headers_sent = anyio.Event()

    async def start_only(message: Message) -> None:
        if headers_sent.is_set():
            return
        if message["type"] == "http.response.start":
            await send(message)
        elif message["type"] == "http.response.body":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            headers_sent.set()

    async with anyio.create_task_group() as tasks:

        async def answer() -> None:
            await app(cast("Scope", {**scope, "method": "GET"}), receive, start_only)
            headers_sent.set()

        tasks.start_soon(answer)
        await headers_sent.wait()
        tasks.cancel_scope.cancel()
