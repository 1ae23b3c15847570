"""What every HTTP request gets around its answer, in one ASGI wrapper outside the router:
``HEAD`` answered as ``GET`` (api/head.py), the reader's language spoken while it is answered
and named in the answer (api/language.py), who may pass checked (api/gate.py: rate limits,
key and role), and the answer counted, timed and logged once sent (api/metrics.py).

One wrapper and one wrapped ``send`` a request, around the whole application
(``Litestar.asgi_handler``): each of these as a Litestar middleware of its own cost a trivial
request a coroutine, a ``send`` wrapper and the per-route exception layer Litestar puts under
any middleware (docs/BENCHMARKS.md). Outside the router, it sees every answer, those of errors
raised by a handler (404, 409, 503, …) and of the gate's refusals (401, 403, 429) included,
in the request's language.
"""

from __future__ import annotations

import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.gate import Gate
from api.head import head_as_get
from api.language import answer_language
from api.metrics import observe
from tracker import i18n


def envelope(app: ASGIApp, gate: Gate) -> ASGIApp:
    async def enveloped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        lang, headers = answer_language(scope)

        async def send_enveloped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), *headers]}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                observe(scope, status, time.perf_counter() - started)
            await send(message)

        with i18n.use(lang):
            answer = app
            try:
                admitted = await gate.admit(scope)
            except Exception as refused:  # noqa: BLE001 - answered as a handler's error is
                answer = gate.refusal(scope, refused)
            else:
                if admitted:
                    headers = (*headers, *admitted)
            if scope["method"] == "HEAD":
                await head_as_get(answer, scope, receive, send_enveloped)
            else:
                await answer(scope, receive, send_enveloped)

    return enveloped
