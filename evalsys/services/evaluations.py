"""Performance evaluation workflow (issue 7): rounds, the operator's self-evaluation, the authority's
evaluation with corrections, the ministry's acceptance or return. Services flush and audit; the
view or command commits once."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..domain import evaluation as rules
from ..domain.criteria import CriteriaSystem, Field
from ..domain.evaluation import EvalAction, EvaluationState, Party
from ..domain.figures import FigureError, display, parse_input
from ..domain.funds import is_forbidden
from ..extensions import db
from ..models import (Allocation, ComplianceFlag, Evaluation, EvaluationAttachment, EvaluationEvent, EvaluationRound,
                      EvaluationScore, EvaluationValue, Expenditure, FirstBatchBase, StoredFile, User)
from ..models.types import utcnow
from . import audit
from . import criteria as criteria_svc
from . import funds_query
from ..domain.errors import DomainError

MINISTRY_UNIT = "商务部"


class EvaluationError(DomainError, ValueError):
    """A refused evaluation operation; `messages` are Chinese, keyed by field where known."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None,
                 problems: Iterable[str] = ()) -> None:
        super().__init__(message, problems)
        self.errors = dict(errors or {})


def check_version(obj: object, expected: int | None) -> None:
    """Refuse an edit made from a page showing an older version (the 409 "stale" page)."""
    if expected is not None and getattr(obj, "version_id") != expected:
        raise StaleDataError(f"{type(obj).__name__} version {expected} is stale")


def system_of(round_: EvaluationRound) -> CriteriaSystem:
    """The round's indicator system version."""
    return criteria_svc.system(round_.criteria_id, round_.criteria_version)


def input_fields(system: CriteriaSystem) -> list[Field]:
    """The figures an evaluation asks for: form and fund (system) fields, never derived or plan ones."""
    return [f for f in system.fields if not f.derived and f.source in ("form", "system")]


def stored_value(f: Field, text: str | None) -> object:
    """Storage value from the text kept in evaluation_values (ints for money, ratios, integers)."""
    if text is None:
        return None
    return text if f.kind in ("decimal", "date") else int(text)


# --- rounds ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RoundData:
    code: str
    title: str
    year: int
    criteria_id: str
    criteria_version: int
    self_deadline: dt.datetime
    authority_deadline: dt.datetime
    base_ids: list[int] = field(default_factory=list)
    issuer: str = "中华人民共和国商务部电子商务和信息化司"


def create_round(data: RoundData, *, actor: User | None = None) -> EvaluationRound:
    """Create a round and one draft evaluation per base in scope."""
    code = data.code.strip().lower()
    errors = {}
    if not code or db.session.scalar(select(EvaluationRound.id).where(EvaluationRound.code == code)):
        errors["code"] = "批次代码已存在或为空"
    try:
        system = criteria_svc.system(data.criteria_id, data.criteria_version)
        if system.kind != "performance":
            errors["criteria"] = "请选择绩效评价指标体系"
    except Exception:
        errors["criteria"] = "指标体系不存在或无效"
    if data.authority_deadline < data.self_deadline:
        errors["authority_deadline"] = "主管部门评价截止时间不能早于自评截止时间"
    if not data.base_ids:
        errors["base_ids"] = "请至少选择一个基地"
    if errors:
        raise EvaluationError(next(iter(errors.values())), errors)
    round_ = EvaluationRound(code=code, title=data.title.strip(), year=data.year, criteria_id=data.criteria_id,
                             criteria_version=data.criteria_version, self_deadline=data.self_deadline,
                             authority_deadline=data.authority_deadline, issuer=data.issuer.strip(),
                             created_by_id=actor.id if actor else None)
    db.session.add(round_)
    db.session.flush()
    bases = db.session.scalars(select(FirstBatchBase).where(FirstBatchBase.id.in_(data.base_ids))
                               .order_by(FirstBatchBase.code)).all()
    for base in bases:
        db.session.add(Evaluation(round_id=round_.id, base_id=base.id, state=EvaluationState.DRAFT, narratives={}))
    db.session.flush()
    audit.record("evaluation_round_created", obj=round_, actor=actor,
                 detail={"code": code, "criteria": f"{data.criteria_id}:{data.criteria_version}",
                         "bases": [b.code for b in bases]})
    return round_


# --- fund figures -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FundPrefill:
    """Fund figures of a base up to the round's year, in fen (the system fields of the perf system)."""

    allocated: int
    received: int
    spent: int
    spent_compliant: int

    def as_fields(self) -> dict[str, int]:
        return {"funds_allocated": self.allocated, "funds_received": self.received,
                "funds_spent": self.spent, "funds_spent_compliant": self.spent_compliant}


def fund_prefill(base: FirstBatchBase, year: int) -> FundPrefill | None:
    """Figures from the base's fund records (allocations up to `year`); None when it has none."""
    years = [(y, f) for y, f in funds_query.year_figures(base) if y <= year]
    if not years:
        return None
    spent_compliant = 0
    for y, _ in years:
        spent_compliant += sum(fen for code, fen in funds_query.category_spending([base.id], y).items()
                               if not is_forbidden(code))
    return FundPrefill(sum(f.allocated_fen for _, f in years), sum(f.received_fen for _, f in years),
                       sum(f.spent_fen for _, f in years), spent_compliant)


def fund_flags(base: FirstBatchBase) -> list[ComplianceFlag]:
    """The base's compliance flags (all states), newest first, for the authority and the ministry."""
    return list(db.session.scalars(
        select(ComplianceFlag).join(Expenditure, Expenditure.id == ComplianceFlag.expenditure_id)
        .join(Allocation, Allocation.id == Expenditure.allocation_id)
        .where(Allocation.base_id == base.id).order_by(ComplianceFlag.id.desc())))


# --- reading an evaluation ------------------------------------------------------------------------------

def values_of(ev: Evaluation) -> dict[str, EvaluationValue]:
    return {v.field_id: v for v in ev.values}


def stored_values(ev: Evaluation, system: CriteriaSystem) -> dict[str, object]:
    """Current figures in storage units (after any correction)."""
    by_id = values_of(ev)
    return {f.id: stored_value(f, by_id[f.id].value) for f in input_fields(system)
            if f.id in by_id and by_id[f.id].value is not None}


def e_points(ev: Evaluation) -> dict[str, Decimal | None]:
    return {s.indicator_id: (Decimal(s.points) if s.points is not None else None) for s in ev.scores}


def current_score(ev: Evaluation, system: CriteriaSystem | None = None) -> rules.ScoreResult:
    """The score as it stands now (also for drafts: missing parts score 0 and are listed)."""
    system = system or system_of(ev.round)
    bonus = Decimal(ev.bonus) if ev.bonus else None
    return rules.score(system, stored_values(ev, system), ev.base.target_values(), e_points(ev), bonus)


def _event(ev: Evaluation, action: str, unit: str, actor: User | None, reason: str = "",
           before: EvaluationState | None = None) -> None:
    ev.events.append(EvaluationEvent(action=action, from_state=before.value if before else None,
                                   to_state=ev.state.value, acting_unit=unit, actor_id=actor.id if actor else None,
                                   reason=reason))


def operator_unit(ev: Evaluation) -> str:
    return ev.base.operator.name


def authority_unit(ev: Evaluation) -> str:
    return ev.base.authority.full_name


def _transition(ev: Evaluation, action: EvalAction, party: Party, unit: str, actor: User | None,
                reason: str = "") -> None:
    try:
        target = rules.next_state(ev.state, action, party, reason)
    except rules.EvaluationTransitionError as e:
        raise EvaluationError(str(e)) from None
    before = ev.state
    ev.state = target
    db.session.flush()  # the version check: a concurrent transition raises StaleDataError
    _event(ev, action.value, unit, actor, reason.strip(), before)
    audit.record(f"evaluation_{action.value}", obj=ev, actor=actor,
                 detail={"from": before.value, "to": target.value, "reason": reason.strip() or None,
                         "base": ev.base.code, "round": ev.round.code})


# --- the operator's self-evaluation ---------------------------------------------------------------------

@dataclass(frozen=True)
class SelfEvaluationInput:
    """What the operator typed: figures as text by field id, narratives by level-1 group id."""

    figures: dict[str, str]
    narratives: dict[str, str]


def save_self_evaluation(ev: Evaluation, data: SelfEvaluationInput, *, actor: User,
                         expected_version: int | None = None) -> None:
    """Save the operator's figures and narratives (draft only); bad figures raise per field."""
    check_version(ev, expected_version)
    if ev.state not in rules.OPERATOR_EDITABLE:
        raise EvaluationError("自评已提交，不能再修改")
    system = system_of(ev.round)
    prefill = fund_prefill(ev.base, ev.round.year)
    prefilled = prefill.as_fields() if prefill else {}
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    for f in input_fields(system):
        try:
            parsed[f.id] = parse_input(f, data.figures.get(f.id))
        except FigureError as e:
            errors[f.id] = str(e)
    if errors:
        raise EvaluationError("请更正标出的数据", errors)
    existing = values_of(ev)
    for f in input_fields(system):
        value = parsed[f.id]
        text = None if value is None else str(value)
        row = existing.get(f.id)
        if row is None:
            row = EvaluationValue(field_id=f.id)
            ev.values.append(row)
        row.value = text
        row.prefilled = value is not None and prefilled.get(f.id) == value
    groups = {g.id for g in system.groups}
    ev.narratives = {k: v.strip() for k, v in data.narratives.items() if k in groups}
    db.session.flush()
    audit.record("evaluation_self_saved", obj=ev, actor=actor,
                 detail={"figures": {k: (None if v is None else str(v)) for k, v in parsed.items()}})


def figure_form_values(ev: Evaluation, system: CriteriaSystem) -> dict[str, str]:
    """Text for the figure inputs: what is stored, else the fund records' figures (prefill)."""
    by_id = values_of(ev)
    prefill = fund_prefill(ev.base, ev.round.year)
    fund = prefill.as_fields() if prefill else {}
    out = {}
    for f in input_fields(system):
        row = by_id.get(f.id)
        if row is not None and row.value is not None:
            out[f.id] = display(f, stored_value(f, row.value))
        elif f.id in fund:
            out[f.id] = display(f, fund[f.id])
        else:
            out[f.id] = ""
    return out


def attach_evidence(ev: Evaluation, stored: StoredFile, label: str, *, actor: User) -> EvaluationAttachment:
    """Attach an evidence file to the self-evaluation (draft only)."""
    if ev.state not in rules.OPERATOR_EDITABLE:
        raise EvaluationError("自评已提交，不能再添加佐证材料")
    item = EvaluationAttachment(file_id=stored.id, label=label.strip()[:200] or stored.original_name,
                                uploaded_by_id=actor.id)
    ev.attachments.append(item)
    db.session.flush()
    audit.record("evaluation_evidence_attached", obj=ev, actor=actor,
                 detail={"file_id": stored.id, "sha256": stored.sha256, "label": item.label})
    return item


def submit_self_evaluation(ev: Evaluation, *, actor: User, expected_version: int | None = None,
                           now: dt.datetime | None = None) -> None:
    """Submit the self-evaluation: every figure given and each group's narrative written, before the deadline."""
    check_version(ev, expected_version)
    now = now or utcnow()
    if now >= ev.round.self_deadline:
        raise EvaluationError("自评截止时间已过，不能提交")
    system = system_of(ev.round)
    values = stored_values(ev, system)
    missing = [f.label for f in input_fields(system) if f.id not in values]
    missing += [f"{g.title}自评说明" for g in system.groups if not (ev.narratives or {}).get(g.id)]
    if missing:
        raise EvaluationError("以下内容尚未填写：" + "、".join(missing))
    _transition(ev, EvalAction.SUBMIT_SELF, Party.OPERATOR, operator_unit(ev), actor)
    ev.self_submitted_at = now


# --- the authority's evaluation --------------------------------------------------------------------------

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
        raise EvaluationError("当前状态下不能修改评价")
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
                errors[f"reason-{f.id}"] = "更正数据必须说明理由"
                continue
            corrections[f.id] = (old, new_text, reason)
    if errors:
        raise EvaluationError("请更正标出的内容", errors)
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
        raise EvaluationError("主管部门评价截止时间已过，不能提交")
    result = current_score(ev)
    missing = result.missing
    for label, text in (("综合评价结论", ev.conclusions), ("存在的问题", ev.problems), ("有关建议", ev.recommendations)):
        if not text.strip():
            missing.append(label)
    if missing:
        raise EvaluationError("以下内容尚未完成：", problems=missing)
    _transition(ev, EvalAction.SUBMIT_EVALUATION, Party.AUTHORITY, authority_unit(ev), actor)
    ev.total, ev.grade_code, ev.grade_label = str(result.total), result.grade.code, result.grade.label
    ev.evaluated_at = now
    ev.return_reason = ""
    return result


# --- the ministry ------------------------------------------------------------------------------------------

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
