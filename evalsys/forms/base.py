"""The base form: refuses NUL and control characters and over-long text in every text field."""
from __future__ import annotations

import re

from flask import g, has_request_context
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice, StringField, TextAreaField

# Control characters other than TAB, LF and CR (allowed in multi-line text only).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f]")
DEFAULT_MAX_TEXT = 200
DEFAULT_MAX_TEXTAREA = 20_000
MAX_INTEGER = 10**15


def _restored_formdata() -> MultiDict | None:
    """Input kept when this user's session expired mid-form, for this page (hooks.restore_stashed_form);
    the first form built on the page takes it."""
    if not has_request_context():
        return None
    return g.pop("restored_formdata", None)


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.3 deprecates bare tuples)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def name_options(pairs) -> list[SelectChoice]:
    """Select options whose labels are names, not interface text (organisations, authorities, people,
    bases): marked `translate="no"`, they stay as written in every language."""
    return [SelectChoice(str(value), label, render_kw={"translate": "no"}) for value, label in pairs]


class BaseForm(FlaskForm):
    """Every form of the app derives from this one."""

    def __init__(self, *args, **kwargs):
        if "formdata" not in kwargs and not args:
            restored = _restored_formdata()
            if restored is not None:
                kwargs["formdata"] = restored
                self.restored = True
        super().__init__(*args, **kwargs)

    def validate(self, extra_validators=None) -> bool:
        for field in self:
            # WTForms' NumberRange turns a huge integer into a float and raises OverflowError (a 500):
            # a number with more digits than any field of the app needs is a form error instead.
            if isinstance(field.data, int) and not isinstance(field.data, bool) and abs(field.data) > MAX_INTEGER:
                field.data = None
                field.process_errors = [*field.process_errors, "数字过大"]
        ok = super().validate(extra_validators)
        for field in self:
            if not isinstance(field, StringField | TextAreaField) or not isinstance(field.data, str):
                continue
            multi = isinstance(field, TextAreaField)
            pattern = _CONTROL if multi else _CONTROL_SINGLE_LINE
            if pattern.search(field.data):
                field.errors = list(field.errors) + ["含有不允许的控制字符"]
                ok = False
            limit = (field.render_kw or {}).get("maxlength") or (DEFAULT_MAX_TEXTAREA if multi else DEFAULT_MAX_TEXT)
            if len(field.data) > int(limit):
                field.errors = list(field.errors) + [f"不能超过{limit}个字符"]
                ok = False
        return ok
