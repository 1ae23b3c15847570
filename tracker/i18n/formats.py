"""Figures and dates in the reader's language, through CLDR (Babel): grouped digits, the
decimal sign, month names, the date order.

English keeps the tracker's own house style (``14,600``, ``58.2 %``, ``5 Mar 2024``,
``5 Mar 2024, 14:03:22 UTC``); Russian, Kazakh and Uzbek follow their CLDR patterns
(``14 600``, ``58,2 %``, ``5 мар. 2024 г.``, ``2024 ж. 5 нау.``, ``5-mar, 2024``).

A page formats hundreds of figures: each pattern is parsed (and each date skeleton matched)
once per process and language, then only applied; plain numbers (the most frequent) are
written by Python with the locale's CLDR group and decimal symbols, which is what Babel's
``#,##0.00`` gives (tests/unit/test_languages.py checks that it is), at a fiftieth of the cost.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import DateTimePattern, match_skeleton
from babel.dates import parse_pattern as parse_date_pattern
from babel.numbers import NumberPattern, get_decimal_symbol, get_group_symbol, parse_pattern

from tracker.i18n import DEFAULT, language, locale

#: English's own patterns, where the house style differs from CLDR's ``en``.
_HOUSE = {(DEFAULT, "yMMMd"): "d MMM y", (DEFAULT, "yMMM"): "MMM y"}
_PERCENT = {DEFAULT: "#,##0.0 %"}
_TIME = "HH:mm:ss"


@cache
def _symbols(lang: str) -> dict[int, str]:
    """How ``f"{x:,.2f}"``'s separators read in ``lang``: ``,`` → group, ``.`` → decimal."""
    return {ord(","): get_group_symbol(locale(lang)), ord("."): get_decimal_symbol(locale(lang))}


@cache
def _percent_pattern(lang: str, places: int) -> NumberPattern:
    pattern = _PERCENT.get(lang) or locale(lang).percent_formats[None].pattern
    if places != 1 or lang not in _PERCENT:
        # The locale's own pattern (the sign's side and spacing), with fixed decimals.
        head, _sep, tail = pattern.partition("0")
        digits = "0" + ("." + "0" * places if places else "")
        tail = tail.lstrip("0").removeprefix(".").lstrip("0#")
        pattern = head + digits + tail
    return parse_pattern(pattern)


@cache
def _date_pattern(lang: str, skeleton: str) -> DateTimePattern:
    if (lang, skeleton) in _HOUSE:
        return parse_date_pattern(_HOUSE[lang, skeleton])
    if skeleton == "time":
        return parse_date_pattern(_TIME)
    options = locale(lang).datetime_skeletons
    found = match_skeleton(skeleton, options) or skeleton
    pattern: DateTimePattern = options[found]
    return pattern


def number(value: int | Decimal, places: int = 0) -> str:
    """``14600`` → ``14,600`` (``14 600``); with ``places`` fixed decimals (``1.98``)."""
    text: str = f"{Decimal(value):,.{places}f}"
    return text.translate(_symbols(language()))


def percent(ratio: Decimal | float, places: int = 1) -> str:
    """A ratio (``0.5819``) as a percentage to ``places`` decimals: ``58.2 %``, ``58,2 %``."""
    lang = language()
    text: str = _percent_pattern(lang, places).apply(ratio, locale(lang))
    return text


def day(value: date) -> str:
    """A date with its month's name: ``5 Mar 2024``, ``5 мар. 2024 г.``, ``5-mar, 2024``."""
    lang = language()
    return _date_pattern(lang, "yMMMd").apply(value, locale(lang))


def month(value: date) -> str:
    """A month and its year: ``Mar 2024``, ``мар. 2024 г.``."""
    lang = language()
    return _date_pattern(lang, "yMMM").apply(value, locale(lang))


def quarter(value: date) -> str:
    """The quarter ``value`` falls in: ``Q4 2019``, ``4-й квартал 2019 г.``, ``2019, 4-chorak``."""
    lang = language()
    return _date_pattern(lang, "yQQQQ").apply(value, locale(lang))


def moment(value: datetime) -> str:
    """A moment in UTC to the second: ``5 Mar 2024, 14:03:22 UTC``."""
    utc = value.astimezone(UTC) if value.tzinfo else value
    lang = language()
    glue = str(locale(lang).datetime_formats["medium"])
    time_text = _date_pattern(lang, "time").apply(utc, locale(lang))
    return glue.replace("{1}", day(utc.date())).replace("{0}", time_text) + " UTC"


def language_name(code: str) -> str:
    """A language's name in the reader's language (CLDR), e.g. ``ru`` is "Russian" to an
    English reader and "русский" to a Russian one; an unknown code is shown as it is."""
    try:
        name = Locale.parse(code).get_language_name(locale(language()))
    except (ValueError, UnknownLocaleError):
        return code
    if not name:
        return code
    if language() == "uz":  # the official alphabet's ʻ, as docs/languages.md says
        return name.replace("\u2018", "\u02bb")
    return name
