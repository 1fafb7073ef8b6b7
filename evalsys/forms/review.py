"""Forms of expert review: the pool, activation, conflicts, assignment, the score sheet built from the
indicator system, divergence comments, reasons for removals and reopenings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField, SubmitField, \
    TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from ..domain import passwords as policy
from ..domain.marking import N_
from .auth import USERNAME_RULE
from ..i18n import in_language
from .base import BaseForm


class ProfileForm(BaseForm):
    """An expert profile (the admin)."""

    name = StringField(_("姓名"), validators=[DataRequired(N_("请填写姓名")), Length(max=60)], render_kw={"maxlength": 60})
    home_authority_code = SelectField(_("所属地区（推荐单位）"), choices=[], validators=[DataRequired(N_("请选择所属地区"))])
    field_tags = StringField(_("专业领域（以逗号分隔）"), validators=[Optional(), Length(max=300)],
                             render_kw={"maxlength": 300})
    organisation_name = StringField(_("工作单位"), validators=[Optional(), Length(max=100)], render_kw={"maxlength": 100})
    organisation_uscc = StringField(_("工作单位统一社会信用代码（如有）"), validators=[Optional(), Length(max=18)],
                                    render_kw={"maxlength": 18})
    submit = SubmitField(_("保存"))


class ActivateForm(BaseForm):
    """The reviewer account the security admin creates for a profile."""

    username = StringField(_("用户名"), validators=[DataRequired(N_("请填写用户名")), USERNAME_RULE],
                           render_kw={"maxlength": 40})
    email = EmailField(_("电子邮箱"), validators=[Optional(), Email(N_("请填写有效的电子邮箱"), check_deliverability=False),
                       Length(max=254)], render_kw={"maxlength": 254})
    password = PasswordField(_("初始密码"), validators=[DataRequired(N_("请设置初始密码"))],
                             render_kw={"maxlength": policy.MAX_LENGTH, "autocomplete": "new-password"})
    submit = SubmitField(_("启用专家账户"))


class ConflictForm(BaseForm):
    """A declared conflict with an organisation, by USCC (the reviewer, at any time)."""

    uscc = StringField(_("单位统一社会信用代码"), validators=[DataRequired(N_("请填写统一社会信用代码")), Length(max=18)],
                       render_kw={"maxlength": 18})
    reason = TextAreaField(_("回避理由"), validators=[DataRequired(N_("请说明回避理由")), Length(max=2000)],
                           render_kw={"maxlength": 2000, "rows": 2})
    submit = SubmitField(_("声明回避"))


class DeclineForm(BaseForm):
    """Declining an assignment = declaring a conflict with its applicant."""

    reason = TextAreaField(_("回避理由"), validators=[DataRequired(N_("请说明回避理由")), Length(max=2000)],
                           render_kw={"maxlength": 2000, "rows": 2})
    submit = SubmitField(_("声明回避并退回"))


class EmptyForm(BaseForm):
    """A button with CSRF protection only."""


class ReasonForm(BaseForm):
    """An action that needs a written reason (remove, reopen)."""

    reason = TextAreaField(_("理由"), validators=[DataRequired(N_("请填写理由")), Length(max=2000)],
                           render_kw={"maxlength": 2000, "rows": 2})


class AssignForm(BaseForm):
    """Automatic assignment: the seed makes the plan reproducible."""

    seed = IntegerField(_("随机种子"), default=2015, validators=[DataRequired(N_("请填写随机种子")),
                                                            NumberRange(0, 2**31 - 1, N_("种子应为非负整数"))])
    submit = SubmitField(_("自动分配"))


class AddAssignmentForm(BaseForm):
    """One more reviewer for an application, by hand or accepting a proposal."""

    reviewer_id = SelectField(_("评审专家"), choices=[], validators=[DataRequired(N_("请选择专家"))])
    reason = TextAreaField(_("理由"), validators=[DataRequired(N_("请填写理由")), Length(max=2000)],
                           render_kw={"maxlength": 2000, "rows": 2})
    source = HiddenField(default="manual")


class DivergenceForm(BaseForm):
    """The written comment a flagged sheet reopens for (scores stay locked)."""

    version = HiddenField()
    comment = TextAreaField(_("偏离说明"), validators=[DataRequired(N_("请填写偏离说明")), Length(max=5000)],
                            render_kw={"maxlength": 5000, "rows": 3})


class SheetFormBase(BaseForm):
    """Fields every score sheet has; `sheet_form` adds one score and one comment per E indicator."""

    version = HiddenField()
    comment = TextAreaField(_("总体评价"), validators=[Optional(), Length(max=5000)],
                            render_kw={"maxlength": 5000, "rows": 3})
    save = SubmitField(_("保存草稿"))
    submit = SubmitField(_("提交评分（提交后不可修改）"))


def sheet_form(indicators, **kwargs) -> SheetFormBase:
    """The score sheet of a system's E indicators: `score_<id>` (text, checked by the service) and `note_<id>`."""
    attrs = {}
    for ind in indicators:
        points = f"{ind.max:g}"
        attrs[f"score_{ind.id}"] = StringField(_("%(title)s（满分%(points)s分）", title=in_language(ind), points=points),
                                               validators=[Optional()],
                                               render_kw={"maxlength": 10, "inputmode": "decimal"})
        attrs[f"note_{ind.id}"] = TextAreaField(_("评语"), validators=[Optional(), Length(max=2000)],
                                                render_kw={"maxlength": 2000, "rows": 1})
    form_class = type("SheetForm", (SheetFormBase,), attrs)
    return form_class(**kwargs)

