"""Expert review (domain.md §5), the score sheets: scoring, divergence, closing the window, reopening.

Which sheets count: a submitted sheet of an active assignment (`run_readiness.counted_sheets`).
Scores are stored in tenths of a point, so steps of 0.1 are exact integers.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..domain.criteria import CriteriaSystem, Indicator
from ..domain.experts import divergence_flags, is_valid_expert_score
from ..domain.marking import N_
from ..domain.timeutil import ensure_aware, format_beijing
from ..domain.workflow import Action, ApplicationState
from ..extensions import db
from ..models import Application, Assignment, AssignmentState, Call, Score, ScoreSheet, SheetState, User
from ..models.types import utcnow
from . import audit
from .applications import apply_action
from .assignment import ReviewError
from .criteria import system_of
from .notify import notice, path_for
from .run_readiness import SheetShortfall, counted_sheets, missing_sheets
from ..domain.errors import N_, Message


# --- score sheets ------------------------------------------------------------------------------

_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)


def expert_indicators(system: CriteriaSystem) -> tuple[Indicator, ...]:
    """The E indicators of a system, in file order: one field each on the score sheet."""
    return tuple(i for i in system.indicators if i.type == "E")


def parse_score(text: str, max_points: float) -> int:
    """A typed score → tenths of a point; ValueError (Chinese) unless 0 ≤ score ≤ max in steps of 0.1."""
    raw = (text or "").strip()
    if not _NUMBER.fullmatch(raw):
        raise ValueError(N_("请输入数字（如 7.5）"))
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(N_("请输入数字（如 7.5）")) from None
    if value > Decimal(repr(float(max_points))):
        raise ValueError(Message(N_("不能超过该指标满分%(max_points)g分"), max_points=max_points))
    if value * 10 != (value * 10).to_integral_value():
        raise ValueError(N_("分值以0.1分为单位"))
    if not is_valid_expert_score(float(value), max_points):  # the one rule the ranking engine applies too
        raise ValueError(N_("分值无效"))
    return int(value * 10)


@dataclass
class SheetInput:
    """The score sheet form: typed scores and comments per indicator id, and the general comment."""

    scores: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    comment: str = ""


class SheetErrors(ReviewError):
    """Problems with the typed scores, per indicator id ("" for the sheet as a whole)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(N_("表单有错误，请按提示修改"), problems=errors.values(), status=422)
        self.errors = errors


def sheet_of(assignment: Assignment) -> ScoreSheet | None:
    """The assignment's sheet, if one was saved."""
    return db.session.scalar(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id))


def scores_of(sheet: ScoreSheet | None) -> dict[str, Score]:
    """The sheet's scores by indicator id."""
    if sheet is None:
        return {}
    return {s.indicator_id: s for s in db.session.scalars(select(Score).where(Score.sheet_id == sheet.id))}


def editing_refusal(assignment: Assignment, sheet: ScoreSheet | None, now: datetime | None = None) -> str | None:
    """Why the reviewer may not change the scores now (Chinese), or None.

    Scoring runs from the start of the review window to its end; after the end only a sheet the
    admin reopened, or one of an assignment made after the end (a replacement), can be completed.
    """
    now = now or utcnow()
    call, app = assignment.application.call, assignment.application
    if assignment.state != AssignmentState.ACTIVE:
        return N_("该评审任务已不在有效状态")
    if call.blind and assignment.no_conflict_confirmed_at is None:
        return N_("请先确认与申报单位无利益冲突")
    if app.state not in (ApplicationState.UNDER_REVIEW, ApplicationState.SCORED):
        return Message(N_("申报当前状态为“%(state)s”，不能评分"), state=Message(app.state.label))
    if sheet is not None and sheet.state == SheetState.SUBMITTED:
        return N_("评分表已提交，不能修改")
    if sheet is not None and sheet.state == SheetState.VOIDED:
        return N_("评分表已作废")
    if call.review_starts_at is not None and now < ensure_aware(call.review_starts_at):
        return N_("评审尚未开始")
    if call.review_ends_at is not None and now >= ensure_aware(call.review_ends_at):
        late_ok = (sheet is not None and sheet.reopened_at is not None) or \
            ensure_aware(assignment.created_at) >= ensure_aware(call.review_ends_at)
        if not late_ok:
            return N_("评审期已结束")
    return None


def _validated(system: CriteriaSystem, data: SheetInput, *, complete: bool) -> dict[str, int | None]:
    errors: dict[str, str] = {}
    values: dict[str, int | None] = {}
    for ind in expert_indicators(system):
        text = (data.scores.get(ind.id) or "").strip()
        if not text:
            values[ind.id] = None
            if complete:
                errors[ind.id] = Message(N_("%(title)s：请评分"), title=ind.title)
            continue
        try:
            values[ind.id] = parse_score(text, ind.max)
        except ValueError as e:
            errors[ind.id] = Message(N_("%(title)s：%(reason)s"), title=ind.title, reason=e)
    if errors:
        raise SheetErrors(errors)
    return values


def _store(assignment: Assignment, data: SheetInput, *, expected_version: int, complete: bool,
           actor: User) -> ScoreSheet:
    sheet = sheet_of(assignment)
    refusal = editing_refusal(assignment, sheet)
    if refusal:
        raise ReviewError(refusal)
    if (sheet.version_id if sheet else 0) != expected_version:
        raise StaleDataError("stale score sheet")
    values = _validated(system_of(assignment.application), data, complete=complete)
    if sheet is None:
        sheet = ScoreSheet(assignment_id=assignment.id)
        db.session.add(sheet)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise StaleDataError("score sheet created in another tab") from None
    stored = scores_of(sheet)
    for ind_id, tenths in values.items():
        comment = (data.comments.get(ind_id) or "").strip()
        row = stored.get(ind_id)
        if tenths is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            db.session.add(Score(sheet_id=sheet.id, indicator_id=ind_id, tenths=tenths, comment=comment))
        else:
            row.tenths, row.comment = tenths, comment
    sheet.comment = (data.comment or "").strip()
    sheet.updated_at = utcnow()  # always an UPDATE, so the version moves and a stale tab is caught
    db.session.flush()
    return sheet


def save_sheet(assignment: Assignment, data: SheetInput, *, actor: User, expected_version: int) -> ScoreSheet:
    """Save a draft (blank fields allowed); refused when submitted, out of time or from a stale tab."""
    sheet = _store(assignment, data, expected_version=expected_version, complete=False, actor=actor)
    audit.record("score_sheet_saved", obj=sheet, actor=actor)
    return sheet


def submit_sheet(assignment: Assignment, data: SheetInput, *, actor: User, expected_version: int) -> ScoreSheet:
    """Submit: every E indicator scored; the sheet locks. After the window closed, divergence is re-judged."""
    sheet = _store(assignment, data, expected_version=expected_version, complete=True, actor=actor)
    sheet.state, sheet.submitted_at = SheetState.SUBMITTED, utcnow()
    sheet.divergence_flagged = False
    db.session.flush()
    audit.record("score_sheet_submitted", obj=sheet, actor=actor,
                 detail={"application": assignment.application_id, "late": sheet.reopened_at is not None})
    if assignment.application.state == ApplicationState.SCORED:
        judge_divergence(assignment.application.call, [assignment.application_id])
    return sheet


def comment_divergence(sheet: ScoreSheet, text: str, *, actor: User, expected_version: int) -> None:
    """A flagged sheet takes a written comment on the divergence; its scores stay locked."""
    if not sheet.divergence_flagged or sheet.state != SheetState.SUBMITTED:
        raise ReviewError(N_("该评分表没有需要说明的偏离"))
    if sheet.version_id != expected_version:
        raise StaleDataError("stale divergence comment")
    text = (text or "").strip()
    if not text:
        raise ReviewError(N_("请填写偏离说明"))
    sheet.divergence_comment = text
    sheet.updated_at = utcnow()
    audit.record("divergence_commented", obj=sheet, actor=actor)


# --- closing, divergence, reopening ------------------------------------------------------------

def divergent_indicators(call: Call, app_ids: list[int] | None = None) -> dict[int, list[str]]:
    """Counted sheet id → the E indicators on which it diverges (domain.md §5), for the given applications."""
    system = system_of(call)
    maxima = {i.id: i.max for i in expert_indicators(system)}
    stmt = (select(Assignment.application_id, ScoreSheet.id, Score.indicator_id, Score.tenths)
            .join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id).join(Score, Score.sheet_id == ScoreSheet.id)
            .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE,
                   ScoreSheet.state == SheetState.SUBMITTED))
    if app_ids is not None:
        stmt = stmt.where(Assignment.application_id.in_(app_ids))
    cells: dict[tuple[int, str], dict[int, float]] = defaultdict(dict)
    for app_id, sheet_id, ind, tenths in db.session.execute(stmt):
        if ind in maxima:
            cells[(app_id, ind)][sheet_id] = tenths / 10
    out: dict[int, list[str]] = defaultdict(list)
    for (_app_id, ind), scores in cells.items():
        for sheet_id in divergence_flags(scores, maxima[ind]):
            out[sheet_id].append(ind)
    return out


def judge_divergence(call: Call, app_ids: list[int] | None = None, *, notify: bool = True) -> list[ScoreSheet]:
    """Flag the counted sheets that diverge; unflag those that no longer do. Returns the newly flagged."""
    flags = divergent_indicators(call, app_ids)
    stmt = counted_sheets(call.id)
    if app_ids is not None:
        stmt = stmt.where(Assignment.application_id.in_(app_ids))
    newly = []
    for sheet, assignment in db.session.execute(stmt).all():
        flagged = sheet.id in flags
        if flagged and not sheet.divergence_flagged:
            sheet.divergence_flagged = True
            newly.append(sheet)
            if notify:
                _notify(assignment, N_("您提交的评分与其他专家评分偏离较大，请填写偏离说明（分值保持不变）。"))
        elif not flagged and sheet.divergence_flagged:
            sheet.divergence_flagged = False
    if newly:
        audit.record("divergence_flagged", obj=call, detail={"sheets": [s.id for s in newly]})
    return newly


def _notify(assignment: Assignment, template: str, params: dict[str, str] | None = None) -> None:
    user_id = assignment.reviewer.user_id
    if user_id is not None:
        notice(user_id, template, params, link=path_for("review.assignment", assignment_id=assignment.id))


@dataclass(frozen=True)
class CloseResult:
    """What closing the review window did."""

    applications: int
    flagged: int
    missing: list[SheetShortfall]


def close_review(call: Call, *, actor: User) -> CloseResult:
    """After the review window: judge divergence (≥ 3 sheets) and move the applications to scored."""
    if call.review_ends_at is None:
        raise ReviewError(N_("该批次未设置评审结束时间"))
    if utcnow() < ensure_aware(call.review_ends_at):
        raise ReviewError(N_("评审期结束（%(time)s）之前不能结束评审"), time=format_beijing(call.review_ends_at))
    apps = list(db.session.scalars(select(Application).where(
        Application.call_id == call.id, Application.state == ApplicationState.UNDER_REVIEW).order_by(Application.id)))
    if not apps:
        raise ReviewError(N_("没有处于专家评审中的申报"))
    for app in apps:
        apply_action(app, Action.CLOSE_REVIEW, actor=actor)
    db.session.flush()
    flagged = judge_divergence(call)
    missing = missing_sheets(call)
    audit.record("review_closed", obj=call, actor=actor, detail={
        "applications": len(apps), "flagged": len(flagged), "missing": [m.application_id for m in missing]})
    return CloseResult(len(apps), len(flagged), missing)


def reopen_sheet(sheet: ScoreSheet, reason: str, *, actor: User) -> None:
    """The admin reopens a submitted sheet, with a reason; every stored run of the call becomes stale."""
    from .runs import mark_call_runs_stale

    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(N_("请填写重新开放的理由"))
    if sheet.state != SheetState.SUBMITTED or sheet.assignment.state != AssignmentState.ACTIVE:
        raise ReviewError(N_("只能重新开放已提交的有效评分表"))
    sheet.state, sheet.submitted_at = SheetState.DRAFT, None
    sheet.divergence_flagged = False
    sheet.reopened_at, sheet.reopen_reason = utcnow(), reason
    call = sheet.assignment.application.call
    audit.record("score_sheet_reopened", obj=sheet, actor=actor, detail={"reason": reason})
    mark_call_runs_stale(call, reason=f"评分表#{sheet.id}重新开放：{reason}", actor=actor)
    _notify(sheet.assignment, N_("管理员重新开放了您的评分表，理由：%(reason)s"), {"reason": reason})
