"""Language choice: Simplified Chinese by default, English on request (cookie `lang`)."""
from __future__ import annotations

from flask import current_app, request
from flask_babel import pgettext


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


def grade_name(label: str) -> str:
    """A performance grade as the criteria file writes it (优/良/中/差, stored with each evaluation), in the
    page's language; "grade" is the catalogue context, as 优 and 中 also name marks on a score sheet."""
    names = {"优": pgettext("grade", "优"), "良": pgettext("grade", "良"), "中": pgettext("grade", "中"),
             "差": pgettext("grade", "差")}
    return names.get(label, label)
