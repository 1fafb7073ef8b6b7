"""Forms of the ranking pages: the call's ranking settings and a run."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import BooleanField, HiddenField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from ..domain.marking import N_
from .base import BaseForm, options

METHOD_CHOICES = [("weighted-total", _("总分法（默认）")), ("topsis", "TOPSIS"), ("vikor", "VIKOR"),
                  ("wpm", _("加权积法"))]


class RankingSettingsForm(BaseForm):
    """Official method, weights (a version or a rule) and aggregation option; locked when scoring starts."""

    version = HiddenField()
    official_method = SelectField(_("正式排名方法"), choices=options(METHOD_CHOICES), validators=[DataRequired()])
    weights = SelectField(_("权重"), validators=[DataRequired()])
    adjusted_aggregation = BooleanField(_("正式结果采用评审偏差校正后的专家分（原始分始终并列显示）"))


class RunForm(BaseForm):
    """Make a stored run; another method or aggregation is a comparison."""

    category = SelectField(_("范围"))
    method = SelectField(_("方法"), choices=options([("", _("批次正式方法"))] + METHOD_CHOICES))
    aggregation = SelectField(_("专家分"), choices=options([("", _("批次正式设置")), ("raw", _("原始分")),
                                                        ("adjusted", _("偏差校正分"))]))
    samples = IntegerField(_("稳健性抽样次数"), default=200,
                           validators=[InputRequired(N_("请填写抽样次数")), NumberRange(0, 2000, N_("抽样次数应为0至2000"))])
    seed = IntegerField(_("随机种子"), default=2015,
                        validators=[InputRequired(N_("请填写随机种子")), NumberRange(0, 2**31 - 1, N_("随机种子无效"))])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("samples", "seed"):  # WTForms' own message for a non-number is English
            field = getattr(self, name)
            if field.process_errors:
                field.process_errors = [f"{field.label.text}应为整数"]
