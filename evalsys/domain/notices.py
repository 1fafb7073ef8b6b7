"""A notification's text as a message template (a catalogue msgid) and its values, so that each reader gets it
in their own language; the Chinese text is kept beside them for the email and for old readers.

A value is either data, inserted as written (a title, a name, a reason, a Beijing time), a label the
catalogue translates (`label(...)`: a state, "商务部"), or a calendar day written the reader's way (`day(...)`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

Params = Mapping[str, Any]


def label(text: str) -> dict[str, str]:
    """A value the catalogue translates when the notification is shown."""
    return {"label": text}


def day(value: date) -> dict[str, str]:
    """A calendar day: 2026年12月07日 in Chinese, 2026-12-07 in English."""
    return {"date": value.isoformat()}


def _value(value: Any, translate: Callable[[str], str], lang: str) -> str:
    if isinstance(value, Mapping):
        if "label" in value:
            return translate(str(value["label"]))
        if "date" in value:
            d = date.fromisoformat(str(value["date"]))
            return f"{d:%Y年%m月%d日}" if lang == "zh" else d.isoformat()
    return str(value)


def render(template: str, params: Params | None, *, translate: Callable[[str], str] = str,
           lang: str = "zh") -> str:
    """The text of a notification: the (translated) template filled with its values in the same language."""
    values = {key: _value(v, translate, lang) for key, v in (params or {}).items()}
    return translate(template) % values
