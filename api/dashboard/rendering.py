"""Pages as HTML: the Jinja2 templates with their filters, the static files' URLs, and the
headers every page carries (nothing is loaded from another origin).

Templates speak the reader's language through Jinja's i18n extension (``{% trans %}``,
``_()``), bound to :mod:`tracker.i18n`: one environment, the language of the request in use."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import MediaType, Response

from api.dashboard import format as f
from api.shortcut import Answer
from tracker import i18n
from tracker.domain.document import Document
from tracker.domain.indicator import Indicator
from tracker.domain.portfolio import Portfolio
from tracker.domain.project import Project
from tracker.i18n import N_

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_PATH = "/static/dashboard"

#: Nothing but this origin: no CDN, no font service, no analytics, no inline script.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
#: A page is said in the reader's language, chosen by ``?lang=``, the ``lang`` cookie or
#: ``Accept-Language`` (api/language.py): the same URL answers differently to each.
PAGE_HEADERS = {**SECURITY_HEADERS, "Vary": "Accept-Language, Cookie"}


@cache
def static_url(name: str) -> str:
    """The file's URL with a digest of its content, so a new release is never served stale."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"{STATIC_PATH}/{name}?v={digest}"


@cache
def chart_css() -> str:
    """The stylesheet's rules that colour the charts, with the palette they use: what a chart
    needs to look the same saved on its own. Rules inside ``@media`` blocks are left out."""
    css = (STATIC / "dashboard.css").read_text()
    flat, depth, start = [], 0, 0
    for index, char in enumerate(css):  # keep only the top level, outside @media blocks
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                flat.append(css[start : index + 1])
                start = index + 1
    wanted = (":root", ".chart", ".bar-", ".fill-", ".line-", "svg.bar")
    rules = []
    for rule in flat:
        selector = rule.split("{", 1)[0].split("*/")[-1].strip()
        if selector.startswith(wanted) or (
            selector.startswith(".status-") and "pill" not in selector
        ):
            rules.append(f"{selector} {{{rule.split('{', 1)[1]}")
    return "\n".join(rules)


def _event_kinds() -> list[str]:
    """Every event type the stream can name (``event: <type>``), taken from the domain."""
    kinds: set[str] = set()
    stack: list[type] = [Project.Event, Portfolio.Event, Document.Event, Indicator.Event]
    while stack:
        cls = stack.pop()
        if kind := getattr(cls, "KIND", ""):
            kinds.add(kind)
        stack.extend(cls.__subclasses__())
    return sorted(kinds)


#: What the page's script says (dashboard.js), handed to it in the page's language.
SCRIPT_MESSAGES = {
    "live": N_("Live"),
    "past": N_("Past record"),
    "reconnecting": N_("Reconnecting…"),
    "updated": N_("Updated at %(time)s."),
    "updated_because": N_("Updated at %(time)s (%(reason)s)."),
    "committed": N_("new commitment"),
    "disbursed": N_("new disbursement"),
    "jobs_created": N_("jobs recorded"),
    "corrected": N_("a correction"),
    "retracted": N_("a retraction"),
    "announced": N_("new project"),
    "status_changed": N_("status change"),
    "targets_restated": N_("targets restated"),
}


@cache
def _script_messages(lang: str) -> dict[str, str]:
    with i18n.use(lang):
        return {key: i18n.gettext(message) for key, message in SCRIPT_MESSAGES.items()}


def script_messages() -> dict[str, str]:
    """:data:`SCRIPT_MESSAGES` in the language in use (``%(name)s`` left for the script)."""
    return _script_messages(i18n.language())


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # A message's whitespace is the source's layout, not part of the message (docs/languages.md).
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.translations(i18n.language()).gettext(message),
        ngettext=lambda s, p, n: i18n.translations(i18n.language()).ngettext(s, p, n),
        pgettext=lambda c, message: i18n.translations(i18n.language()).pgettext(c, message),
        newstyle=True,
    )
    env.filters.update(
        short_amount=f.short_amount,
        short_money=f.short_money,
        full_money=f.full_money,
        number=f.number,
        percent=f.percent,
        day=f.day,
        month=f.month,
        period=f.period,
        moment=f.moment,
        status=f.status,
        sector=f.sector,
        region=f.region,
        country=f.country,
        event_label=f.event_label,
        flag=f.flag,
    )
    env.globals.update(
        static_url=static_url,
        event_kinds=" ".join(_event_kinds()),
        language=i18n.language,
        script_messages=script_messages,
        languages=tuple(i18n.NAMES.items()),
    )
    return env


ENV = _environment()


def render_html(template: str, context: dict[str, Any]) -> str:
    return ENV.get_template(template).render(**context)


def html_response(html: str | bytes, status_code: int = 200) -> Response[Any]:
    return Response(
        content=html, media_type=MediaType.HTML, status_code=status_code, headers=PAGE_HEADERS
    )


def page_answer(page: bytes, status_code: int = 200) -> Answer:
    """A page kept in memory (a portfolio's), as it is sent again and again: gzip-compressed
    to the clients that take it, compressed once (api/shortcut.py)."""
    return Answer(page, b"text/html; charset=utf-8", status_code, PAGE_HEADERS, compressible=True)


def answer_response(answer: Answer) -> Response[bytes]:
    """What the handler sends for a :func:`page_answer`: the same status, headers and bytes
    as the answer given again before the handler."""
    return Response(
        content=answer.body,
        media_type=MediaType.HTML,
        status_code=answer.status,
        headers=answer.named,
    )


def render(template: str, context: dict[str, Any], status_code: int = 200) -> Response[Any]:
    return html_response(render_html(template, context), status_code)
