"""The form creating an API token (account page; the security admin's account detail page)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..domain.api_tokens import DEFAULT_DAYS, MAX_DAYS
from ..domain.marking import N_
from .base import BaseForm


class ApiTokenForm(BaseForm):
    """A name to recognise the token by and its validity in days."""

    name = StringField(_("令牌名称"), validators=[Optional(), Length(max=60, message=N_("名称不超过60个字符"))],
                       render_kw={"maxlength": 60, "placeholder": _("例如：省厅企业库同步")})
    days = IntegerField(_("有效天数"), default=DEFAULT_DAYS,
                        validators=[InputRequired(N_("请填写有效天数")),
                                    NumberRange(1, MAX_DAYS, message=f"有效天数应为1至{MAX_DAYS}")],
                        render_kw={"min": 1, "max": MAX_DAYS})
    submit = SubmitField(_("创建令牌"))
