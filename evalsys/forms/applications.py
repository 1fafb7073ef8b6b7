"""Application forms built from the call's indicator system: a criteria file change needs no code change."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _
from wtforms import FileField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from ..domain import figures as fig
from ..domain import uscc as uscc_rules
from ..domain.criteria import CriteriaSystem, Field
from ..domain.marking import N_
from ..domain.outlines import Section
from ..models import AttachmentKind
from ..i18n import in_language
from .base import BaseForm, options
from ..domain.errors import text_of

FIGURE_PREFIX = "fig_"
SECTION_PREFIX = "sec_"
# The version the form was loaded with; the view turns it into an int (a crafted value is a form error).
VERSION_FORMAT = Regexp(r"^[0-9]{1,9}$", message=N_("表单版本无效，请刷新后重试"))


class _FigureValidator:
    """Parses the text into storage units with the domain rules; the parsed value is kept on the field."""

    def __init__(self, criteria_field: Field):
        self.criteria_field = criteria_field

    def __call__(self, form, field) -> None:
        try:
            field.parsed = fig.parse_input(self.criteria_field, field.data)
        except fig.FigureError as e:
            field.parsed = None
            raise ValidationError(text_of(e)) from None


def _figure_field(f: Field):
    hint = {"money": "单位：元，最多两位小数", "ratio": "单位：%，最多两位小数"}.get(f.kind, f.unit and f"单位：{f.unit}")
    if f.kind == "boolean":
        return SelectField(in_language(f), choices=options([("", _("请选择")), ("yes", _("是")), ("no", _("否"))]),
                           validators=[Optional(), _FigureValidator(f)], description=hint or "")
    kw: dict[str, Any] = {"maxlength": 30}
    if f.kind == "date":
        kw["type"] = "date"
    else:
        kw["inputmode"] = "decimal"
    return StringField(in_language(f), validators=[Optional(), _FigureValidator(f)], render_kw=kw, description=hint or "")


def _optional_uscc(form, field) -> None:
    if field.data:
        try:
            field.data = uscc_rules.validate(field.data)
        except uscc_rules.USCCError as e:
            raise ValidationError(text_of(e)) from None


def build_application_form(system: CriteriaSystem, outline: tuple[Section, ...],
                           categories: list[tuple[str, str]]) -> type[BaseForm]:
    """A form class with the organisation/contact block, one input per asked field, the narrative."""

    class ApplicationForm(BaseForm):
        version = HiddenField(validators=[VERSION_FORMAT])
        legal_representative = StringField(_("法定代表人"), validators=[Optional(), Length(max=60)],
                                           render_kw={"maxlength": 60})
        address = StringField(_("通讯地址"), validators=[Optional(), Length(max=200)], render_kw={"maxlength": 200})
        contact_name = StringField(_("联系人"), validators=[Optional(), Length(max=60)], render_kw={"maxlength": 60})
        contact_phone = StringField(_("联系电话"), validators=[Optional(), Regexp(r"^[0-9+\-() ]{7,20}$",
                                    message=N_("请填写有效的电话号码"))], render_kw={"maxlength": 20})
        contact_email = StringField(_("电子邮箱"), validators=[Optional(), Email(N_("请填写有效的电子邮箱"),
                                    check_deliverability=False)], render_kw={"maxlength": 254})
        parent_uscc = StringField(_("母公司统一社会信用代码（如有）"), validators=[Optional(), _optional_uscc],
                                  render_kw={"maxlength": 18})
        save = SubmitField(_("保存草稿"))
        submit_application = SubmitField(_("保存并提交"))

    if categories:
        ApplicationForm.category = SelectField(_("申报类别"), choices=options([("", _("请选择")), *categories]),
                                               validators=[Optional()])
    for f in system.fields:
        if f.source == "form" and not f.derived:
            setattr(ApplicationForm, FIGURE_PREFIX + f.id, _figure_field(f))
    for s in outline:
        setattr(ApplicationForm, SECTION_PREFIX + s.id,
                TextAreaField(in_language(s), validators=[Optional(), Length(max=s.max_chars)], description=s.hint,
                              render_kw={"maxlength": s.max_chars, "rows": 6}))
    return ApplicationForm


def figure_fields(form) -> list:
    """The bound figure inputs of a built form, in criteria order."""
    return [f for f in form if f.name.startswith(FIGURE_PREFIX)]


def section_fields(form) -> list:
    """The bound narrative inputs of a built form."""
    return [f for f in form if f.name.startswith(SECTION_PREFIX)]


class AttachmentForm(BaseForm):
    """Upload one document of an application."""

    kind = SelectField(_("附件类型"), choices=options((k.value, k.label) for k in AttachmentKind),
                       validators=[DataRequired(N_("请选择附件类型"))])
    file = FileField(_("文件（PDF，营业执照可为图片；不超过20MB）"))
    upload = SubmitField(_("上传"))


class ReasonForm(BaseForm):
    """A decision that needs a reason (return, not recommend, formal check failed)."""

    reason = TextAreaField(_("理由"), validators=[DataRequired(N_("请填写理由")), Length(max=2000)],
                           render_kw={"maxlength": 2000, "rows": 3})
    submit = SubmitField(_("确认"))


class RecommendForm(BaseForm):
    """Recommend with an order (1 = first)."""

    order = IntegerField(_("推荐顺序"), validators=[DataRequired(N_("请填写推荐顺序")),
                         NumberRange(min=1, max=999, message=N_("推荐顺序应为1至999"))])
    submit = SubmitField(_("推荐"))


class LetterForm(BaseForm):
    """The authority's sealed recommendation letter for a call."""

    file = FileField(_("加盖公章的推荐函（PDF，不超过20MB）"))
    upload = SubmitField(_("上传推荐函"))


class CheckForm(BaseForm):
    """The formal check: pass, or fail with a reason."""

    decision = SelectField(_("审查结论"), choices=options([("pass", _("形式审查通过")), ("fail", _("形式审查未通过"))]),
                           validators=[DataRequired(N_("请选择结论"))])
    reason = TextAreaField(_("理由（未通过时必填）"), validators=[Optional(), Length(max=2000)],
                           render_kw={"maxlength": 2000, "rows": 3})
    submit = SubmitField(_("确认"))
