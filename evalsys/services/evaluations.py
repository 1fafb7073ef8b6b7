"""Performance evaluation workflow: rounds, the fund figures an evaluation starts from, reading an
evaluation and the transition every party's step goes through. The operator's part is in
self_evaluation, the authority's and the ministry's in evaluation_review. Services flush and audit;
the view or command commits once."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from ..domain import evaluation as rules
from ..domain.criteria import CriteriaSystem, Field
from ..domain.evaluation import EvalAction, EvaluationState, Party
from ..domain.funds import is_forbidden
from ..extensions import db
from ..models import (Allocation, ComplianceFlag, Evaluation, EvaluationEvent, EvaluationRound,
                      EvaluationValue, Expenditure, FirstBatchBase, User)
from . import audit
from . import criteria as criteria_svc
from .criteria import system_of
from . import funds_query
from ..domain.errors import DomainError, N_
from typing import Any

MINISTRY_UNIT = "商务部"


class EvaluationError(DomainError, ValueError):
    """A refused evaluation operation; `messages` are Chinese, keyed by field where known."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None,
                 problems: Iterable[str] = (), **params: Any) -> None:
        super().__init__(message, problems, **params)
        self.errors = dict(errors or {})


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
        errors["code"] = N_("批次代码已存在或为空")
    try:
        system = criteria_svc.system(data.criteria_id, data.criteria_version)
        if system.kind != "performance":
            errors["criteria"] = N_("请选择绩效评价指标体系")
    except Exception:
        errors["criteria"] = N_("指标体系不存在或无效")
    if data.authority_deadline < data.self_deadline:
        errors["authority_deadline"] = N_("主管部门评价截止时间不能早于自评截止时间")
    if not data.base_ids:
        errors["base_ids"] = N_("请至少选择一个基地")
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
