"""Language choice: Simplified Chinese by default, English on request (cookie `lang`)."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request


def select_locale() -> str:
    """The language of this request: the `lang` cookie when it names a supported one, else Chinese."""
    chosen = request.cookies.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """Language code of the current request, for templates."""
    return select_locale()


def install_template_gettext(app: Flask) -> None:
    """`_()` and `gettext()` in templates, as Jinja's i18n extension defines them (translate, mark safe
    when autoescaping, then format with the keyword arguments), but a message without arguments is
    translated once per language and process: a page shows dozens of labels, and each lookup through
    Flask-Babel (context, locale, catalogue) cost more than the rest of the line that shows it."""
    from flask_babel import get_locale, get_translations
    from jinja2 import pass_context
    from markupsafe import Markup

    translated: dict[tuple[Any, bool, str], str] = {}

    @pass_context
    def gettext(__context: Any, __string: str, **variables: Any) -> str:
        key = (get_locale(), __context.eval_ctx.autoescape, __string)
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
