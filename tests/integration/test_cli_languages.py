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
