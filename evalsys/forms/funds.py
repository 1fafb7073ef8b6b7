"""Forms of the subsidy-fund pages. Amounts are typed in yuan and parsed to fen by money.parse_yuan;
dates are typed as 2014-03-01. Forms only validate; the services change state."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional, Regexp,
                                ValidationError)

from ..domain.funds import ALLOWED_CATEGORIES, FORBIDDEN_CATEGORIES
from ..domain.marking import N_
from ..domain.money import MoneyError, parse_yuan
from .base import BaseForm, options
from ..domain.errors import text_of


class YuanField(StringField):
    """An amount in yuan with up to two decimals; `fen` holds the parsed integer after validation."""

    fen: int | None = None

    def pre_validate(self, form) -> None:
        self.fen = None
        if not (self.data or "").strip():
            raise ValidationError(N_("请填写金额"))
        try:
            self.fen = parse_yuan(self.data)
        except MoneyError as e:
            raise ValidationError(text_of(e)) from e
        if self.fen <= 0:
            raise ValidationError(N_("金额必须大于零"))


class DayField(StringField):
    """A calendar date typed as YYYY-MM-DD (type=date in browsers that offer a picker)."""

    day: dt.date | None = None

    def __init__(self, label: str, required: bool = True, **kwargs) -> None:
        kwargs.setdefault("render_kw", {"type": "date", "maxlength": 10})
        super().__init__(label, **kwargs)
        self.required = required

    def pre_validate(self, form) -> None:
        self.day = None
        text = (self.data or "").strip()
        if not text:
            if self.required:
                raise ValidationError(N_("请填写日期"))
            return
        try:
            self.day = dt.date.fromisoformat(text)
        except ValueError as e:
            raise ValidationError(N_("日期格式应为 年-月-日，例如 2014-03-01")) from e


def category_options():
    """Allowed categories first, then the forbidden ones (recorded, always flagged)."""
    return options([(c, _("%(code)s %(label)s", code=c, label=_(label))) for c, label in ALLOWED_CATEGORIES.items()]
                   + [(c, _("%(code)s %(label)s（不得列支）", code=c, label=_(label)))
                      for c, label in FORBIDDEN_CATEGORIES.items()])


class FirstBatchBaseForm(BaseForm):
    """The ministry registers a first-batch base and its operator (by USCC)."""

    code = StringField(_("基地编号"), validators=[DataRequired(N_("请填写基地编号")), Length(max=10)],
                       render_kw={"maxlength": 10, "placeholder": "B1-35"})
    name = StringField(_("基地名称"), validators=[DataRequired(N_("请填写基地名称")), Length(max=100)],
                       render_kw={"maxlength": 100})
    city = StringField(_("所在城市"), validators=[DataRequired(N_("请填写城市")), Length(max=40)], render_kw={"maxlength": 40})
    authority_code = SelectField(_("主管部门"), choices=[], validators=[DataRequired(N_("请选择主管部门"))])
    operator_uscc = StringField(_("运营单位统一社会信用代码"), validators=[DataRequired(N_("请填写统一社会信用代码"))],
                                render_kw={"maxlength": 18})
    submit = SubmitField(_("登记基地"))


class AllocationForm(BaseForm):
    """An allocation of central funds (period defaults to the year and the two following)."""

    year = IntegerField(_("资金年度"), validators=[InputRequired(N_("请填写年度")),
                                             NumberRange(2000, 2100, N_("年度应在2000至2100之间"))])
    amount = YuanField(_("下达金额（元）"), render_kw={"maxlength": 30})
    document_no = StringField(_("下达文号"), validators=[DataRequired(N_("请填写下达文号")), Length(max=60)],
                              render_kw={"maxlength": 60})
    purpose = TextAreaField(_("资金用途"), validators=[Optional(), Length(max=2000)], render_kw={"maxlength": 2000})
    period_start = DayField(_("使用期限起（留空为当年1月1日）"), required=False)
    period_end = DayField(_("使用期限止（留空为两年后的12月31日）"), required=False)
    override_reason = TextAreaField(_("例外下达理由（仅限等级为“差”或已撤销称号的基地；提交后须另一位管理员批准）"),
                                    validators=[Optional(), Length(max=2000)], render_kw={"maxlength": 2000, "rows": 2})
    submit = SubmitField(_("下达资金"))


class TrancheForm(BaseForm):
    """Funds received on an allocation."""

    date = DayField(_("到位日期"))
    amount = YuanField(_("到位金额（元）"), render_kw={"maxlength": 30})
    document_no = StringField(_("拨付文件或凭证号"), validators=[Optional(), Length(max=60)], render_kw={"maxlength": 60})
    submit = SubmitField(_("登记到位资金"))


class ExpenditureForm(BaseForm):
    """One payment recorded by the base operator, with its voucher scan."""

    date = DayField(_("支出日期"))
    project = StringField(_("项目名称"), validators=[DataRequired(N_("请填写项目名称")), Length(max=200)],
                          render_kw={"maxlength": 200})
    category = SelectField(_("支出类别"), choices=category_options(), validators=[DataRequired(N_("请选择支出类别"))])
    amount = YuanField(_("金额（元）"), render_kw={"maxlength": 30})
    payee = StringField(_("收款单位"), validators=[DataRequired(N_("请填写收款单位")), Length(max=200)],
                        render_kw={"maxlength": 200})
    voucher_no = StringField(_("凭证号"), validators=[Optional(), Length(max=60)], render_kw={"maxlength": 60})
    explanation = TextAreaField(_("说明（类别为“其他”时必填）"), validators=[Optional(), Length(max=2000)],
                                render_kw={"maxlength": 2000})
    voucher = FileField(_("凭证扫描件（PDF、JPEG或PNG，不超过20MB）"))
    form_token = HiddenField()  # one-time: one submit is one entry
    submit = SubmitField(_("登记支出"))


class VersionedForm(BaseForm):
    """A confirmation carrying the version the page showed (optimistic locking)."""

    # Required and numeric: a missing or garbled version must not skip the stale-edit check.
    version = HiddenField(validators=[DataRequired(N_("页面已过期，请刷新后重试")),
                                      Regexp(r"^[0-9]{1,9}$", message=N_("页面已过期，请刷新后重试"))])
    submit = SubmitField(_("确认"))

    @property
    def expected_version(self) -> int:
        return int(self.version.data)


class ReasonForm(VersionedForm):
    """A decision that needs a reason (reject, resolve, reopen)."""

    reason = TextAreaField(_("理由"), validators=[DataRequired(N_("请填写理由")), Length(max=2000)],
                           render_kw={"maxlength": 2000, "rows": 2})


class ReverseForm(BaseForm):
    """The reversing entry of a verified payment."""

    date = DayField(_("冲销日期"))
    reason = TextAreaField(_("冲销理由"), validators=[DataRequired(N_("请填写冲销理由")), Length(max=2000)],
                           render_kw={"maxlength": 2000, "rows": 2})
    submit = SubmitField(_("登记冲销分录"))


class VoucherForm(VersionedForm):
    """Attach the voucher scan of a pending entry."""

    voucher = FileField(_("凭证扫描件"))


class ImportForm(BaseForm):
    """An xlsx filled from the template."""

    file = FileField(_("Excel文件（xlsx）"))
    submit = SubmitField(_("导入"))


class OverrideForm(BaseForm):
    """Approve an exception to the allocation ban, or withdraw it with a reason."""

    reason = TextAreaField(_("撤回理由"), validators=[Optional(), Length(max=2000)], render_kw={"maxlength": 2000, "rows": 1})
    submit = SubmitField(_("确认"))
