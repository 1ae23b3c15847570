"""Figures and dates in the reader's language, through CLDR (Babel): grouped digits, the
decimal sign, month names, the date order.

English keeps the tracker's own house style (``14,600``, ``58.2 %``, ``5 Mar 2024``,
``5 Mar 2024, 14:03:22 UTC``); Russian, Kazakh and Uzbek follow their CLDR patterns
(``14 600``, ``58,2 %``, ``5 мар. 2024 г.``, ``2024 ж. 05 нау.``, ``5-mar, 2024``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal, format_percent

from tracker.i18n import DEFAULT, language, locale

#: English's own patterns, where the house style differs from CLDR's ``en``.
_DAY = {DEFAULT: "d MMM y"}
_MONTH = {DEFAULT: "MMM y"}
_PERCENT = {DEFAULT: "#,##0.0 %"}
_TIME = "HH:mm:ss"


def number(value: int | Decimal, places: int = 0) -> str:
    """``14600`` → ``14,600`` (``14 600``); with ``places`` fixed decimals (``1.98``)."""
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=locale(language()))


def percent(ratio: Decimal | float, places: int = 1) -> str:
    """A ratio (``0.5819``) as a percentage to ``places`` decimals: ``58.2 %``, ``58,2 %``."""
    lang = language()
    pattern = _PERCENT.get(lang) or locale(lang).percent_formats[None].pattern
    if places != 1 or lang not in _PERCENT:
        # The locale's own pattern (the sign's side and spacing), with fixed decimals.
        head, _sep, tail = pattern.partition("0")
        digits = "0" + ("." + "0" * places if places else "")
        tail = tail.lstrip("0").removeprefix(".").lstrip("0#")
        pattern = head + digits + tail
    return format_percent(ratio, format=pattern, locale=locale(lang))


def day(value: date) -> str:
    """A date with its month's name: ``5 Mar 2024``, ``5 мар. 2024 г.``, ``5-mar, 2024``."""
    return _dated(value, "yMMMd", _DAY)


def month(value: date) -> str:
    """A month and its year: ``Mar 2024``, ``мар. 2024 г.``."""
    return _dated(value, "yMMM", _MONTH)


def _dated(value: date, skeleton: str, house: dict[str, str]) -> str:
    lang = language()
    if lang in house:
        return format_date(value, house[lang], locale=locale(lang))
    return format_skeleton(skeleton, value, locale=locale(lang))


def moment(value: datetime) -> str:
    """A moment in UTC to the second: ``5 Mar 2024, 14:03:22 UTC``."""
    utc = value.astimezone(UTC) if value.tzinfo else value
    lang = language()
    glue = str(locale(lang).datetime_formats["medium"])
    time_text = format_time(utc, _TIME, locale=locale(lang))
    return glue.replace("{1}", day(utc.date())).replace("{0}", time_text) + " UTC"
