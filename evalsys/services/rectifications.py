"""Use of results for 差 (domain.md §6): rectification requirement with a deadline, the base's
report, the authority's re-check, and on failure the ministry's revocation with a recovery entry
in the base's fund records."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from ..domain.evaluation import EvaluationState, RectificationState, default_rectification_deadline
from ..extensions import db
from ..models import Evaluation, FundRecovery, Rectification, StoredFile, User
from ..models.types import utcnow
from . import audit
from .evaluations import EvaluationError
from .funds import FundsError
from .sanctions import SanctionError, record_itemised_recovery, recovery_lines
from .versioning import check_version
from ..domain.errors import N_

RESULT_STATES = (EvaluationState.ACCEPTED, EvaluationState.ISSUED)


def require_rectification(ev: Evaluation, *, requirement: str, actor: User, deadline: dt.datetime | None = None,
                          now: dt.datetime | None = None) -> Rectification:
    """The ministry requires a 差 base to rectify; the deadline defaults to 3 months."""
    now = now or utcnow()
    if ev.state not in RESULT_STATES or ev.grade_label != "差":
        raise EvaluationError(N_("只有经审核等级为“差”的基地需要整改"))
    if ev.rectification is not None:
        raise EvaluationError(N_("已下达整改要求"))
    if not requirement.strip():
        raise EvaluationError(N_("请填写整改要求"), {"requirement": N_("请填写整改要求")})
    deadline = deadline or default_rectification_deadline(now)
    if deadline <= now:
        raise EvaluationError(N_("整改期限必须晚于当前时间"), {"deadline": N_("整改期限必须晚于当前时间")})
    item = Rectification(requirement=requirement.strip(), deadline=deadline, required_by_id=actor.id,
                         required_at=now, state=RectificationState.REQUIRED)
    ev.rectification = item
    db.session.flush()
    audit.record("rectification_required", obj=item, actor=actor,
                 detail={"evaluation_id": ev.id, "base": ev.base.code, "deadline": deadline.isoformat()})
    return item


def submit_rectification_report(item: Rectification, *, report: str, actor: User, file: StoredFile | None = None,
                                expected_version: int | None = None, now: dt.datetime | None = None) -> None:
    """The base operator reports what it rectified, before the deadline."""
    check_version(item, expected_version)
    now = now or utcnow()
    if item.state not in (RectificationState.REQUIRED,):
        raise EvaluationError(N_("当前不能提交整改报告"))
    if now >= item.deadline:
        raise EvaluationError(N_("整改期限已过，不能再提交整改报告"))
    if not report.strip():
        raise EvaluationError(N_("请填写整改报告"), {"report": N_("请填写整改报告")})
    item.report, item.reported_at, item.state = report.strip(), now, RectificationState.REPORTED
    item.report_file_id = file.id if file else None
    db.session.flush()
    audit.record("rectification_reported", obj=item, actor=actor,
                 detail={"file_id": item.report_file_id})


def recheck_rectification(item: Rectification, *, passed: bool, result: str, actor: User,
                          expected_version: int | None = None, now: dt.datetime | None = None) -> None:
    """The authority re-checks: passed, or failed. Without a report it can only fail, and only
    after the deadline."""
    check_version(item, expected_version)
    now = now or utcnow()
    if not result.strip():
        raise EvaluationError(N_("请填写复查意见"), {"result": N_("请填写复查意见")})
    if item.state == RectificationState.REQUIRED:
        if passed or now < item.deadline:
            raise EvaluationError(N_("基地尚未提交整改报告；期限届满后方可认定整改未通过"))
    elif item.state != RectificationState.REPORTED:
        raise EvaluationError(N_("当前不能复查"))
    item.state = RectificationState.PASSED if passed else RectificationState.FAILED
    item.recheck_result, item.rechecked_by_id, item.rechecked_at = result.strip(), actor.id, now
    db.session.flush()
    audit.record("rectification_rechecked", obj=item, actor=actor, detail={"passed": passed})


def revoke_title(item: Rectification, *, amount_fen: int = 0, reason: str, document_no: str, actor: User,
                 expected_version: int | None = None) -> FundRecovery | None:
    """The ministry revokes the title after a failed rectification and records the funds to recover:
    itemised as each allocation's unspent balance and the spending in forbidden categories
    (sanctions.recovery_lines), plus `amount_fen` the ministry names on top (0 by default).
    None when there is nothing to recover."""
    check_version(item, expected_version)
    if item.state != RectificationState.FAILED:
        raise EvaluationError(N_("只有整改复查未通过的基地才能撤销称号"))
    if not reason.strip():
        raise EvaluationError(N_("请说明收回资金的原因"), {"reason": N_("请说明收回资金的原因")})
    base = item.evaluation.base
    lines = recovery_lines(base)
    recovery = None
    if lines or amount_fen:
        try:
            recovery = record_itemised_recovery(base, lines, other_fen=amount_fen, reason=reason,
                                                document_no=document_no, source=f"evaluation:{item.evaluation_id}",
                                                actor=actor)
        except FundsError as e:
            raise EvaluationError(e.message, {e.field or "amount": e.message}) from None
        except SanctionError as e:
            raise EvaluationError(str(e), {"amount": str(e)}) from None
    item.state, item.revoked_by_id, item.revoked_at = RectificationState.REVOKED, actor.id, utcnow()
    item.recovery_id = recovery.id if recovery else None
    db.session.flush()
    audit.record("base_title_revoked", obj=item, actor=actor,
                 detail={"base": base.code, "recovery_id": item.recovery_id,
                         "amount_fen": recovery.amount_fen if recovery else 0})
    return recovery


def recoveries_of(base_id: int) -> list[FundRecovery]:
    return list(db.session.scalars(select(FundRecovery).where(FundRecovery.base_id == base_id)
                                   .order_by(FundRecovery.id)))


def revoked_base_ids() -> set[int]:
    """Bases whose title was revoked."""
    return set(db.session.scalars(select(Evaluation.base_id).join(Rectification)
                                  .where(Rectification.state == RectificationState.REVOKED)))


def state_counts(round_id: int) -> dict[str, int]:
    """Rectifications of a round per state (dashboard)."""
    rows = db.session.execute(select(Rectification.state, func.count()).join(Evaluation)
                              .where(Evaluation.round_id == round_id).group_by(Rectification.state)).all()
    return {s.value: n for s, n in rows}
