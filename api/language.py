"""The reader's language for each request: ``?lang=``, then the ``lang`` cookie the pages'
language switch sets, then ``Accept-Language``, then English (:func:`tracker.i18n.negotiate`).

Pages are rendered in it (``<html lang>`` follows) and problem+json answers carry their
``title`` and ``detail`` in it; the API's JSON data stays as recorded. Choosing a language
with ``?lang=`` on a page keeps it in a cookie, so the links of the page need not carry it.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from tracker import i18n

COOKIE = "lang"
#: A year: the reader chose; the choice should outlast the session.
COOKIE_MAX_AGE = 365 * 24 * 3600


def _headers(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        key = name.decode("latin-1").lower()
        if key in ("cookie", "accept-language"):
            text = value.decode("latin-1")
            found[key] = f"{found[key]}; {text}" if key in found else text
    return found


def asked(scope: Scope) -> str | None:
    """The language named by ``?lang=``, if it is one the tracker speaks."""
    raw: bytes = scope.get("query_string", b"")
    if b"lang" not in raw and b"%" not in raw:  # most requests: no query to parse
        return None
    query = raw.decode("latin-1")
    values = [value for key, value in parse_qsl(query) if key == "lang"]
    return i18n.supported(values[-1]) if values else None


def request_language(scope: Scope, chosen: str | None = None) -> str:
    """The language the request is answered in (``chosen``: what ``?lang=`` named, if the
    caller has read it already)."""
    headers = _headers(scope)
    if chosen is None:
        chosen = asked(scope)
    if chosen is not None:
        return chosen
    if not headers:  # no cookie, no Accept-Language: nothing to negotiate
        return i18n.DEFAULT
    cookie: str | None = None
    if "cookie" in headers:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers["cookie"])
        except CookieError:  # a malformed Cookie header names no language
            jar = SimpleCookie()
        cookie = jar[COOKIE].value if COOKIE in jar else None
    return i18n.negotiate(cookie, accept_language=headers.get("accept-language"))


def language_middleware(app: ASGIApp) -> ASGIApp:
    """Speak the request's language while it is answered; a page asked for with ``?lang=``
    remembers the choice in a cookie."""

    async def localised(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        chosen = asked(scope)
        lang = request_language(scope, chosen)
        remember = chosen is not None and not scope.get("path", "").startswith("/api/")

        async def send_localised(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"content-language", lang.encode()))
                if remember:
                    cookie = f"{COOKIE}={lang}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax"
                    headers.append((b"set-cookie", cookie.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with i18n.use(lang):
            await app(scope, receive, send_localised)

    return localised
