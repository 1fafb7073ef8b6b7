"""Forms of two-factor login: the code step at login, enrolment confirmation, new recovery codes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..domain.marking import N_
from .base import BaseForm


class LoginCodeForm(BaseForm):
    """The second login step: a 6-digit code from the authenticator app, or a recovery code."""

    code = StringField(_("验证码或恢复码"), validators=[DataRequired(N_("请输入验证码")), Length(max=32, message=N_("验证码过长"))],
                       render_kw={"maxlength": 32, "autocomplete": "one-time-code", "inputmode": "text",
                                  "autofocus": True})
    submit = SubmitField(_("验证"))


class TotpCodeForm(BaseForm):
    """A current 6-digit code (confirming enrolment, renewing recovery codes)."""

    code = StringField(_("验证器显示的6位数字"), validators=[DataRequired(N_("请输入验证码")),
                       Length(max=16, message=N_("验证码过长"))],
                       render_kw={"maxlength": 16, "autocomplete": "one-time-code", "inputmode": "numeric"})
    submit = SubmitField(_("确认"))
