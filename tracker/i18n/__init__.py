"""The reader's language: the four the tracker speaks, their message catalogs, and which one
is in use.

English is the source language: every message is written in English in the code and the
templates, marked with :func:`gettext` (``_``), :func:`ngettext`, :func:`pgettext` or, where it
is only named and translated later, :func:`N_`. The catalogs
(``tracker/locale/<lang>/LC_MESSAGES/messages.po``) are managed with Babel's extract, update
and compile commands (docs/languages.md); they are compiled in memory once per process and
language, never per request.

The language in use is a context variable, set by whoever knows the reader: the web layer per
request (``?lang=``, a cookie, ``Accept-Language``), the CLI from ``--lang`` or the
environment. Messages take their variables as keywords, ``%(name)s`` in the message, as
Jinja's i18n extension does, so one message reads the same in Python and in a template.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, default_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from tracker.domain.errors import TrackerError

#: The languages, source first; Uzbek is written in the Latin script (``uz`` is ``uz_Latn``).
LANGUAGES = ("en", "ru", "kk", "uz")
DEFAULT = "en"
#: Each language in its own words, for the switch that offers it.
NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "uz": "Oʻzbekcha"}
LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("language", default=DEFAULT)
_TAG = re.compile(r"^\s*([A-Za-z]{1,8})(?:[-_][A-Za-z0-9]{1,8})*\s*$")


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> NullTranslations:
    """The language's messages, read from its catalog once per process (fuzzy ones left out)."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return NullTranslations()
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@cache
def locale(lang: str | None = None) -> Locale:
    """The CLDR locale of ``lang`` (the one in use when not given)."""
    return Locale.parse(lang or language())


def language() -> str:
    return _language.get()


class use:
    """Speak ``lang`` inside a ``with`` block (an unsupported one falls back to English).

    A class rather than a generator: it is entered around every HTTP request (api/envelope.py),
    where ``contextlib``'s machinery cost a trivial request a few per cent."""

    __slots__ = ("_token", "lang")

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT

    def __enter__(self) -> str:
        # Already spoken (most requests: English in a fresh task): nothing to set or restore.
        self._token = None if _language.get() == self.lang else _language.set(self.lang)
        return self.lang

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _language.reset(self._token)


def set_language(lang: str) -> None:
    """Speak ``lang`` from now on in this context (a CLI run, a request's task)."""
    _language.set(lang if lang in LANGUAGES else DEFAULT)


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the language in use, with ``%(name)s`` filled from ``variables``."""
    text = translations(language()).gettext(message)
    return text % variables if variables else text


_ = gettext


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The form of the message for ``num`` (``%(num)s`` is filled in as well)."""
    text = translations(language()).ngettext(singular, plural, num)
    return text % {"num": num, **variables}


def said(error: TrackerError) -> str:
    """What a tracker error says (its English message and variables, :mod:`tracker.domain.errors`)
    in the language in use; the domain marks the message, whoever shows it translates it."""
    return gettext(error.message, **error.params)


def pgettext(context: str, message: str, **variables: Any) -> str:
    """``message`` where the same English words need different translations (``context``)."""
    text = str(translations(language()).pgettext(context, message))
    return text % variables if variables else text


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it yet (e.g. in a table of
    labels made at import time); translate it where it is shown, with :func:`gettext`."""
    return message


def NP_(context: str, message: str) -> str:
    """:func:`N_` for a message with a context: translate it with :func:`pgettext`."""
    return message


def supported(tag: str | None) -> str | None:
    """The supported language a tag such as ``ru-RU`` or ``uz_Latn`` names, if any."""
    found = _TAG.match(tag or "")
    if not found:
        return None
    primary = found.group(1).lower()
    return primary if primary in LANGUAGES else None


def accepted(header: str | None) -> str | None:
    """The first supported language of an ``Accept-Language`` header, by weight (RFC 9110)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _sep, params = part.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        lang = supported(tag)
        if lang and weight > 0:
            ranked.append((-weight, index, lang))
    return min(ranked)[2] if ranked else None


def from_environment() -> str:
    """The language the environment asks for (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
    ``LANG``, as gettext reads them), if the tracker speaks it, else English."""
    try:
        tag = default_locale(("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"))
    except ValueError:  # a variable naming no locale Babel knows
        tag = None
    return supported(tag) or DEFAULT


def negotiate(*asked: str | None, accept_language: str | None = None) -> str:
    """The reader's language: the first supported of ``asked`` (a query parameter, a
    cookie, a command-line option, in that order), then ``Accept-Language``, then English."""
    for tag in asked:
        if lang := supported(tag):
            return lang
    return accepted(accept_language) or DEFAULT
