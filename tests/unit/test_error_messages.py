"""Every error the tracker raises says what is wrong in a message the catalogs translate.

An error carries its English message, marked with ``N_()``, and the variables it names; the
API and the CLI translate it where they show it (tracker.domain.errors). Read from the
sources: every place that makes one of the tracker's errors passes a marked message (never
an f-string, which no catalog could hold) with exactly the variables the message names, and
every such message is translated in Russian, Kazakh and Uzbek.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import tracker.transfer.errors
from tracker import i18n
from tracker.domain import errors
from tracker.domain.errors import TrackerError, VersionMismatch
from tracker.transfer.errors import ImportForbidden, ImportRejected, RowError

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]")


def _classes(cls: type[TrackerError]) -> Iterator[type[TrackerError]]:
    yield cls
    for sub in cls.__subclasses__():
        yield from _classes(sub)


assert tracker.transfer.errors  # its classes are among the subclasses below
#: The errors made with a message (the others, such as ImportRejected, make their own).
WITH_MESSAGE = {
    cls.__name__
    for cls in _classes(TrackerError)
    if cls.__init__ is TrackerError.__init__
    or list(inspect.signature(cls.__init__).parameters)[1] == "message"
}


def _made(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in WITH_MESSAGE:
                yield node


def _messages(node: ast.expr) -> list[str] | None:
    """The messages an argument can be: ``N_("…")``, or either of two (``a if c else b``)."""
    if isinstance(node, ast.IfExp):
        body, orelse = _messages(node.body), _messages(node.orelse)
        return None if body is None or orelse is None else body + orelse
    if (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "N_"
        and isinstance(node.args[0], ast.Constant)
    ):
        return [str(node.args[0].value)]
    return None


def _sources() -> list[Path]:
    return sorted(p for d in ("tracker", "api") for p in (ROOT / d).rglob("*.py"))


@dataclass
class Findings:
    """What reading the places that make errors found wrong, message by message."""

    catalogs: dict[str, Catalog]
    made: int = 0
    unmarked: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)

    def check(self, where: str, messages: list[str] | None, given: set[str]) -> None:
        """``messages`` (``None``: not marked with N_()) name exactly ``given`` and are
        translated in every catalog."""
        if messages is None:
            self.unmarked.append(where)
            return
        for message in messages:
            if set(PLACEHOLDER.findall(message)) != given:
                self.mismatched.append(f"{where} {message!r} given {sorted(given)}")
            for lang, catalog in self.catalogs.items():
                entry = catalog.get(message)
                if entry is None or not entry.string or entry.fuzzy:
                    self.untranslated.append(f"{lang}: {message!r}")

    def assert_none(self, unmarked: str) -> None:
        assert not self.unmarked, f"{unmarked}: {self.unmarked}"
        assert not self.mismatched, self.mismatched
        assert not self.untranslated, self.untranslated


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    found = {}
    for lang in ("ru", "kk", "uz"):
        with i18n.catalog_path(lang).open("rb") as po:
            found[lang] = read_po(po, locale=lang)
    return found


def test_the_hierarchy_is_found() -> None:
    assert {"NotFound", "ValidationError", "UnknownValue", "InvalidTransition"} <= WITH_MESSAGE
    assert "ImportRejected" not in WITH_MESSAGE and "VersionMismatch" not in WITH_MESSAGE


def test_every_error_made_passes_a_marked_message_with_its_variables(
    catalogs: dict[str, Catalog],
) -> None:
    found = Findings(catalogs)
    for path in _sources():
        where = path.relative_to(ROOT)
        for call in _made(ast.parse(path.read_text("utf-8"))):
            found.made += 1
            argument = call.args[0]
            if isinstance(argument, ast.Name):  # a message chosen from a table of N_()s
                continue
            given = {k.arg for k in call.keywords if k.arg and k.arg != "field"}
            found.check(f"{where}:{call.lineno}", _messages(argument), given)
    assert found.made > 100
    found.assert_none("an error made without an N_() message")


@pytest.mark.parametrize(
    "error",
    [
        VersionMismatch({3, 4}, 5),
        VersionMismatch(set(), 5),
        ImportRejected("f.csv", [RowError(2, "amount", "x"), RowError(2, "currency", "y")]),
        ImportForbidden("f.csv", [RowError(2, "portfolio_ref", "x")]),
    ],
    ids=["version", "no-version", "rejected", "forbidden"],
)
def test_errors_that_make_their_own_message_are_translated(
    error: TrackerError, catalogs: dict[str, Catalog]
) -> None:
    for lang, catalog in catalogs.items():
        entry = catalog.get(error.message)
        assert entry is not None and entry.string and not entry.fuzzy, (lang, error.message)
        with i18n.use(lang):
            said = i18n.said(error)
        assert said != error.detail and "%(" not in said, said
        for value in error.params.values():
            assert str(value) in said


def test_an_error_is_english_until_shown_then_in_the_readers_language() -> None:
    """The domain knows no catalog: ``detail`` is English, the edge translates."""
    project = UUID("12345678-1234-5678-1234-567812345678")
    error = errors.NotFound(errors.N_("there is no project %(id)s"), id=project)
    assert error.detail == f"there is no project {project}" == str(error)
    with i18n.use("ru"):
        assert i18n.said(error) == f"нет проекта {project}"
    with i18n.use("uz"):
        assert i18n.said(error) == f"{project} loyihasi yoʻq"
    assert i18n.said(error) == error.detail


#: What makes a row's error, and which argument is its message: ``RowError(line, column,
#: message)``, ``cells.fail(column, message)``, ``_stop(text, index, message)`` and a hint
#: added after one (``error.adding(message)``, ``""`` for none).
ROW_MAKERS = {"RowError": 2, "Undecodable": 2, "fail": 1, "_stop": 2, "adding": 0}


def _row_errors_made() -> Iterator[tuple[str, ast.Call, ast.expr]]:
    for path in _sources():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            index = ROW_MAKERS.get(name or "")
            if name in ("fail", "adding") and not isinstance(node.func, ast.Attribute):
                continue  # a function of another module (cells.fail and error.adding are methods)
            if index is not None and len(node.args) > index:
                yield where, node, node.args[index]


def test_every_row_error_is_made_with_a_marked_message_and_its_variables(
    catalogs: dict[str, Catalog],
) -> None:
    found = Findings(catalogs)
    for where, call, argument in _row_errors_made():
        found.made += 1
        if isinstance(argument, ast.Name):  # a message chosen from a table, or a parameter
            continue
        if isinstance(argument, ast.IfExp) and getattr(argument.orelse, "value", None) == "":
            argument = argument.body  # a hint or nothing
        if any(k.arg is None for k in call.keywords):  # **params: named elsewhere
            if _messages(argument) is None:
                found.unmarked.append(f"{where}:{call.lineno}")
            continue
        given = {k.arg for k in call.keywords if k.arg}
        found.check(f"{where}:{call.lineno}", _messages(argument), given)
    assert found.made > 60
    found.assert_none("a row's error made without an N_() message")


def test_a_rows_error_is_english_until_shown_then_in_the_readers_language() -> None:
    """``message`` and ``as_dict()`` are English; ``say``/``as_dict(gettext)`` translate each
    part (a wrapped domain error keeps its message and variables, a hint is said too)."""
    unknown = RowError(3, "colour", errors.N_("unknown column %(name)r"), name="colour")
    assert unknown.message == "unknown column 'colour'" == unknown.as_dict()["message"]
    wrapped = RowError.of(
        4, "currency", errors.ValidationError(errors.N_("there is no project %(id)s"), id=7)
    ).adding(errors.N_("; missing: %(missing)s"), missing="currency")
    assert wrapped.message == "there is no project 7; missing: currency"
    with i18n.use("ru"):
        assert unknown.as_dict(i18n.gettext) == {
            "line": 3,
            "column": "colour",
            "message": "неизвестный столбец 'colour'",
        }
        assert wrapped.say(i18n.gettext) == "нет проекта 7; нет: currency"
    with i18n.use("kk"):
        assert unknown.say(i18n.gettext) == "белгісіз баған 'colour'"
    assert unknown.say(i18n.gettext) == unknown.message
