"""Forms of the performance evaluation; the figure and score forms are built from the round's
indicator system, so a new criteria version needs no code change."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _
from wtforms import (BooleanField, DateTimeLocalField, FileField, HiddenField, IntegerField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..domain.criteria import CriteriaSystem
from ..domain.marking import N_
from ..i18n import in_language
from .base import BaseForm, options

FIGURE, NARRATIVE, POINTS, COMMENT, REASON = "figure_", "narrative_", "points_", "comment_", "reason_"
_TEXT = {"maxlength": 4000}


def _figure_hint(kind: str, unit: str) -> str:
    return {"money": "单位：元，最多两位小数", "ratio": "单位：%，最多两位小数"}.get(kind, unit and f"单位：{unit}")


def self_evaluation_form(system: CriteriaSystem, fields: list, **kwargs: Any) -> BaseForm:
    """Figures (prefilled from the fund records where they exist) and one narrative per group."""
    attrs: dict[str, Any] = {"version": HiddenField()}
    for f in fields:
        attrs[FIGURE + f.id] = StringField(in_language(f), validators=[Optional()], render_kw={"maxlength": 30},
                                           description=_figure_hint(f.kind, f.unit))
    for g in system.groups:
        attrs[NARRATIVE + g.id] = TextAreaField(f"{g.title}（{g.max:g}分）自评说明", render_kw={**_TEXT, "rows": 4})
    return type("SelfEvaluationForm", (BaseForm,), attrs)(**kwargs)


def authority_form(system: CriteriaSystem, fields: list, **kwargs: Any) -> BaseForm:
    """E points with comments, figure corrections with reasons, conclusions and bonus."""
    attrs: dict[str, Any] = {"version": HiddenField()}
    for ind in system.scored_indicators:
        if ind.type == "E":
            attrs[POINTS + ind.id] = StringField(f"{ind.title}（0–{ind.max:g}分）", validators=[Optional()],
                                                 render_kw={"maxlength": 6})
            attrs[COMMENT + ind.id] = TextAreaField(_("评分理由"), render_kw={"maxlength": 1000, "rows": 2})
    for f in fields:
        attrs[FIGURE + f.id] = StringField(in_language(f), validators=[Optional()], render_kw={"maxlength": 30},
                                           description=_figure_hint(f.kind, f.unit))
        attrs[REASON + f.id] = StringField(_("更正理由"), render_kw={"maxlength": 200})
    for name, label in (("conclusions", "综合评价结论"), ("problems", "经验做法、问题及原因"),
                        ("recommendations", "有关建议"), ("other_notes", "其他需说明的问题")):
        attrs[name] = TextAreaField(label, render_kw={**_TEXT, "rows": 3})
    attrs["bonus"] = StringField(f"加分（0–{system.bonus_max:g}分，单列，不计入等级）", validators=[Optional()],
                                 render_kw={"maxlength": 6})
    return type("AuthorityEvaluationForm", (BaseForm,), attrs)(**kwargs)


class RoundForm(BaseForm):
    code = StringField(_("批次代码"), validators=[DataRequired(), Length(max=30),
                                            Regexp(r"^[A-Za-z0-9-]+$", message=N_("只能包含字母、数字和连字符"))])
    title = StringField(_("批次名称"), validators=[DataRequired(), Length(max=200)], render_kw={"maxlength": 200})
    year = IntegerField(_("评价年度（资金统计至该年度）"), validators=[DataRequired(), NumberRange(2000, 2100)])
    criteria = SelectField(_("绩效评价指标体系"), validators=[DataRequired()])
    self_deadline = DateTimeLocalField(_("自评截止时间（北京时间）"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    authority_deadline = DateTimeLocalField(_("主管部门评价截止时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                            validators=[DataRequired()])
    bases = SelectMultipleField(_("评价范围（基地）"), validators=[DataRequired(message=N_("请至少选择一个基地"))])


class ReasonForm(BaseForm):
    version = HiddenField()
    reason = TextAreaField(_("理由"), validators=[DataRequired(message=N_("请填写理由"))],
                           render_kw={"maxlength": 2000, "rows": 2})


class ConfirmVersionForm(BaseForm):
    version = HiddenField()


class EvidenceForm(BaseForm):
    label = StringField(_("材料名称"), validators=[Optional(), Length(max=200)])
    file = FileField(_("佐证材料（PDF）"))


class RequireRectificationForm(BaseForm):
    requirement = TextAreaField(_("整改要求"), validators=[DataRequired(message=N_("请填写整改要求"))],
                                render_kw={"maxlength": 4000, "rows": 3})
    deadline = DateTimeLocalField(_("整改期限（北京时间，默认3个月）"), format="%Y-%m-%dT%H:%M", validators=[Optional()])


class RectificationReportForm(BaseForm):
    version = HiddenField()
    report = TextAreaField(_("整改报告"), validators=[DataRequired(message=N_("请填写整改报告"))],
                           render_kw={"maxlength": 20000, "rows": 6})
    file = FileField(_("整改报告附件（PDF，可选）"))


class RecheckForm(BaseForm):
    version = HiddenField()
    outcome = SelectField(_("复查结论"), choices=options([("passed", _("整改合格")), ("failed", _("整改不合格"))]))
    result = TextAreaField(_("复查意见"), validators=[DataRequired(message=N_("请填写复查意见"))],
                           render_kw={"maxlength": 4000, "rows": 3})


class RevokeForm(BaseForm):
    version = HiddenField()
    amount = StringField(_("其他应收回金额（元，可不填）"), validators=[Optional()], render_kw={"maxlength": 20})
    document_no = StringField(_("文号"), validators=[Optional(), Length(max=60)])
    reason = TextAreaField(_("撤销及收回理由"), validators=[DataRequired()], render_kw={"maxlength": 2000, "rows": 2})
    confirm = BooleanField(_("确认撤销该基地的示范基地称号"), validators=[DataRequired(message=N_("请确认"))])


class VerifyForm(BaseForm):
    file = FileField(_("待核验的报告文件（PDF）"))


class VerifyLookupForm(BaseForm):
    """The public lookup: a report or receipt serial, and optionally the file to compare."""

    serial = StringField(_("报告或回执编号"), validators=[DataRequired(message=N_("请输入编号")), Length(max=60)],
                         render_kw={"maxlength": 60, "autocomplete": "off"})
    file = FileField(_("待核验的文件（可选，PDF）"))
