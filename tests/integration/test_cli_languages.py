"""The CLI speaks the reader's language: ``--lang``, else the environment (LANGUAGE, LC_ALL,
LC_MESSAGES, LANG), else English; what it prints as data stays as recorded."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from api.cli import main

NO_LOCALE = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def _run(tmp_path: Path, *args: str, **env: str | None) -> tuple[int, str, str]:
    url = f"sqlite:///{tmp_path}/tracker.db"
    result = CliRunner().invoke(
        main, list(args), env={**NO_LOCALE, "TRACKER_DATABASE_URL": url, **env}
    )
    return result.exit_code, result.stdout, result.stderr


def test_english_by_default(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path, "migrate")
    assert code == 0 and out.startswith("database at revision ")


def test_the_option_chooses(tmp_path: Path) -> None:
    code, out, _ = _run(tmp_path, "--lang", "ru", "migrate", LANG="kk_KZ.UTF-8")
    assert code == 0 and out.startswith("база данных на ревизии "), out


def test_the_environment_chooses(tmp_path: Path) -> None:
    assert _run(tmp_path, "migrate", LANG="kk_KZ.UTF-8")[1].startswith("дерекқор ")
    assert _run(tmp_path, "migrate", LC_ALL="uz_UZ.UTF-8", LANG="ru_RU")[1].startswith(
        "maʼlumotlar bazasi "
    )
    assert _run(tmp_path, "migrate", LANG="de_DE.UTF-8")[1].startswith("database at ")
    assert _run(tmp_path, "migrate", LANG="C.UTF-8")[1].startswith("database at ")


def test_an_error_is_said_in_the_language(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path, "--lang", "uz", "keys", "list")
    assert code == 1
    assert "xato:" in err and "tracker migrate" in err


def test_an_unknown_language_is_refused(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path, "--lang", "fr", "migrate")
    assert code == 2 and "--lang" in err


def test_help_is_said_in_the_language_chosen_at_run_time(tmp_path: Path) -> None:
    """Click reads help texts when a command is made (at import, in English); they are
    translated when the command line runs, ``--lang`` or the environment deciding."""
    code, out, _ = _run(tmp_path, "--lang", "ru", "import", "--help")
    assert code == 0, out
    assert out.startswith("Использование: ")
    assert "Импортировать проекты и их события из FILE" in out  # the command's help
    assert "Проверить каждую строку и сказать, что было" in out  # an option's
    assert "Показать это сообщение и выйти." in out and "Параметры:" in out
    assert "Import projects" not in out and "Check every row" not in out
    group = _run(tmp_path, "--help", "--lang", "kk")[1]  # --help before --lang
    assert "Ынтымақтастық жобалары портфельдерінің" in group and "Командалар:" in group
    assert "Manage API keys" not in group
    from_env = _run(tmp_path, "keys", "create", "--help", LANG="uz_UZ.UTF-8")[1]
    assert "Kalit yaratib, uni chiqarish" in from_env and "Unga nima ruxsat etilgan." in from_env
    english = _run(tmp_path, "import", "--help")[1]  # and back: nothing stays translated
    assert english.startswith("Usage: ") and "Import projects and their events" in english
    assert "Check every row and say what" in english


def test_every_command_and_option_has_help_in_every_language() -> None:
    """Each help text is marked for the catalogs (a docstring would not be) and translated."""
    import click

    from tracker import i18n
    from tracker.cli.localised import localise

    def helps(command: click.Command) -> list[str]:
        own = [command.help or ""] + [
            p.help or "" for p in command.params if isinstance(p, click.Option)
        ]
        subs = command.commands.values() if isinstance(command, click.Group) else []
        return own + [text for sub in subs for text in helps(sub)]

    # In English first: a command run earlier in this process (``--lang uz``) leaves the
    # shared group in its language until the next run localises it again.
    localise(main)
    english = helps(main)
    assert all(english) and len(english) > 60
    for lang in ("ru", "kk", "uz"):
        with i18n.use(lang):
            localise(main)
            translated = helps(main)
        assert not [e for e, t in zip(english, translated, strict=True) if e == t], lang
    localise(main)
    assert helps(main) == english


def test_a_domain_error_is_said_in_the_language(tmp_path: Path) -> None:
    assert _run(tmp_path, "migrate")[0] == 0
    code, _, err = _run(tmp_path, "--lang", "ru", "keys", "revoke", "nobody")
    assert code == 1
    assert "нет действующего ключа с именем или идентификатором 'nobody'" in err
    code, _, err = _run(tmp_path, "keys", "revoke", "nobody", LANG="kk_KZ.UTF-8")
    assert "'nobody' атты не идентификаторлы белсенді кілт жоқ" in err
    english = _run(tmp_path, "keys", "revoke", "nobody")[2]
    assert "no active key named or with id 'nobody'" in english
