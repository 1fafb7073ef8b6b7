"""The marker of labels the translation catalogue holds: the domain stays free of the web framework, so
the label stays Chinese here and the page translates it when it shows it (`_()` in templates)."""
from __future__ import annotations


def N_(message: str) -> str:
    """Marks a label for the translation catalogue and returns it unchanged."""
    return message
