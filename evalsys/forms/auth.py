"""Forms of the /auth area: login, applicant registration, password change."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from ..domain import passwords as policy
from ..domain import uscc as uscc_rules
from ..domain.marking import N_
from .base import BaseForm
from ..domain.errors import text_of

USERNAME_RULE = Regexp(r"^[A-Za-z][A-Za-z0-9_.-]{2,39}$", message=N_("用户名为3至40位字母、数字、下划线、点或连字符，以字母开头"))


class LoginForm(BaseForm):
    """The login form: fields `username` and `password` (a contract of issue 2)."""

    username = StringField(_("用户名"), validators=[DataRequired(N_("请输入用户名"))], render_kw={"maxlength": 40,
                           "autocomplete": "username"})
    password = PasswordField(_("密码"), validators=[DataRequired(N_("请输入密码"))],
                             render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "current-password"})
    submit = SubmitField(_("登录"))


def _password_policy(form, field) -> None:
    username = form.username.data if hasattr(form, "username") else ""
    problems = policy.problems(field.data or "", username=username or "")
    if problems:
        raise ValidationError("；".join(problems))


class RegisterForm(BaseForm):
    """Self-registration of an applicant organisation's account."""

    org_name = StringField(_("单位名称"), validators=[DataRequired(N_("请填写单位名称")), Length(max=100)],
                           render_kw={"maxlength": 100})
    uscc = StringField(_("统一社会信用代码"), validators=[DataRequired(N_("请填写统一社会信用代码"))],
                       render_kw={"maxlength": 18})
    authority_code = SelectField(_("所属地方商务主管部门"), validators=[Optional()], choices=[])
    authority_reason = TextAreaField(_("选择其他主管部门的理由"), validators=[Optional(), Length(max=500)],
                                     render_kw={"maxlength": 500})
    contact_name = StringField(_("联系人"), validators=[DataRequired(N_("请填写联系人")), Length(max=60)],
                               render_kw={"maxlength": 60})
    phone = StringField(_("联系电话"), validators=[DataRequired(N_("请填写联系电话")),
                        Regexp(r"^[0-9+\-() ]{7,20}$", message=N_("请填写有效的电话号码"))], render_kw={"maxlength": 20})
    email = EmailField(_("电子邮箱"), validators=[DataRequired(N_("请填写电子邮箱")),
                       Email(N_("请填写有效的电子邮箱"), check_deliverability=False), Length(max=254)],
                       render_kw={"maxlength": 254})
    username = StringField(_("用户名"), validators=[DataRequired(N_("请填写用户名")), USERNAME_RULE],
                           render_kw={"maxlength": 40, "autocomplete": "username"})
    password = PasswordField(_("密码"), validators=[DataRequired(N_("请填写密码")), _password_policy],
                             render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "new-password"})
    password2 = PasswordField(_("确认密码"), validators=[DataRequired(N_("请再次输入密码")),
                              EqualTo("password", N_("两次输入的密码不一致"))],
                              render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "new-password"})
    submit = SubmitField(_("注册"))

    def validate_uscc(self, field) -> None:
        try:
            field.data = uscc_rules.validate(field.data or "")
        except uscc_rules.USCCError as e:
            raise ValidationError(text_of(e)) from None


class PasswordChangeForm(BaseForm):
    """Change one's own password; every session of the account ends afterwards."""

    old_password = PasswordField(_("原密码"), validators=[DataRequired(N_("请输入原密码"))],
                                 render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "current-password"})
    password = PasswordField(_("新密码"), validators=[DataRequired(N_("请输入新密码"))],
                             render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "new-password"})
    password2 = PasswordField(_("确认新密码"), validators=[DataRequired(N_("请再次输入新密码")),
                              EqualTo("password", N_("两次输入的密码不一致"))],
                              render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "new-password"})
    submit = SubmitField(_("修改密码"))
