"""The admin's call form; times are entered in Beijing time."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import (BooleanField, DateTimeLocalField, HiddenField, IntegerField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..domain.marking import N_
from .base import BaseForm, options
from ..domain.errors import text_of

TIME_FORMAT = "%Y-%m-%dT%H:%M"


def parse_places(text: str) -> dict[str, int]:
    """Lines "category code=places" → dict; raises ValueError with a Chinese message."""
    result: dict[str, int] = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        code, sep, number = line.partition("=")
        if not sep or not number.strip().isdigit():
            raise ValueError(f"格式应为“类别代码=名额”：{line.strip()}")
        result[code.strip()] = int(number.strip())
    return result


class CallForm(BaseForm):
    """Create or edit a call (domain.md §4)."""

    version = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,9}$", message=N_("表单版本无效，请刷新后重试"))])
    code = StringField(_("批次代码"), validators=[DataRequired(N_("请填写批次代码")),
                       Regexp(r"^[a-z0-9][a-z0-9-]{2,39}$", message=N_("3至40位小写字母、数字和连字符"))],
                       render_kw={"maxlength": 40})
    kind = SelectField(_("申报类别"), choices=options([("base", _("示范基地")), ("enterprise", _("示范企业"))]),
                       validators=[DataRequired(N_("请选择类别"))])
    title = StringField(_("批次名称"), validators=[DataRequired(N_("请填写批次名称")), Length(max=200)],
                        render_kw={"maxlength": 200})
    year_from = IntegerField(_("起始年度"), validators=[InputRequired(N_("请填写年度")), NumberRange(2000, 2100, N_("年度无效"))])
    year_to = IntegerField(_("截止年度"), validators=[InputRequired(N_("请填写年度")), NumberRange(2000, 2100, N_("年度无效"))])
    opens_at = DateTimeLocalField(_("申报开始（北京时间）"), format=TIME_FORMAT, validators=[InputRequired(N_("请填写时间"))])
    closes_at = DateTimeLocalField(_("申报截止（北京时间）"), format=TIME_FORMAT, validators=[InputRequired(N_("请填写时间"))])
    recommend_deadline = DateTimeLocalField(_("推荐截止（北京时间）"), format=TIME_FORMAT,
                                            validators=[InputRequired(N_("请填写时间"))])
    review_starts_at = DateTimeLocalField(_("专家评审开始（北京时间）"), format=TIME_FORMAT, validators=[Optional()])
    review_ends_at = DateTimeLocalField(_("专家评审结束（北京时间）"), format=TIME_FORMAT, validators=[Optional()])
    criteria = SelectField(_("指标体系版本"), choices=[], validators=[DataRequired(N_("请选择指标体系"))])
    quota_per_authority = IntegerField(_("每个推荐单位推荐名额"), validators=[InputRequired(N_("请填写名额")),
                                       NumberRange(1, 1000, N_("名额应为1至1000"))])
    places_total = IntegerField(_("拟入选总名额"), validators=[Optional(), NumberRange(1, 10000, N_("名额应为1至10000"))])
    categories = SelectMultipleField(_("类别（企业批次）"), choices=[], validators=[Optional()])
    places_by_category = TextAreaField(_("分类别名额（每行“类别代码=名额”，填写则按类别确定名额）"),
                                       validators=[Optional(), Length(max=2000)], render_kw={"rows": 4})
    reviewers_per_application = IntegerField(_("每份申报评审专家数"), default=5,
                                             validators=[InputRequired(N_("请填写专家数")),
                                                         NumberRange(5, 50, N_("每份申报的评审专家不少于5人"))])
    blind = BooleanField(_("匿名评审（专家看不到申报单位身份）"))
    publicity_days = IntegerField(_("公示天数"), default=7, validators=[InputRequired(N_("请填写公示天数")),
                                  NumberRange(1, 60, N_("公示天数应为1至60"))])
    submit = SubmitField(_("保存"))

    def validate_blind(self, field) -> None:
        # A checkbox sends "y" or nothing; anything else (a NUL byte, a long string) is a crafted request.
        if any(value not in ("y", "on", "true", "1") for value in field.raw_data or []):
            raise ValidationError(N_("选项值无效"))

    def validate_places_by_category(self, field) -> None:
        try:
            parse_places(field.data)
        except ValueError as e:
            raise ValidationError(text_of(e)) from None
