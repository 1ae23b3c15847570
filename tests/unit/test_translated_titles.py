"""A project's title in a reader's language: given beside the title as entered, never in its
place; a later one for the same language replaces the earlier."""

from __future__ import annotations

import pytest

from tests.unit.factories import announced, ledger, on, record
from tracker.domain.commands import Cancel, Correct, Replacement, TranslateTitle
from tracker.domain.errors import ValidationError
from tracker.domain.plan import TITLE_LANGUAGES
from tracker.domain.project import Project
from tracker.i18n import LANGUAGES


def test_a_translated_title_is_kept_beside_the_title_as_entered() -> None:
    project = announced(title="Copper cathode plant")
    record(project, TranslateTitle("ru", "  Завод медных катодов "), on("2024-02-01"))
    record(project, TranslateTitle("kk", "Мыс катодтары зауыты"), on("2024-02-01"))

    folded = ledger(project)
    assert folded.titles == {"kk": "Мыс катодтары зауыты", "ru": "Завод медных катодов"}
    assert folded.plan.title == "Copper cathode plant"
    event = project.pending_events[-2]
    assert isinstance(event, Project.TitleTranslated)
    assert (event.language, event.title, event.NEWS) == ("ru", "Завод медных катодов", False)


def test_a_later_translation_replaces_the_earlier_and_a_correction_leaves_it() -> None:
    project = announced()
    record(project, TranslateTitle("ru", "Завод"), on("2024-02-01"))
    record(project, TranslateTitle("ru", "Завод медных катодов"), on("2024-02-02"))
    record(
        project,
        Correct(1, "typo", Replacement(title="Copper cathodes plant")),
        on("2024-02-03"),
    )
    folded = ledger(project)
    assert folded.titles == {"ru": "Завод медных катодов"}
    assert folded.plan.title == "Copper cathodes plant"


def test_a_closed_project_may_still_be_named_in_another_language() -> None:
    project = announced()
    record(project, Cancel("investor withdrew"), on("2024-02-01"))
    record(project, TranslateTitle("uz", "Mis katodlari zavodi"), on("2024-02-02"))
    assert ledger(project).titles == {"uz": "Mis katodlari zavodi"}


@pytest.mark.parametrize(
    "language, title, field",
    [
        ("de", "Kupferkathodenwerk", "language"),
        ("RU", "Завод", "language"),
        ("uz_Cyrl", "Завод", "language"),
        ("", "Завод", "language"),
        ("ru", "   ", "title"),
        ("ru", "x" * 501, "title"),
        ("ru", "Завод\nмедных катодов", "title"),
    ],
)
def test_a_bad_language_or_title_names_the_field(language: str, title: str, field: str) -> None:
    project = announced()
    with pytest.raises(ValidationError) as caught:
        record(project, TranslateTitle(language, title), on("2024-02-01"))
    assert caught.value.field == field
    assert project.version == 1


def test_titles_may_be_given_in_the_readers_languages() -> None:
    assert set(TITLE_LANGUAGES) == set(LANGUAGES)
