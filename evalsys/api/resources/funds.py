"""Funds: the ministry summary (the `funds summary` JSON), one base's figures, and the operator's
expenditure with its voucher (multipart) through the same upload checks and service as the web."""
from __future__ import annotations

import marshmallow as ma
from flask import abort
from sqlalchemy import select

from ...extensions import db
from ...i18n import refusal_text, translated
from ...models import Allocation, Expenditure, FirstBatchBase, Role
from ...permissions import can_operate_base, can_view_base
from ...services import funds, funds_query
from ...services import funds_ledger
from ...services.files import UploadRejected, store_upload
from .. import schemas as s
from ..auth import current_api_user, token_required
from ..blueprint import bp
from ..errors import ApiProblem
from ..idempotency import idempotent
from . import IDEMPOTENCY_HEADER, problems

VOUCHER_KINDS = ("pdf", "jpeg", "png")
_CODE_MAX = 10


def figures_dict(f) -> dict:
    return {"allocated_fen": f.allocated_fen, "received_fen": f.received_fen, "spent_fen": f.spent_fen,
            "arrival_rate": f.arrival_rate, "execution_rate": f.execution_rate}


@bp.route("/funds/summary")
@token_required(Role.ADMIN)
@bp.arguments(s.YearArgs, location="query", unknown=ma.RAISE)
@bp.response(200, s.FundsSummaryRowSchema(many=True))
@problems(401, 403, 422, 429)
@bp.doc(tags=["funds"], summary="专项资金汇总（与 funds summary 命令的 JSON 相同）")
def funds_summary(args):
    """One row per first-batch base ordered by code; amounts in fen, rates as 4-decimal strings."""
    return funds_query.summary(args["year"])


def _base(code: str) -> FirstBatchBase:
    if len(code) > _CODE_MAX:
        abort(404, description="未找到该基地")
    base = db.session.scalar(select(FirstBatchBase).where(FirstBatchBase.code == code))
    if base is None:
        abort(404, description="未找到该基地")
    if not can_view_base(current_api_user(), base):
        abort(403)
    return base


@bp.route("/bases/<code>/funds")
@token_required(Role.APPLICANT, Role.AUTHORITY, Role.ADMIN)
@bp.response(200, s.BaseFundsSchema)
@problems(401, 403, 404, 429)
@bp.doc(tags=["funds"], summary="基地的资金情况（按年度及资金下达）")
def base_funds(code: str):
    """A base's figures in total and per year, and its allocations (their ids are used to record spending)."""
    base = _base(code)
    [row] = funds_query.base_figures([base])
    allocations = db.session.scalars(select(Allocation).where(Allocation.base_id == base.id)
                                     .order_by(Allocation.year, Allocation.id)).all()
    return {"code": base.code, "name": base.name, "city": base.city, "authority_code": base.authority_code,
            "operator": base.operator.name, "totals": figures_dict(row.figures), "open_flags": row.open_flags,
            "years": [{"year": y, **figures_dict(f)} for y, f in funds_query.year_figures(base)],
            "allocations": [{"id": a.id, "year": a.year, "amount_fen": a.amount_fen,
                             "document_no": a.document_no,
                             "period_start": a.period_start, "period_end": a.period_end,
                             "received_fen": a.account.received_fen if a.account else 0,
                             "verified_spent_fen": a.account.verified_spent_fen if a.account else 0}
                            for a in allocations]}


def expenditure_item(entry: Expenditure) -> dict:
    return {"id": entry.id, "allocation_id": entry.allocation_id, "date": entry.date,
            "project": entry.project,
            "category": entry.category, "amount_fen": entry.amount_fen, "payee": entry.payee,
            "voucher_no": entry.voucher_no,
            "voucher_sha256": entry.voucher_file.sha256 if entry.voucher_file is not None else None,
            "status": entry.status.value,
            "flags": [{"code": f.code, "message": f.message, "state": f.state.value} for f in entry.flags]}


@bp.route("/bases/<code>/allocations/<int(max=2147483647):allocation_id>/expenditures", methods=["POST"])
@token_required(Role.APPLICANT)
@idempotent
@bp.arguments(s.ExpenditureArgs, location="form")
@bp.arguments(s.VoucherFiles, location="files")
@bp.response(201, s.ExpenditureSchema)
@problems(401, 403, 404, 409, 422, 429)
@bp.doc(tags=["funds"], summary="登记一笔支出及其凭证扫描件（multipart/form-data）",
        parameters=[IDEMPOTENCY_HEADER])
def record_expenditure(form, files, code: str, allocation_id: int):
    """The base operator records one payment (pending until its authority verifies it)."""
    base = _base(code)
    user = current_api_user()
    if not can_operate_base(user, base):
        abort(403)
    allocation = db.session.get(Allocation, allocation_id)
    if allocation is None or allocation.base_id != base.id:
        abort(404, description="未找到该基地的这笔资金下达")
    data = funds_ledger.ExpenditureInput(date=form["date"], project=form["project"], category=form["category"],
                                  amount_fen=form["amount_fen"], payee=form["payee"],
                                  voucher_no=form["voucher_no"], explanation=form["explanation"])
    # Refusals of the entry itself come before the file is stored.
    problems_found = funds_ledger.input_errors(allocation.id, data)
    if problems_found:
        first = problems_found[0]
        message = translated(first.message)
        raise ApiProblem(422, message, kind="validation-error", errors={first.field or "_": [message]})
    voucher = None
    upload = files.get("voucher")
    try:
        if upload is not None and upload.filename:
            voucher = store_upload(upload, purpose="voucher", actor_id=user.id, allowed=VOUCHER_KINDS)
        entry = funds_ledger.record_expenditure(allocation, data, voucher=voucher, actor=user)
    except UploadRejected as e:
        message = refusal_text(e)
        raise ApiProblem(422, message, kind="upload-rejected", errors={"voucher": [message]}) from None
    except funds.FundsError as e:
        message = refusal_text(e)
        raise ApiProblem(409, message, kind="refused",
                         errors={e.field: [message]} if e.field else None) from None
    return expenditure_item(entry), 201
