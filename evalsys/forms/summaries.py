"""Forms for the annual work summaries."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import DateField, FileField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..domain.marking import N_
from .base import BaseForm


class CollectionForm(BaseForm):
    """The ministry opens a year's collection with its due date."""

    year = IntegerField(_("年度"), validators=[DataRequired(N_("请填写年度")), NumberRange(2000, 2100, N_("年度无效"))])
    due_date = DateField(_("报送截止日期（当日北京时间24时前）"), validators=[DataRequired(N_("请填写截止日期"))])
    title = StringField(_("名称（可选）"), validators=[Optional(), Length(max=200)], render_kw={"maxlength": 200})
    submit = SubmitField(_("开始征集"))


class SummaryUploadForm(BaseForm):
    """An authority uploads its summary (PDF, ≤ 20 MB)."""

    file = FileField(_("工作总结（PDF，不超过20MB）"))
    submit = SubmitField(_("报送"))
