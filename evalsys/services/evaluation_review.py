"""Performance evaluation, the reviewers' part: the authority's evaluation with corrections, the ministry's
acceptance or return, and the report's issue."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..domain import evaluation as rules
from ..domain.evaluation import EvalAction, EvaluationState, Party
from ..domain.figures import FigureError, parse_input
from ..extensions import db
from ..models import Evaluation, EvaluationScore, EvaluationValue, User
from ..models.types import utcnow
from . import audit
from .criteria import system_of
from .evaluations import (MINISTRY_UNIT, EvaluationError, _transition, authority_unit, current_score, input_fields,
                          values_of)
from .versioning import check_version
from ..domain.errors import N_


@dataclass(frozen=True)
class AuthorityInput:
    """The authority's form: E points and comments, figure corrections with reasons, texts, bonus."""

    points: dict[str, str]
    comments: dict[str, str]
    figures: dict[str, str]
    reasons: dict[str, str]
    conclusions: str = ""
    problems: str = ""
    recommendations: str = ""
    other_notes: str = ""
    bonus: str = ""


def save_authority_evaluation(ev: Evaluation, data: AuthorityInput, *, actor: User,
                              expected_version: int | None = None) -> None:
    """Save scores, comments, corrections (each needs a reason and keeps the operator's original)
    and the texts. Editable while self-evaluated or returned by the ministry."""
    check_version(ev, expected_version)
    if ev.state not in rules.AUTHORITY_EDITABLE:
        raise EvaluationError(N_("当前状态下不能修改评价"))
    system = system_of(ev.round)
    errors: dict[str, str] = {}
    points: dict[str, Decimal | None] = {}
    for ind in (i for i in system.scored_indicators if i.type == "E"):
        text = (data.points.get(ind.id) or "").strip()
        if not text:
            points[ind.id] = None
            continue
        try:
            points[ind.id] = rules.parse_e_points(text, ind.max)
        except ValueError as e:
            errors[f"points-{ind.id}"] = str(e)
    bonus = None
    if data.bonus.strip():
        try:
            bonus = rules.parse_e_points(data.bonus, system.bonus_max)
        except ValueError as e:
            errors["bonus"] = str(e)
    by_id = values_of(ev)
    corrections: dict[str, tuple[str | None, str | None, str]] = {}
    for f in input_fields(system):
        if f.id not in data.figures:
            continue
        try:
            new = parse_input(f, data.figures.get(f.id))
        except FigureError as e:
            errors[f"figure-{f.id}"] = str(e)
            continue
        row = by_id.get(f.id)
        old = row.value if row is not None else None
        new_text = None if new is None else str(new)
        if new_text != old:
            reason = (data.reasons.get(f.id) or "").strip()
            if not reason:
                errors[f"reason-{f.id}"] = N_("更正数据必须说明理由")
                continue
            corrections[f.id] = (old, new_text, reason)
    if errors:
        raise EvaluationError(N_("请更正标出的内容"), errors)
    scores = {s.indicator_id: s for s in ev.scores}
    for ind_id, p in points.items():
        row = scores.get(ind_id)
        if row is None:
            row = EvaluationScore(indicator_id=ind_id)
            ev.scores.append(row)
        row.points = None if p is None else str(p)
        row.comment = (data.comments.get(ind_id) or "").strip()
    now = utcnow()
    for field_id, (old, new_text, reason) in corrections.items():
        row = by_id.get(field_id)
        if row is None:
            row = EvaluationValue(field_id=field_id)
            ev.values.append(row)
        if not row.corrected:
            row.original = old  # the operator's figure, kept however often the authority corrects
        row.value, row.corrected, row.correction_reason = new_text, True, reason
        row.corrected_by_id, row.corrected_at = actor.id, now
    ev.conclusions, ev.problems = data.conclusions.strip(), data.problems.strip()
    ev.recommendations, ev.other_notes = data.recommendations.strip(), data.other_notes.strip()
    ev.bonus = None if bonus is None else str(bonus.quantize(rules.TWO_PLACES))
    ev.total = ev.grade_code = ev.grade_label = None  # fixed again on submission
    db.session.flush()
    audit.record("evaluation_authority_saved", obj=ev, actor=actor,
                 detail={"points": {k: (None if v is None else str(v)) for k, v in points.items()},
                         "corrections": {k: {"from": o, "to": n, "reason": r} for k, (o, n, r) in corrections.items()},
                         "bonus": ev.bonus})


def return_self_evaluation(ev: Evaluation, *, reason: str, actor: User, expected_version: int | None = None) -> None:
    """The authority sends the self-evaluation back to the operator with a reason."""
    check_version(ev, expected_version)
    _transition(ev, EvalAction.RETURN_SELF, Party.AUTHORITY, authority_unit(ev), actor, reason)
    ev.return_reason = reason.strip()


def submit_evaluation(ev: Evaluation, *, actor: User, expected_version: int | None = None,
                      now: dt.datetime | None = None) -> rules.ScoreResult:
    """The authority submits to the ministry: complete scores, conclusions; total and grade fixed."""
    check_version(ev, expected_version)
    now = now or utcnow()
    if now >= ev.round.authority_deadline:
        raise EvaluationError(N_("主管部门评价截止时间已过，不能提交"))
    result = current_score(ev)
    missing = result.missing
    for label, text in (("综合评价结论", ev.conclusions), ("存在的问题", ev.problems), ("有关建议", ev.recommendations)):
        if not text.strip():
            missing.append(label)
    if missing:
        raise EvaluationError(N_("以下内容尚未完成："), problems=missing)
    _transition(ev, EvalAction.SUBMIT_EVALUATION, Party.AUTHORITY, authority_unit(ev), actor)
    ev.total, ev.grade_code, ev.grade_label = str(result.total), result.grade.code, result.grade.label
    ev.evaluated_at = now
    ev.return_reason = ""
    return result


def accept_evaluation(ev: Evaluation, *, actor: User, expected_version: int | None = None) -> None:
    """The ministry accepts the authority's evaluation (total and grade as submitted)."""
    check_version(ev, expected_version)
    _transition(ev, EvalAction.ACCEPT, Party.MINISTRY, MINISTRY_UNIT, actor)
    ev.accepted_at = utcnow()


def return_evaluation(ev: Evaluation, *, reason: str, actor: User, expected_version: int | None = None) -> None:
    """The ministry returns the evaluation to the authority with a reason."""
    check_version(ev, expected_version)
    _transition(ev, EvalAction.RETURN, Party.MINISTRY, MINISTRY_UNIT, actor, reason)
    ev.return_reason = reason.strip()


def mark_issued(ev: Evaluation, *, actor: User | None) -> None:
    """Record the first issue of the evaluation's report (reissues keep the state)."""
    if ev.state == EvaluationState.ISSUED:
        return
    _transition(ev, EvalAction.ISSUE, Party.MINISTRY, MINISTRY_UNIT, actor)
    ev.issued_at = utcnow()
