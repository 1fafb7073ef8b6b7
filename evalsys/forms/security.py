"""Forms of the /security area: accounts made by the security admin, roles, state."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..domain import passwords as policy
from ..domain.marking import N_
from ..models import ROLE_LABELS, Role
from .auth import USERNAME_RULE
from .base import BaseForm, options

STAFF_ROLES = [r for r in Role if r != Role.APPLICANT]


class UserCreateForm(BaseForm):
    """A staff account: authority, reviewer, admin, security admin or auditor."""

    username = StringField(_("用户名"), validators=[DataRequired(N_("请填写用户名")), USERNAME_RULE],
                           render_kw={"maxlength": 40})
    display_name = StringField(_("姓名"), validators=[DataRequired(N_("请填写姓名")), Length(max=60)],
                               render_kw={"maxlength": 60})
    role = SelectField(_("角色"), choices=options((r.value, _(ROLE_LABELS[r])) for r in STAFF_ROLES),
                       validators=[DataRequired(N_("请选择角色"))])
    authority_code = SelectField(_("推荐单位（主管部门账户必填）"), choices=[], validators=[Optional()])
    email = EmailField(_("电子邮箱"), validators=[Optional(), Email(N_("请填写有效的电子邮箱"), check_deliverability=False),
                       Length(max=254)], render_kw={"maxlength": 254})
    password = PasswordField(_("初始密码"), validators=[DataRequired(N_("请设置初始密码"))],
                             render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "new-password"})
    submit = SubmitField(_("创建账户"))


class RoleForm(BaseForm):
    """Replace an account's role (exactly one role per account)."""

    role = SelectField(_("新角色"), choices=options((r.value, _(ROLE_LABELS[r])) for r in Role),
                       validators=[DataRequired(N_("请选择角色"))])
    authority_code = SelectField(_("推荐单位"), choices=[], validators=[Optional()])
    submit = SubmitField(_("变更角色"))


class ConfirmForm(BaseForm):
    """A bare confirmation (CSRF token only) for state-changing buttons."""

    submit = SubmitField(_("确认"))
