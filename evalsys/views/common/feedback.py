"""Messages for the next page: each problem of a refused small form is flashed as its own line."""
from __future__ import annotations

from flask import flash

from ...i18n import translated


def form_problems(form) -> list[str]:
    """The distinct error messages of a form, in field order."""
    return list(dict.fromkeys(m for errors in form.errors.values() for m in errors if isinstance(m, str)))


def flash_form_errors(form, default: str | None = None) -> None:
    """Flash each of a refused form's errors (or `default` when it names none) for the page it returns to; the
    forms' messages are catalogue entries (N_), shown in the reader's language."""
    for line in form_problems(form) or ([default] if default else []):
        flash(translated(line), "danger")
