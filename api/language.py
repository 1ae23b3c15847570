"""The reader's language for each request: ``?lang=``, then the ``lang`` cookie the pages'
language switch sets, then ``Accept-Language``, then English (:func:`tracker.i18n.negotiate`).

Pages are rendered in it (``<html lang>`` follows) and problem+json answers carry their
``title`` and ``detail`` in it; the API's JSON data stays as recorded. Choosing a language
with ``?lang=`` on a page keeps it in a cookie, so the links of the page need not carry it.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl

from litestar.types import Scope

from tracker import i18n

COOKIE = "lang"
#: A year: the reader chose; the choice should outlast the session.
COOKIE_MAX_AGE = 365 * 24 * 3600


_WANTED = (b"cookie", b"accept-language")
#: The ``Content-Language`` header of each language, made once.
_CONTENT_LANGUAGE = {lang: (b"content-language", lang.encode()) for lang in i18n.LANGUAGES}
#: The answer of most requests: no ``?lang=``, cookie or ``Accept-Language``.
_UNASKED = (i18n.DEFAULT, (_CONTENT_LANGUAGE[i18n.DEFAULT],))


def _headers(scope: Scope) -> dict[bytes, str]:
    """The request's ``Cookie`` and ``Accept-Language`` headers (each joined, if repeated;
    ASGI gives header names in lower case)."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _WANTED:
            text = value.decode("latin-1")
            found[name] = f"{found[name]}; {text}" if name in found else text
    return found


def asked(scope: Scope) -> str | None:
    """The language named by ``?lang=``, if it is one the tracker speaks."""
    raw: bytes = scope.get("query_string", b"")
    # Most requests: no query to parse. (``find`` rather than ``in``: on bytes, ``in`` costs
    # a trivial request a few hundred nanoseconds.)
    if not raw or (raw.find(b"lang") < 0 and raw.find(b"%") < 0):
        return None
    query = raw.decode("latin-1")
    values = [value for key, value in parse_qsl(query) if key == "lang"]
    return i18n.supported(values[-1]) if values else None


def negotiated(headers: dict[bytes, str]) -> str:
    """The language the ``lang`` cookie or ``Accept-Language`` (``headers``: :func:`_headers`)
    asks for, else English."""
    cookie: str | None = None
    if b"cookie" in headers:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers[b"cookie"])
        except CookieError:  # a malformed Cookie header names no language
            jar = SimpleCookie()
        cookie = jar[COOKIE].value if COOKIE in jar else None
    return i18n.negotiate(cookie, accept_language=headers.get(b"accept-language"))


def answer_language(scope: Scope) -> tuple[str, tuple[tuple[bytes, bytes], ...]]:
    """The language a request is answered in, and the headers its answer carries for it:
    ``Content-Language``, and for a page asked for with ``?lang=`` the cookie that remembers
    the choice (``api.envelope`` speaks it while the request is answered)."""
    chosen = asked(scope)
    if chosen is None:
        headers = _headers(scope)
        if not headers:  # no cookie, no Accept-Language: nothing to negotiate
            return _UNASKED
        lang = negotiated(headers)
        return lang, (_CONTENT_LANGUAGE[lang],)
    if scope["path"].startswith("/api/"):
        return chosen, (_CONTENT_LANGUAGE[chosen],)
    cookie = f"{COOKIE}={chosen}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax"
    return chosen, (_CONTENT_LANGUAGE[chosen], (b"set-cookie", cookie.encode()))
