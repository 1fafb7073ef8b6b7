"""Forms of the decision pages: proposals, objections and their resolution."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import DateTimeLocalField, HiddenField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..domain.marking import N_
from .base import BaseForm, options


class ProposalForm(BaseForm):
    """The candidates proposed for one cohort; a reason when they differ from the official run."""

    category = HiddenField()
    applications = SelectMultipleField(_("拟入选对象"), coerce=int)
    reason = TextAreaField(_("与正式排名不一致的理由"), validators=[Optional(), Length(max=2000)])


class ObjectionForm(BaseForm):
    """An objection received by letter or phone."""

    application = SelectField(_("异议对象"), coerce=int, validators=[DataRequired(N_("请选择对象"))])
    channel = SelectField(_("来源"), choices=options([("letter", _("来信")), ("phone", _("来电"))]))
    received_at = DateTimeLocalField(_("收到时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                                     validators=[DataRequired(N_("请填写收到时间"))])
    summary = TextAreaField(_("异议内容摘要"), validators=[DataRequired(N_("请填写摘要")), Length(max=5000)])


class ResolveForm(BaseForm):
    """Resolve an objection with a reason."""

    decision = SelectField(_("处理结果"), choices=options([("dismiss", _("异议不成立")),
                                                        ("uphold", _("异议成立（取消拟入选）"))]))
    reason = TextAreaField(_("理由"), validators=[DataRequired(N_("请填写理由")), Length(max=5000)])
