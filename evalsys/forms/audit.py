"""The auditor's filter form over the audit trail (GET, so no CSRF)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import DateTimeLocalField, SelectField, StringField
from wtforms.validators import Length, Optional

from .base import BaseForm, options


class AuditFilterForm(BaseForm):
    """Filter by time (Beijing time), user, event and object."""

    class Meta:
        csrf = False

    start = DateTimeLocalField(_("起始时间"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    end = DateTimeLocalField(_("截止时间"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    username = StringField(_("用户"), validators=[Optional(), Length(max=40)], render_kw={"maxlength": 40})
    event = StringField(_("事件"), validators=[Optional(), Length(max=60)], render_kw={"maxlength": 60})
    object_type = StringField(_("对象类型"), validators=[Optional(), Length(max=40)], render_kw={"maxlength": 40})
    object_id = StringField(_("对象编号"), validators=[Optional(), Length(max=60)], render_kw={"maxlength": 60})
    outcome = SelectField(_("结果"), choices=options([("", _("全部")), ("success", _("成功")), ("failure", _("失败"))]),
                          validators=[Optional()])
