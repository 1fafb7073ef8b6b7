"""Forms of password reset: the request (username and email), the new password, the admin's reset."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..domain import passwords as policy
from ..domain.marking import N_
from .base import BaseForm


class ResetRequestForm(BaseForm):
    """Forgotten password: both the username and the registered email must match for a link to go out."""

    username = StringField(_("用户名"), validators=[DataRequired(N_("请输入用户名")), Length(max=40)],
                           render_kw={"maxlength": 40, "autocomplete": "username"})
    email = EmailField(_("登记的电子邮箱"), validators=[DataRequired(N_("请输入电子邮箱")), Length(max=254)],
                       render_kw={"maxlength": 254, "autocomplete": "email"})
    submit = SubmitField(_("发送重置链接"))


class ResetPasswordForm(BaseForm):
    """The new password, set through a reset link (the policy is checked by the service)."""

    password = PasswordField(_("新密码"), validators=[DataRequired(N_("请输入新密码"))],
                             render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "new-password"})
    password2 = PasswordField(_("确认新密码"), validators=[DataRequired(N_("请再次输入新密码")),
                              EqualTo("password", N_("两次输入的密码不一致"))],
                              render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "new-password"})
    submit = SubmitField(_("设置新密码"))


class AdminResetForm(BaseForm):
    """The security admin's or authority's reset (only the CSRF token; the method is in the URL)."""
