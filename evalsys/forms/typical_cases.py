"""Forms of typical cases: the case itself (text and images) and a reviewer's decision."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..domain.marking import N_
from .base import BaseForm, options


class CaseForm(BaseForm):
    """Title, summary, text and up to six PNG/JPEG images."""

    version = HiddenField()
    title = StringField(_("标题"), validators=[DataRequired(N_("请填写标题")), Length(max=100, message=N_("标题不超过100字"))])
    summary = TextAreaField(_("摘要"), validators=[DataRequired(N_("请填写摘要")), Length(max=500, message=N_("摘要不超过500字"))])
    body = TextAreaField(_("正文"), validators=[DataRequired(N_("请填写正文")), Length(max=20000, message=N_("正文不超过20000字"))])
    images = MultipleFileField(_("图片（PNG或JPEG，最多6张，每张不超过5 MB、一次合计不超过20 MB；上传后重新编码并去除拍摄等信息）"))


class CaseDecisionForm(BaseForm):
    """Approve (authority: on to the ministry; ministry: publish) or return with a reason."""

    decision = SelectField(_("审核结果"), choices=options([("approve", _("通过")), ("return", _("退回修改"))]))
    reason = TextAreaField(_("退回理由"), validators=[Optional(), Length(max=2000)])
