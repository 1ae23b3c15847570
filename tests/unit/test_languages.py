"""Choosing the reader's language, and figures in its CLDR formats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tracker import i18n
from tracker.i18n import formats


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
        ("de-DE,kk;q=0.5,ru;q=0.4", "kk"),
        ("en;q=0.2, uz-Latn-UZ;q=0.9", "uz"),
        ("ru;q=0, kk", "kk"),
        ("fr, de", None),
        ("", None),
        (None, None),
        ("ru;q=abc, uz;q=0.1", "uz"),
    ],
)
def test_accept_language_by_weight(header: str | None, expected: str | None) -> None:
    assert i18n.accepted(header) == expected


def test_negotiation_order() -> None:
    header = "kk,ru;q=0.5"
    assert i18n.negotiate("uz", "ru", accept_language=header) == "uz"  # ?lang= first
    assert i18n.negotiate("xx", "ru", accept_language=header) == "ru"  # then the cookie
    assert i18n.negotiate(None, None, accept_language=header) == "kk"  # then the header
    assert i18n.negotiate(None, "", accept_language="fr") == "en"  # then English


@pytest.mark.parametrize(
    ("lang", "number", "percent", "day", "moment"),
    [
        ("en", "14,600", "58.2 %", "5 Mar 2024", "5 Mar 2024, 14:03:22 UTC"),
        (
            "ru",
            "14\xa0600",
            "58,2\xa0%",
            "5 мар. 2024\u202fг.",
            "5 мар. 2024\u202fг., 14:03:22 UTC",
        ),
        ("kk", "14\xa0600", "58,2%", "2024\u202fж. 5 нау.", "2024\u202fж. 5 нау., 14:03:22 UTC"),
        ("uz", "14\xa0600", "58,2%", "5-mar, 2024", "5-mar, 2024, 14:03:22 UTC"),
    ],
)
def test_figures_in_cldr_formats(
    lang: str, number: str, percent: str, day: str, moment: str
) -> None:
    with i18n.use(lang):
        assert formats.number(14600) == number
        assert formats.percent(Decimal("0.5819")) == percent
        assert formats.day(date(2024, 3, 5)) == day
        assert formats.moment(datetime(2024, 3, 5, 14, 3, 22, tzinfo=UTC)) == moment


def test_decimals_are_fixed_and_grouped() -> None:
    with i18n.use("ru"):
        assert formats.number(Decimal("1234567.5"), 2) == "1\xa0234\xa0567,50"
        assert formats.percent(Decimal("0.5"), 0) == "50\xa0%"
    assert formats.number(Decimal("1234567.5"), 2) == "1,234,567.50"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("places", [0, 1, 2])
def test_numbers_are_what_babel_writes(lang: str, places: int) -> None:
    """The fast path (Python's grouping, the locale's symbols) equals Babel's pattern."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * places if places else "")
    values = [Decimal(0), Decimal(7), Decimal("999.5"), Decimal("1234.25"), Decimal("-14600")]
    values += [Decimal("1978555649.45"), Decimal("12345678901234.56")]
    with i18n.use(lang):
        for value in values:
            rounded = value.quantize(Decimal(1).scaleb(-places))
            assert formats.number(rounded, places) == format_decimal(
                rounded, format=pattern, locale=lang
            ), value


def test_an_unknown_language_speaks_english() -> None:
    with i18n.use("fr") as lang:
        assert lang == "en"
        assert i18n.gettext("Live") == "Live"
