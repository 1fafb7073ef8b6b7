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
