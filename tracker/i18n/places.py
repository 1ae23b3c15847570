"""Names of countries and regions (ISO 3166 codes) in the reader's language.

Countries: pycountry's ISO 3166-1 names and its gettext catalogs (Russian, Kazakh, Uzbek).
Regions: the reviewed table in ``regions.json`` (Russian, Kazakh and Uzbek names of the regions
the record uses, each with its sources), then pycountry's ISO 3166-2 catalog where it has the
language, then pycountry's own name. Codes are data: a name is only how one reads.
"""

from __future__ import annotations

import gettext
import json
from functools import cache
from pathlib import Path

import pycountry

from tracker.i18n import DEFAULT, language

REGIONS_FILE = Path(__file__).with_name("regions.json")


@cache
def reviewed_regions() -> dict[str, dict[str, str]]:
    """``{"KZ-31": {"ru": …, "kk": …, "uz": …, "sources": […]}, …}``."""
    data: dict[str, dict[str, str]] = json.loads(REGIONS_FILE.read_text("utf-8"))["regions"]
    return data


@cache
def _iso(domain: str, lang: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True)


@cache
def _country(code: str, lang: str) -> str:
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return code
    if lang == DEFAULT:
        return str(getattr(found, "common_name", None) or found.name)
    return _iso("iso3166-1", lang).gettext(str(found.name))


def country(code: str) -> str:
    """``KZ`` → ``Kazakhstan``, ``Казахстан``, ``Қазақстан``, ``Qozogʻiston``."""
    return _country(code, language())


@cache
def _region(code: str, lang: str) -> str:
    found = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    if found is None:
        return code
    suffix = f" ({code.split('-')[0]})"
    if lang != DEFAULT:
        reviewed = reviewed_regions().get(code, {}).get(lang)
        return (reviewed or _iso("iso3166-2", lang).gettext(str(found.name))) + suffix
    name, kind = str(found.name), str(getattr(found, "type", ""))
    # "Toshkent" is both a region and a city: say which, unless the name already does.
    if kind in ("Region", "City") and kind.lower() not in name.lower() and " " not in name:
        name = f"{name} {kind.lower()}"
    return name + suffix


def region(code: str) -> str:
    """``KZ-61`` → ``Türkistan oblysy (KZ)``, ``Туркестанская область (KZ)``; unknown codes
    stay as they are."""
    return _region(code, language())
