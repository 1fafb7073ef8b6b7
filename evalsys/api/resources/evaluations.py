"""Performance evaluations of a round (grades and scores, scoped like the web lists) and the public
verification record of an issued report."""
from __future__ import annotations

import json

import marshmallow as ma
from flask import abort
from sqlalchemy import select

from ...extensions import db
from ...models import Evaluation, EvaluationRound, FirstBatchBase, Role
from ...permissions import public
from ...services.evaluation_reports import find_by_serial
from .. import schemas as s
from ..auth import current_api_user, public_limited, token_required
from ..blueprint import bp
from ..paging import page
from . import problems


def visible_evaluations(user, round_: EvaluationRound):
    """The ministry every base's, an authority its jurisdiction's, an operator its own bases'."""
    stmt = select(Evaluation).join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id) \
        .where(Evaluation.round_id == round_.id)
    if user.role == Role.ADMIN:
        return stmt
    if user.role == Role.AUTHORITY:
        return stmt.where(FirstBatchBase.authority_code == (user.authority_code or ""))
    return stmt.where(FirstBatchBase.organisation_id == (user.organisation_id or -1))


def evaluation_item(ev: Evaluation) -> dict:
    return {"id": ev.id, "base": ev.base.code, "base_name": ev.base.name,
            "authority_code": ev.base.authority_code,
            "state": ev.state.value, "total": ev.total, "bonus": ev.bonus, "grade_code": ev.grade_code,
            "grade_label": ev.grade_label,
            "scores": [{"indicator_id": sc.indicator_id, "points": sc.points}
                       for sc in sorted(ev.scores, key=lambda sc: sc.indicator_id)]}


@bp.route("/rounds/<code>/evaluations")
@token_required(Role.APPLICANT, Role.AUTHORITY, Role.ADMIN)
@bp.arguments(s.PageArgs, location="query", unknown=ma.RAISE)
@bp.response(200, s.page_schema(s.EvaluationSchema, "EvaluationPage"))
@problems(401, 403, 404, 422, 429)
@bp.doc(tags=["evaluations"], summary="评价轮次的绩效评价（等级与得分）")
def round_evaluations(args, code: str):
    """The evaluations of a round within the account's scope, by id."""
    round_ = db.session.scalar(select(EvaluationRound).where(EvaluationRound.code == code[:30])) \
        if len(code) <= 30 else None
    if round_ is None:
        abort(404, description="未找到该评价轮次")
    stmt = visible_evaluations(current_api_user(), round_)
    return page(stmt, Evaluation.id, args, evaluation_item, code=code)


@bp.route("/reports/<serial>")
@public
@public_limited
@bp.response(200, s.ReportSchema)
@problems(401, 404, 429)
@bp.doc(tags=["reports"], summary="评价报告核验信息（公开）", security=[{}, {"bearerAuth": []}])
def report(serial: str):
    """What the public verification page shows of an issued report, nothing more (404 when unknown)."""
    found = find_by_serial(serial) if len(serial) <= 60 else None
    if found is None:
        abort(404, description="未找到该编号的报告")
    ev = found.evaluation
    return {"serial": found.serial, "issuer": found.issuer, "base": f"{ev.base.name}（{ev.base.code}）",
            "round": found.round.title, "grade": json.loads(found.snapshot).get("grade", ""),
            "issued_at": found.issued_at, "status": found.status.value, "sha256": found.signed_sha256}
