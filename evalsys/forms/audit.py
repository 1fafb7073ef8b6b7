"""The auditor's filter form over the audit trail (GET, so no CSRF)."""
from __future__ import annotations

from wtforms import DateTimeLocalField, SelectField, StringField
from wtforms.validators import Length, Optional

from .base import BaseForm, options


class AuditFilterForm(BaseForm):
    """Filter by time (Beijing time), user, event and object."""

    class Meta:
        csrf = False

    start = DateTimeLocalField("起始时间", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    end = DateTimeLocalField("截止时间", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    username = StringField("用户", validators=[Optional(), Length(max=40)], render_kw={"maxlength": 40})
    event = StringField("事件", validators=[Optional(), Length(max=60)], render_kw={"maxlength": 60})
    object_type = StringField("对象类型", validators=[Optional(), Length(max=40)], render_kw={"maxlength": 40})
    object_id = StringField("对象编号", validators=[Optional(), Length(max=60)], render_kw={"maxlength": 60})
    outcome = SelectField("结果", choices=options([("", "全部"), ("success", "成功"), ("failure", "失败")]),
                          validators=[Optional()])
