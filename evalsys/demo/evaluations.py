"""Demo performance evaluation: round perf-2015 over the first 16 demo bases — 10 accepted (all four
grades), the others at earlier states; rectification for the two 差 bases (one revoked with a
recovery entry); two reports issued. Through the services (audited); the demo issuer's
self-signed key is created under instance/signing. Idempotent: an existing round is left alone."""
from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..domain.figures import display
from ..domain.timeutil import parse_beijing
from ..extensions import db
from ..models import EvaluationRound, FirstBatchBase, Role, User
from ..reporting.signing import create_self_signed
from ..services import evaluations as svc
from ..services import evaluation_review
from ..services import self_evaluation
from ..services import rectifications as rect
from ..services.evaluation_reports import issue_report

ROUND_CODE = "perf-2015"
TITLE = "首批国家电子商务示范基地创建工作及中央专项补助资金使用情况绩效评估（2015）"
# (achievement, final state) per base in code order: 10 accepted over the four grades, then earlier states.
PLAN = [("0.97", "accepted"), ("0.83", "accepted"), ("0.66", "accepted"), ("0.45", "accepted"),
        ("0.95", "accepted"), ("0.86", "accepted"), ("0.72", "accepted"), ("0.40", "accepted"),
        ("0.93", "accepted"), ("0.81", "accepted"), ("0.88", "evaluated"), ("0.70", "evaluated"),
        ("0.90", "self_evaluated"), ("0.75", "self_evaluated"), ("0.80", "draft"), ("0.60", "draft")]
NARRATIVE = {
    "decision": "基地按照创建工作方案立项，资金分配经市商务局和财政局联合审定，绩效目标分解到年度。",
    "process": "建立专项资金管理办法和项目验收制度，资金专账核算，支出凭证齐全，按季度报送执行进度。",
    "output": "公共服务平台、人才培训和创业孵化等创建任务按计划推进，项目均组织了第三方验收。",
    "outcome": "基地电子商务交易额和入驻企业数量较基期明显增长，带动就业和社会投资，入驻企业满意度较高。",
}


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def figures_at(targets: dict[str, int], received_fen: int, a: Decimal) -> dict[str, object]:
    """Form figures (storage units) reaching fraction `a` of the base's plan targets."""
    t = {k: Decimal(str(v)) for k, v in targets.items()}
    total = Decimal(200)
    return {
        "tasks_completed": _round(t["plan_tasks"] * a), "service_reach": _round(t["plan_service_reach"] * a),
        "projects_total": 200, "projects_accepted": _round(total * t["plan_acceptance_rate"] / 10000 * a),
        "projects_on_time": _round(total * t["plan_on_time_rate"] / 10000 * a),
        "project_cost": _round(t["plan_budget"] / a),
        "transactions_base_year": 80_000_000_000, "firms_base_year": 400,
        "transactions_current": _round(80_000_000_000 * (1 + t["plan_transaction_growth"] / 10000 * a)),
        "firms_current": _round(400 * (1 + t["plan_firm_growth"] / 10000 * a)),
        "social_investment": _round(max(received_fen, 100) * t["plan_leverage"] * a),
        "new_jobs": _round(t["plan_new_jobs"] * a), "incubated_trained": _round(t["plan_incubated_trained"] * a),
        "tenant_satisfaction": min(10000, _round(t["plan_satisfaction"] * a)),
    }


def _user(**where) -> User | None:
    stmt = select(User)
    for k, v in where.items():
        stmt = stmt.where(getattr(User, k) == v)
    return db.session.scalars(stmt.order_by(User.id)).first()


def load_evaluations_demo() -> int:
    """Create the perf-2015 round with its evaluations; returns the number of evaluations created."""
    create_self_signed(Path(current_app.instance_path) / "signing")
    if db.session.scalar(select(EvaluationRound.id).where(EvaluationRound.code == ROUND_CODE)):
        return 0
    bases = db.session.scalars(select(FirstBatchBase).order_by(FirstBatchBase.code).limit(len(PLAN))).all()
    admin = _user(username="admin")
    if len(bases) < len(PLAN) or admin is None:
        return 0
    self_deadline, authority_deadline = parse_beijing("2015-10-31 17:00"), parse_beijing("2015-11-30 17:00")
    round_ = svc.create_round(svc.RoundData(code=ROUND_CODE, title=TITLE, year=2015, criteria_id="perf-base-b1",
                                            criteria_version=1, self_deadline=self_deadline,
                                            authority_deadline=authority_deadline,
                                            base_ids=[b.id for b in bases]), actor=admin)
    system = svc.system_of(round_)
    fields = {f.id: f for f in svc.input_fields(system)}
    issued = 0
    for ev, (fraction, final) in zip(round_.evaluations, PLAN):
        a = Decimal(fraction)
        operator = _user(organisation_id=ev.base.organisation_id, role=Role.APPLICANT)
        authority = _user(authority_code=ev.base.authority_code, role=Role.AUTHORITY)
        if operator is None or authority is None:
            continue
        prefill = svc.fund_prefill(ev.base, round_.year)
        stored = figures_at(ev.base.target_values(), prefill.received if prefill else 0, a)
        stored.update(prefill.as_fields() if prefill else {})
        texts = {k: display(fields[k], v) for k, v in stored.items() if k in fields}
        self_evaluation.save_self_evaluation(ev, self_evaluation.SelfEvaluationInput(texts, NARRATIVE), actor=operator)
        if final == "draft":
            continue
        self_evaluation.submit_self_evaluation(ev, actor=operator, now=self_deadline - timedelta(days=5))
        if final == "self_evaluated":
            continue
        points = {i.id: str((Decimal(str(i.max)) * a).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
                  for i in system.scored_indicators if i.type == "E"}
        comments = {k: ("符合要求" if a >= Decimal("0.8") else "存在不足，需改进") for k in points}
        evaluation_review.save_authority_evaluation(ev, evaluation_review.AuthorityInput(
            points=points, comments=comments, figures={}, reasons={},
            conclusions=f"该基地创建工作总体完成情况{'良好' if a >= Decimal('0.8') else '一般' if a >= Decimal('0.6') else '较差'}。",
            problems="部分项目建设进度滞后于创建方案，资金执行率有待提高。",
            recommendations="加快项目实施和验收，完善资金使用台账，提升公共服务平台运营能力。",
            bonus="2" if a >= Decimal("0.95") else ""), actor=authority)
        evaluation_review.submit_evaluation(ev, actor=authority, now=authority_deadline - timedelta(days=5))
        if final == "evaluated":
            continue
        evaluation_review.accept_evaluation(ev, actor=admin)
        if ev.grade_label == "差":
            item = rect.require_rectification(ev, requirement="对照评价发现的问题逐项整改，3个月内报送整改报告。",
                                              actor=admin)
            if a < Decimal("0.42"):  # the weakest base: rectification fails, title revoked, funds recovered
                rect.submit_rectification_report(item, report="已完成部分整改，平台运营仍未恢复。", actor=operator)
                rect.recheck_rectification(item, passed=False, result="整改不到位，主要问题未解决。", actor=authority)
                recover = prefill.received - prefill.spent_compliant if prefill else 0
                rect.revoke_title(item, amount_fen=max(recover, 100_000_00), reason="整改复查不合格，撤销称号并收回补助资金",
                                  document_no="商电函〔2016〕1号", actor=admin)
        elif issued < 2:
            issue_report(ev, actor=admin)
            issued += 1
    db.session.flush()
    return len(round_.evaluations)
