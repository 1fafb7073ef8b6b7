"""Messages for the next page: each problem of a refused small form is flashed as its own line."""
from __future__ import annotations

from flask import flash


def form_problems(form) -> list[str]:
    """The distinct error messages of a form, in field order."""
    return list(dict.fromkeys(m for errors in form.errors.values() for m in errors if isinstance(m, str)))


def flash_form_errors(form, default: str | None = None) -> None:
    """Flash each of a refused form's errors (or `default` when it names none) for the page it returns to."""
    for line in form_problems(form) or ([default] if default else []):
        flash(line, "danger")
