"""The translations: every message of the sources is in the catalogs of Russian, Kazakh and
Uzbek, translated (every plural form, no fuzzy guess), with the placeholders of its English.

The catalogs are checked against a fresh extraction by the same command a translator runs
(``make messages``, docs/languages.md), so a message added, changed or removed in the code
or a template without ``make messages`` fails here with its text.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from tracker import i18n

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=lang)


def _keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What the sources mark for translation today (``make messages-pot``, with the venv the
    tests run in and nothing installed: ``SERVE=`` drops the target's install step)."""
    make = shutil.which("make")
    assert make, "make is needed to extract the messages as `make messages` does"
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [make, "-s", "messages-pot", f"POT={pot}", f"BIN={Path(sys.executable).parent}", "SERVE="],
        cwd=ROOT,
        check=True,
    )
    return _read(pot)


def test_the_sources_have_messages(extracted: Catalog) -> None:
    keys = _keys(extracted)
    assert (None, "Cooperation portfolio tracker") in keys  # a template's
    assert ("status", "Under implementation") in keys  # Python's, with its context
    assert len(keys) > 20


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalog_is_current_with_the_sources(lang: str, extracted: Catalog) -> None:
    catalog = _read(i18n.catalog_path(lang), lang)
    wanted, present = _keys(extracted), _keys(catalog)
    assert not wanted - present, f"run `make messages`; {lang} lacks {sorted(wanted - present)}"
    assert not present - wanted, f"run `make messages`; {lang} keeps {sorted(present - wanted)}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang: str) -> None:
    catalog = _read(i18n.catalog_path(lang), lang)
    untranslated = [
        m.id
        for m in catalog
        if m.id
        and (
            m.fuzzy
            or not m.string
            or (isinstance(m.string, tuple) and not all(m.string))
            or (isinstance(m.string, tuple) and len(m.string) != catalog.num_plurals)
        )
    ]
    assert not untranslated, f"{lang} has no (or only a fuzzy) translation of {untranslated}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, f"{lang}: placeholders differ from the English: {problems}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalog_loads_and_translates(lang: str) -> None:
    with i18n.use(lang):
        assert i18n.gettext("Cooperation portfolio tracker") != "Cooperation portfolio tracker"
        assert i18n.language() == lang
    assert i18n.language() == i18n.DEFAULT
    assert i18n.translations(lang) is i18n.translations(lang)  # compiled once per process
