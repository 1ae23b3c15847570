"""``--help`` in the reader's language.

Click takes a command's and an option's help when the command is made, at import, and even
rewrites an option's (``inspect.cleandoc``) then, so a lazy string would be read in English
there. Help texts are therefore marked with ``N_()`` where they are written and translated
when the command line runs: :class:`LocalisedGroup` resolves the language from the arguments
(``--lang``) or the environment before click parses anything (``--help`` is eager and would
otherwise print before ``--lang`` is read), then puts every help text of its commands in that
language, from the English kept aside the first time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

import click

from tracker import i18n
from tracker.i18n import N_, gettext

#: Click's own words in a help page, in our catalogs (click translates them with the
#: process-wide gettext domain, which is not ours).
CLICK_WORDS = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Positional arguments"),
    N_("Show this message and exit."),
)
_ENGLISH: WeakKeyDictionary[click.Command | click.Option, str | None] = WeakKeyDictionary()


class LocalisedFormatter(click.HelpFormatter):
    """Click's formatter, with its headings in the language in use."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, f"{gettext('Usage:')} " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(gettext(heading))


class LocalisedContext(click.Context):
    formatter_class = LocalisedFormatter


def localise(command: click.Command) -> None:
    """Every help text of ``command`` and the commands under it, in the language in use."""
    command.context_class = LocalisedContext
    options = [param for param in command.params if isinstance(param, click.Option)]
    help_option = command.get_help_option(click.Context(command))  # made once, then kept
    if help_option is not None:
        options.append(help_option)
    items: list[click.Command | click.Option] = [command, *options]
    for item in items:
        english = _ENGLISH.setdefault(item, item.help)
        if english is not None:
            item.help = gettext(english)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localise(sub)


def asked_language(args: Sequence[str], commands: Sequence[str]) -> str | None:
    """The value of ``--lang`` among the group's own arguments (before its command)."""
    for index, arg in enumerate(args):
        if arg in commands or arg == "--":
            return None
        if arg.startswith("--lang="):
            return arg.removeprefix("--lang=")
        if arg == "--lang" and index + 1 < len(args):
            return args[index + 1]
    return None


class LocalisedGroup(click.Group):
    """The ``tracker`` group: speaks ``--lang`` or the environment's language, help included."""

    context_class = LocalisedContext

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        asked = i18n.supported(asked_language(args, list(self.commands)))
        i18n.set_language(asked or i18n.from_environment())
        localise(self)
        return super().make_context(info_name, args, parent, **extra)
