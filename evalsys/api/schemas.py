"""Marshmallow schemas of the API: what it accepts (validated, Chinese messages) and what it returns.
The OpenAPI document is generated from these."""
from __future__ import annotations

import re

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID = 2_147_483_647
MAX_FEN = 10**15


class Text(fields.String):
    """A string without NUL or control characters (TAB/LF/CR allowed where multi-line)."""

    def __init__(self, *args, multiline: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pattern = _CONTROL if multiline else _CONTROL_SINGLE_LINE

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if self._pattern.search(text):
            raise ma.ValidationError("不能包含控制字符")
        return text


def _required(msg: str = "必填") -> dict:
    return {"required": msg, "null": "不能为空", "invalid": "格式无效"}


class ApiSchema(ma.Schema):
    """Unknown fields are refused, so a typo never passes silently (status, owner… are never assigned)."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


# --- problems ---------------------------------------------------------------------------------------

class ProblemSchema(ma.Schema):
    """RFC 9457 problem details; `errors` maps fields to their messages (422)."""

    type = fields.String(required=True, metadata={"description": "问题类型（URI；about:blank 表示仅看状态码）"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True, metadata={"description": "中文说明"})
    instance = fields.String(required=True, metadata={"description": "本次请求的事件编号（urn:uuid:…）"})
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(), required=False,
                         metadata={"description": "字段错误：{字段: [中文说明]}"})


# --- paging -----------------------------------------------------------------------------------------

class PageArgs(ApiSchema):
    cursor = Text(load_default=None, validate=validate.Length(max=200),
                  metadata={"description": "上一页返回的 next 链接中的游标"})
    limit = fields.Integer(load_default=50, strict=False, validate=validate.Range(1, 100, error="应为1至100"),
                           metadata={"description": "每页条数（1–100，默认50）"})


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """`{"items": [...], "next": "<url>" | null}` of an item schema."""
    return type(name, (ma.Schema,), {
        "items": fields.List(fields.Nested(item), required=True),
        "next": fields.String(required=True, allow_none=True,
                              metadata={"description": "下一页的地址；没有下一页时为 null"}),
    })


# --- calls and applications ------------------------------------------------------------------------

class CallSchema(ma.Schema):
    code = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True)
    year_from = fields.Integer(required=True)
    year_to = fields.Integer(required=True)
    opens_at = fields.DateTime(required=True)
    closes_at = fields.DateTime(required=True)
    recommend_deadline = fields.DateTime(required=True)
    review_starts_at = fields.DateTime(required=True, allow_none=True)
    review_ends_at = fields.DateTime(required=True, allow_none=True)
    quota_per_authority = fields.Integer(required=True)
    categories = fields.List(fields.String(), required=True)
    announced = fields.Boolean(required=True, metadata={"description": "评审结果是否已公布"})


class CallDetailSchema(CallSchema):
    criteria_id = fields.String(required=True)
    criteria_version = fields.Integer(required=True)
    places_total = fields.Integer(required=True, allow_none=True)
    blind = fields.Boolean(required=True)
    publicity_days = fields.Integer(required=True)
    quota = fields.Dict(required=True, allow_none=True,
                        metadata={"description": "主管部门账户：本辖区名额 {used, max, letter_uploaded}"})


class ApplicationItemSchema(ma.Schema):
    id = fields.Integer(required=True)
    call = fields.String(required=True, metadata={"description": "批次编号"})
    organisation = fields.String(required=True, metadata={"description": "申报单位名称"})
    uscc = fields.String(required=True, metadata={"description": "统一社会信用代码"})
    authority_code = fields.String(required=True)
    category = fields.String(required=True, allow_none=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True)


class FigureSchema(ma.Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True,
                         metadata={"description": "integer, decimal, money, ratio, boolean, date"})
    unit = fields.String(required=True, metadata={"description": "value 的单位：money 为 fen（分），ratio 为 bp（万分之一）"})
    value = fields.Raw(required=True, allow_none=True, metadata={"description": "存储值（金额为整数分）"})
    display = fields.String(required=True, metadata={"description": "按页面显示的值（含单位）"})
    derived = fields.Boolean(required=True)


class ApplicationSchema(ApplicationItemSchema):
    version = fields.Integer(required=True, metadata={"description": "乐观锁版本；写操作可带上以防覆盖他人修改"})
    recommend_order = fields.Integer(required=True, allow_none=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    updated_at = fields.DateTime(required=True)
    figures = fields.List(fields.Nested(FigureSchema), required=True)


class RecommendArgs(ApiSchema):
    order = fields.Integer(required=True, strict=True, validate=validate.Range(1, 999, error="推荐顺序应为1至999"),
                           error_messages=_required("请填写推荐顺序"))
    version = fields.Integer(load_default=None, strict=True,
                             validate=validate.Range(1, MAX_ID, error="版本号无效"),
                             metadata={"description": "读取时的 version；与当前不符时返回 409"})


class ReasonArgs(ApiSchema):
    reason = Text(required=True, multiline=True,
                  validate=[validate.Length(1, 2000, error="理由应为1至2000个字符")],
                  error_messages=_required("请填写理由"))
    version = fields.Integer(load_default=None, strict=True,
                             validate=validate.Range(1, MAX_ID, error="版本号无效"))

    @ma.validates("reason")
    def _not_blank(self, value: str, **kwargs) -> None:
        if not value.strip():
            raise ma.ValidationError("请填写理由")


class ResultSchema(ma.Schema):
    id = fields.Integer(required=True)
    organisation = fields.String(required=True)
    uscc = fields.String(required=True)
    authority_code = fields.String(required=True)
    category = fields.String(required=True, allow_none=True)
    category_label = fields.String(required=True)


class ResultsSchema(ma.Schema):
    call = fields.String(required=True)
    announced_at = fields.DateTime(required=True)
    items = fields.List(fields.Nested(ResultSchema), required=True)
    next = fields.String(required=True, allow_none=True)


# --- funds ------------------------------------------------------------------------------------------

class YearArgs(ApiSchema):
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100, error="年度应在2000至2100之间"))


class FundsSummaryRowSchema(ma.Schema):
    base = fields.String(required=True)
    authority = fields.String(required=True)
    allocated_fen = fields.Integer(required=True)
    received_fen = fields.Integer(required=True)
    spent_fen = fields.Integer(required=True)
    arrival_rate = fields.String(required=True, allow_none=True, metadata={"description": "4位小数的字符串"})
    execution_rate = fields.String(required=True, allow_none=True)
    open_flags = fields.Integer(required=True)


class FiguresSchema(ma.Schema):
    allocated_fen = fields.Integer(required=True)
    received_fen = fields.Integer(required=True)
    spent_fen = fields.Integer(required=True)
    arrival_rate = fields.String(required=True, allow_none=True)
    execution_rate = fields.String(required=True, allow_none=True)


class YearFiguresSchema(FiguresSchema):
    year = fields.Integer(required=True)


class AllocationSchema(ma.Schema):
    id = fields.Integer(required=True)
    year = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True)
    document_no = fields.String(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    received_fen = fields.Integer(required=True)
    verified_spent_fen = fields.Integer(required=True)


class BaseFundsSchema(ma.Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    city = fields.String(required=True)
    authority_code = fields.String(required=True)
    operator = fields.String(required=True)
    totals = fields.Nested(FiguresSchema, required=True)
    open_flags = fields.Integer(required=True)
    years = fields.List(fields.Nested(YearFiguresSchema), required=True)
    allocations = fields.List(fields.Nested(AllocationSchema), required=True)


class ExpenditureArgs(ApiSchema):
    date = fields.Date(required=True, error_messages={**_required("请填写日期"),
                                                      "invalid": "日期格式应为 年-月-日，例如 2014-03-01"})
    project = Text(required=True, validate=validate.Length(1, 200, error="项目名称应为1至200个字符"),
                   error_messages=_required("请填写项目名称"))
    category = Text(required=True, validate=validate.Length(1, 8, error="支出类别无效"),
                    error_messages=_required("请选择支出类别"))
    amount_fen = fields.Integer(required=True, validate=validate.Range(1, MAX_FEN, error="金额必须大于零且不超过上限"),
                                error_messages=_required("请填写金额（分）"),
                                metadata={"description": "金额，整数分（1元 = 100）"})
    payee = Text(required=True, validate=validate.Length(1, 200, error="收款单位应为1至200个字符"),
                 error_messages=_required("请填写收款单位"))
    voucher_no = Text(load_default="", validate=validate.Length(max=60, error="凭证号不超过60个字符"))
    explanation = Text(load_default="", multiline=True,
                       validate=validate.Length(max=2000, error="说明不超过2000个字符"))


class VoucherFiles(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    voucher = Upload(load_default=None, metadata={"description": "凭证扫描件（PDF、JPEG或PNG，不超过20MB）"})


class FlagSchema(ma.Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    state = fields.String(required=True)


class ExpenditureSchema(ma.Schema):
    id = fields.Integer(required=True)
    allocation_id = fields.Integer(required=True)
    date = fields.Date(required=True)
    project = fields.String(required=True)
    category = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    payee = fields.String(required=True)
    voucher_no = fields.String(required=True)
    voucher_sha256 = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    flags = fields.List(fields.Nested(FlagSchema), required=True)


# --- evaluations and reports ---------------------------------------------------------------------------

class ScoreSchema(ma.Schema):
    indicator_id = fields.String(required=True)
    points = fields.String(required=True, allow_none=True, metadata={"description": "得分（十进制字符串）"})


class EvaluationSchema(ma.Schema):
    id = fields.Integer(required=True)
    base = fields.String(required=True)
    base_name = fields.String(required=True)
    authority_code = fields.String(required=True)
    state = fields.String(required=True)
    total = fields.String(required=True, allow_none=True)
    bonus = fields.String(required=True, allow_none=True)
    grade_code = fields.String(required=True, allow_none=True)
    grade_label = fields.String(required=True, allow_none=True)
    scores = fields.List(fields.Nested(ScoreSchema), required=True)


class ReportSchema(ma.Schema):
    serial = fields.String(required=True)
    issuer = fields.String(required=True)
    base = fields.String(required=True)
    round = fields.String(required=True)
    grade = fields.String(required=True)
    issued_at = fields.DateTime(required=True)
    status = fields.String(required=True)
    sha256 = fields.String(required=True, metadata={"description": "签章文件的 SHA-256"})
