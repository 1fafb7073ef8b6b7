"""Language choice: Simplified Chinese by default, English on request (cookie `lang`)."""
from __future__ import annotations

from flask import current_app, request


def select_locale() -> str:
    """The language of this request: the `lang` cookie when it names a supported one, else Chinese."""
    chosen = request.cookies.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """Language code of the current request, for templates."""
    return select_locale()
