"""Language choice: Simplified Chinese by default, English on request (cookie `lang`)."""
from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask, current_app, request
from flask.globals import _cv_app
from flask_babel import Domain, get_locale

from .domain.errors import DomainError, Message, localize


def select_locale() -> str:
    """The language of this request: the `lang` cookie when it names a supported one; for the API, which
    has no cookie, the best of the supported languages its Accept-Language header names; else Chinese."""
    chosen = request.cookies.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path == "/api" or request.path.startswith("/api/"):
        return request.accept_languages.best_match(list(current_app.config["LANGUAGES"]), default=default)
    return default


def current_language() -> str:
    """Language code of the current request, for templates."""
    return select_locale()


def in_language(item) -> str:
    """The title (or label) of an indicator system's item in the page's language: a system, group,
    indicator, field, category or outline section carries its English title beside the Chinese one
    (criteria/en/, criteria/outlines/); without one the Chinese title is shown."""
    for attr in ("title", "label"):
        if hasattr(item, attr):
            text = getattr(item, attr)
            if current_language() == "en":
                return getattr(item, f"{attr}_en", "") or text
            return text
    return str(item)


def guidance_in_language(indicator: Any) -> Any:
    """An expert indicator's scoring guidance (full, partial, low) in the page's language: the English guidance
    of criteria/en/ in English mode, else the criteria file's own."""
    if current_language() == "en" and getattr(indicator, "guidance_en", None) is not None:
        return indicator.guidance_en
    return indicator.guidance


def translated(text: str) -> str:
    """A message the page did not write itself (a form's validation message, a state label) in the page's
    language when the catalogue has it, else as it is; a plain text is never formatted, so a "%" in it stays,
    and a refusal's `Message` is filled with its values (translated where they are labels)."""
    return localize(text, gettext)


def refusal_lines(e: DomainError) -> list[str]:
    """A refusal's message and each of its problems, in the page's language."""
    return e.translated(gettext)


def refusal_text(e: DomainError) -> str:
    """A refusal as one line in the request's language (an API problem's detail)."""
    lines = refusal_lines(e)
    if len(lines) > 1 and current_language() == "en":
        head = lines[0].rstrip(":")
        return f"{head}: {'; '.join(lines[1:])}"
    return str(e) if current_language() != "en" else (lines[0] if lines else "")


def in_english(text: str) -> str:
    """A catalogue entry in English whatever the page's language (an import reads an English template back
    from a reader in Chinese mode as well)."""
    from flask_babel import force_locale

    with force_locale("en"):
        return gettext(text)


def notice_text(note: Any) -> str:
    """A notification in the reader's language: its template translated and filled with its values (labels
    among them translated too); a row written before templates shows its stored Chinese text."""
    if not note.template:
        return note.message
    from .domain.notices import render

    return render(note.template, note.values, translate=gettext, lang=current_language())


def grade_name(label: str) -> str:
    """A performance grade as the criteria file writes it (优/良/中/差, stored with each evaluation), in the
    page's language; "grade" is the catalogue context, as 优 and 中 also name marks on a score sheet."""
    names = {"优": pgettext("grade", "优"), "良": pgettext("grade", "良"), "中": pgettext("grade", "中"),
             "差": pgettext("grade", "差")}
    return names.get(label, label)


def _babel_state() -> Any:
    """Flask-Babel's per-context namespace (chosen locale, domain) without going through the `g` proxy three
    times, as `flask_babel` does for every message; None outside an application context or before first use."""
    ctx = _cv_app.get(None)
    return None if ctx is None else ctx.g.__dict__.get("_flask_babel")


def _language_now() -> str | None:
    """The language of the request's locale as Flask-Babel keeps it once chosen (`force_locale` included): one
    attribute lookup, where `get_locale()` costs a dozen calls and a `Locale` compares through its text; labels
    ask for it one by one. None outside a request."""
    locale = getattr(_babel_state(), "babel_locale", None)
    if locale is None:
        locale = get_locale()
    return locale.language if locale is not None else None


def _remembering() -> RememberingDomain | None:
    """The request's remembering domain once Flask-Babel has chosen its locale and domain, else None."""
    state = _babel_state()
    domain = getattr(state, "babel_domain", None)
    if isinstance(domain, RememberingDomain) and getattr(state, "babel_locale", None) is not None:
        return domain
    return None


def gettext(string: str, **variables: Any) -> str:
    """`flask_babel.gettext`, but once the request's locale and domain are chosen, straight to the remembering
    domain (views and forms translate dozens of labels per request); otherwise exactly Flask-Babel's path."""
    domain = _remembering()
    return (domain or flask_babel).gettext(string, **variables)


def pgettext(context: str, string: str, **variables: Any) -> str:
    """`flask_babel.pgettext` on the same short path as `gettext`."""
    domain = _remembering()
    return (domain or flask_babel).pgettext(context, string, **variables)


def install_template_gettext(app: Flask) -> None:
    """`_()` and `gettext()` in templates, as Jinja's i18n extension defines them (translate, mark safe
    when autoescaping, then format with the keyword arguments), but a message without arguments is
    translated once per language and process: a page shows dozens of labels, and each lookup through
    Flask-Babel (context, locale, catalogue) cost more than the rest of the line that shows it."""
    from flask_babel import get_translations
    from jinja2 import pass_context
    from markupsafe import Markup

    translated: dict[tuple[Any, bool, str], str] = {}

    @pass_context
    def gettext(__context: Any, __string: str, **variables: Any) -> str:
        if isinstance(__string, Message) and not variables:  # a refusal shown as it came (`_(e)`)
            text = localize(__string, get_translations().ugettext)
            return Markup.escape(text) if __context.eval_ctx.autoescape else text
        # The locale is asked for on every call: the evaluation context of a macro imported from another
        # template ("_list.html") is the one of the import, which Jinja keeps for the next pages in any language.
        key = (_language_now(), __context.eval_ctx.autoescape, __string)
        if not variables:
            found = translated.get(key)
            if found is not None:
                return found
        rv = get_translations().ugettext(__string)
        if key[1]:
            rv = Markup(rv)
        rv = rv % variables  # Jinja's newstyle gettext always formats, so "%%" reads "%" either way
        if not variables:
            translated[key] = rv
        return rv

    app.jinja_env.globals.update(gettext=gettext, _=gettext)


class RememberingDomain(Domain):
    """Flask-Babel's message domain, but each message is looked up once per language and process (as the
    templates' `_()` does): views and forms translate dozens of labels per request, and each lookup through
    the context, the locale and the catalogue costs more than the rest of the line that shows it."""

    LIMIT = 20_000  # messages are the catalogue's plus names from the data; a bound all the same

    def __init__(self) -> None:
        super().__init__()
        self._known: dict[tuple, str] = {}

    def _remember(self, key: tuple, found: str) -> str:
        if len(self._known) >= self.LIMIT:
            self._known.clear()
        self._known[key] = found
        return found

    def gettext(self, string, **variables):
        key = (_language_now(), string)
        found = self._known.get(key)
        if found is None:
            found = self._remember(key, super().gettext(string))
        return found % variables if variables else found

    def pgettext(self, context, string, **variables):
        key = (_language_now(), context, string)
        found = self._known.get(key)
        if found is None:
            found = self._remember(key, super().pgettext(context, string))
        return found % variables if variables else found


def install_remembering_domain(babel: Any) -> None:
    """Use `RememberingDomain` for `gettext`, `pgettext` and the lazy strings of the whole application."""
    babel.domain_instance = RememberingDomain()
