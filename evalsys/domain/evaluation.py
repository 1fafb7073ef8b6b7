"""Performance evaluation of a first-batch base (domain.md §6(c), §9): states and transitions,
points against the base's own creation-plan targets, the total (half-up, 2 decimals), the grade,
rectification deadlines and report serial numbers. Pure Python: literals in, literals out."""
from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from evalsys.domain.criteria import CriteriaSystem, Indicator
from evalsys.domain.figures import matrix_values
from evalsys.domain.marking import N_
from evalsys.domain.scoring import round_half_up, target_points
from .errors import DomainError, Message

TWO_PLACES = Decimal("0.01")
# Expert (E) points are entered in steps of 0.1, like expert review scores (domain.md §5).
E_STEP = Decimal("0.1")
RECTIFICATION_MONTHS = 3


class EvaluationState(StrEnum):
    """Where one base's evaluation stands; the value is what the database stores."""

    DRAFT = "draft"
    SELF_EVALUATED = "self_evaluated"
    EVALUATED = "evaluated"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    ISSUED = "issued"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    EvaluationState.DRAFT: N_("自评中"),
    EvaluationState.SELF_EVALUATED: N_("已提交自评"),
    EvaluationState.EVALUATED: N_("主管部门已评价"),
    EvaluationState.ACCEPTED: N_("商务部已审核通过"),
    EvaluationState.RETURNED: N_("商务部退回"),
    EvaluationState.ISSUED: N_("报告已出具"),
}


class EvalAction(StrEnum):
    """What a party does to an evaluation."""

    SUBMIT_SELF = "submit_self"        # the base operator submits its self-evaluation
    RETURN_SELF = "return_self"        # the authority sends the self-evaluation back (reason)
    SUBMIT_EVALUATION = "submit_evaluation"  # the authority submits its evaluation to the ministry
    ACCEPT = "accept"                  # the ministry accepts
    RETURN = "return"                  # the ministry returns it to the authority (reason)
    ISSUE = "issue"                    # the report is issued (signed PDF)


class Party(StrEnum):
    OPERATOR = "operator"
    AUTHORITY = "authority"
    MINISTRY = "ministry"


ACTION_LABELS = {
    EvalAction.SUBMIT_SELF: N_("提交自评"),
    EvalAction.RETURN_SELF: N_("退回自评"),
    EvalAction.SUBMIT_EVALUATION: N_("提交评价结果"),
    EvalAction.ACCEPT: N_("审核通过"),
    EvalAction.RETURN: N_("退回主管部门"),
    EvalAction.ISSUE: N_("出具报告"),
}

# (state, action) -> (party allowed, next state, reason required)
TRANSITIONS: dict[tuple[EvaluationState, EvalAction], tuple[Party, EvaluationState, bool]] = {
    (EvaluationState.DRAFT, EvalAction.SUBMIT_SELF): (Party.OPERATOR, EvaluationState.SELF_EVALUATED, False),
    (EvaluationState.SELF_EVALUATED, EvalAction.RETURN_SELF): (Party.AUTHORITY, EvaluationState.DRAFT, True),
    (EvaluationState.SELF_EVALUATED, EvalAction.SUBMIT_EVALUATION):
        (Party.AUTHORITY, EvaluationState.EVALUATED, False),
    (EvaluationState.RETURNED, EvalAction.SUBMIT_EVALUATION): (Party.AUTHORITY, EvaluationState.EVALUATED, False),
    (EvaluationState.EVALUATED, EvalAction.ACCEPT): (Party.MINISTRY, EvaluationState.ACCEPTED, False),
    (EvaluationState.EVALUATED, EvalAction.RETURN): (Party.MINISTRY, EvaluationState.RETURNED, True),
    (EvaluationState.ACCEPTED, EvalAction.ISSUE): (Party.MINISTRY, EvaluationState.ISSUED, False),
}

# States in which each party may still edit its own part.
OPERATOR_EDITABLE = frozenset({EvaluationState.DRAFT})
AUTHORITY_EDITABLE = frozenset({EvaluationState.SELF_EVALUATED, EvaluationState.RETURNED})


class EvaluationTransitionError(DomainError, ValueError):
    """A refused transition; the message is Chinese and shown to the user."""


def next_state(state: EvaluationState, action: EvalAction, party: Party, reason: str = "") -> EvaluationState:
    """The state after `party` does `action`, or EvaluationTransitionError (Chinese) if not allowed."""
    rule = TRANSITIONS.get((state, action))
    if rule is None:
        raise EvaluationTransitionError(N_("当前状态“%(state)s”下不能%(action)s"),
                                        state=Message(state.label), action=Message(ACTION_LABELS[action]))
    allowed, target, needs_reason = rule
    if party != allowed:
        raise EvaluationTransitionError(N_("无权%(action)s"), action=Message(ACTION_LABELS[action]))
    if needs_reason and not reason.strip():
        raise EvaluationTransitionError(N_("%(action)s必须说明理由"), action=Message(ACTION_LABELS[action]))
    return target


def allowed_actions(state: EvaluationState, party: Party) -> list[EvalAction]:
    """Actions `party` may take in `state` (for buttons)."""
    return [a for (s, a), (p, _t, _r) in TRANSITIONS.items() if s == state and p == party]


# --- totals and grades ------------------------------------------------------------------------------

def to_two_places(value: float | Decimal | str) -> Decimal:
    """A score as Decimal with 2 decimals, rounded half-up as by hand (89.995 → 90.00)."""
    if isinstance(value, float):
        return Decimal(repr(round_half_up(value, 2))).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class GradeBand:
    code: str
    label: str
    minimum: Decimal


def grade_bands(system: CriteriaSystem) -> tuple[GradeBand, ...]:
    """The system's grade bands, best first (优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 ≥ 0 in perf-base-b1)."""
    return tuple(GradeBand(c, lbl, Decimal(str(m))) for c, lbl, m in
                 sorted(system.grades, key=lambda g: g[2], reverse=True))


def grade_of(total: Decimal | float | str, bands: tuple[GradeBand, ...]) -> GradeBand:
    """The band the total falls in after rounding half-up to 2 decimals (89.995 → 90.00 → 优)."""
    rounded = to_two_places(total)
    for band in bands:
        if rounded >= band.minimum:
            return band
    return bands[-1]


# --- points ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorResult:
    """One row of the indicator table: target and actual in matrix units, points, or why missing."""

    indicator: Indicator
    target: float | None
    actual: float | None
    points: Decimal  # shown and stored: half-up to 2 decimals
    missing: str | None = None  # Chinese reason when points could not be computed (then 0)
    exact: float | None = None  # unrounded points, what subtotals and the total add up (§7)

    @property
    def unrounded(self) -> float:
        """The points before rounding (E points are exact to 0.1 already)."""
        return float(self.points) if self.exact is None else self.exact


@dataclass(frozen=True)
class GroupResult:
    id: str
    title: str
    max: Decimal
    points: Decimal
    rows: tuple[IndicatorResult, ...]
    title_en: str = ""


@dataclass(frozen=True)
class ScoreResult:
    """The whole score of one evaluation."""

    groups: tuple[GroupResult, ...]
    total: Decimal
    bonus: Decimal
    grade: GradeBand

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def missing(self) -> list[str]:
        return [f"{r.indicator.title}：{r.missing}" for g in self.groups for r in g.rows if r.missing]


def parse_e_points(text: str | Decimal | None, maximum: float) -> Decimal:
    """Expert points in steps of 0.1 within 0..max; ValueError (Chinese) otherwise."""
    if text is None or str(text).strip() == "":
        raise ValueError(N_("请填写得分"))
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValueError(N_("得分必须是数字")) from None
    if not value.is_finite():
        raise ValueError(N_("得分必须是数字"))
    if value % E_STEP != 0:
        raise ValueError(N_("得分按0.1分为单位填写"))
    if value < 0 or value > Decimal(str(maximum)):
        raise ValueError(Message(N_("得分应在0至%(maximum)s分之间"),
                                 maximum=format(Decimal(str(maximum)).normalize(), "f")))
    return value.quantize(E_STEP)


def score(system: CriteriaSystem, stored_values: Mapping[str, object], stored_targets: Mapping[str, object],
          e_points: Mapping[str, Decimal | None], bonus: Decimal | None = None) -> ScoreResult:
    """Points of every indicator, group subtotals, total (half-up 2 decimals), grade.

    `stored_values` are in storage units (fen, basis points…; figures.py), `stored_targets` are
    plan-target integers (units.PLAN_SCALE: 1/10000 for decimals such as 元/元);
    derived figures are computed here. An indicator whose figure or target is missing scores 0 and
    says why, so a page can show an incomplete evaluation; submission requires none missing.
    Rounding as §7: subtotals and the total add the unrounded indicator points and round half-up
    to 2 decimals once, at the end (59.995 → 60.00 → 中); each indicator's shown points are its own
    points rounded the same way, so a shown column may differ from the total by a cent.
    """
    values = matrix_values(system, dict(stored_values))
    targets = {f.id: v for f in system.fields if f.source == "plan"
               for v in [_target_matrix(system, f.id, stored_targets.get(f.id))] if v is not None}
    groups = []
    for g in system.groups:
        rows = []
        for ind in (i for i in system.scored_indicators if i.group == g.id):
            rows.append(_indicator(system, ind, values, targets, e_points))
        subtotal = to_two_places(math.fsum(r.unrounded for r in rows))
        groups.append(GroupResult(g.id, g.title, Decimal(str(g.max)), subtotal, tuple(rows), g.title_en))
    total = to_two_places(math.fsum(r.unrounded for g in groups for r in g.rows))
    clamped_bonus = min(max(bonus or Decimal(0), Decimal(0)), Decimal(str(system.bonus_max))).quantize(TWO_PLACES)
    return ScoreResult(tuple(groups), total, clamped_bonus, grade_of(total, grade_bands(system)))


def _target_matrix(system: CriteriaSystem, field_id: str, stored: object) -> float | None:
    """A plan target (integer in its kind's plan scale, units.py) in matrix units."""
    from evalsys.domain.figures import to_matrix
    from evalsys.domain.units import plan_to_stored

    field = system.field(field_id)
    return None if stored is None else to_matrix(field, plan_to_stored(field, int(stored)))  # type: ignore[return-value,arg-type]


def _indicator(system: CriteriaSystem, ind: Indicator, values: Mapping[str, object],
               targets: Mapping[str, float], e_points: Mapping[str, Decimal | None]) -> IndicatorResult:
    if ind.type == "E":
        p = e_points.get(ind.id)
        if p is None:
            return IndicatorResult(ind, None, None, Decimal("0.00"), N_("尚未评分"))
        return IndicatorResult(ind, None, None, Decimal(p).quantize(TWO_PLACES))
    assert ind.field is not None and ind.rule is not None
    target = targets.get(ind.rule.target_field or "") if ind.rule.target_field else ind.rule.target
    actual = values.get(ind.field)
    if isinstance(actual, bool):
        actual = float(actual)
    if actual is None or not math.isfinite(float(actual)):  # type: ignore[arg-type]
        return IndicatorResult(ind, target, None, Decimal("0.00"), N_("实际值未填写或无法计算"))
    if target is None or target <= 0:
        return IndicatorResult(ind, target, float(actual), Decimal("0.00"),  # type: ignore[arg-type]
                               N_("创建方案缺少该项目标值"))
    points = target_points(float(actual), float(target), ind.max, ind.higher_is_better)  # type: ignore[arg-type]
    return IndicatorResult(ind, float(target), float(actual), to_two_places(points),  # type: ignore[arg-type]
                           exact=float(points))


# --- rectification and serials ------------------------------------------------------------------------

class RectificationState(StrEnum):
    """Use of results for 差 (domain.md §6): rectify within 3 months, else revocation and recovery."""

    REQUIRED = "required"
    REPORTED = "reported"
    PASSED = "passed"
    FAILED = "failed"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return {"required": N_("整改中"), "reported": N_("已提交整改报告"), "passed": N_("复查通过"),
                "failed": N_("复查未通过"), "revoked": N_("已撤销称号")}[self.value]


def add_months(moment: datetime, months: int) -> datetime:
    """Same day `months` later (clamped to the month's last day), same time of day and zone."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def default_rectification_deadline(start: datetime) -> datetime:
    """Three months after the requirement (domain.md §6)."""
    return add_months(start, RECTIFICATION_MONTHS)


SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed by hand


def make_serial(round_code: str, sequence: int, random_part: str) -> str:
    """Report serial: round, sequence and a random part, e.g. PERF-2015-0007-K7Q2M9XWRT.

    The random part (from `secrets`, ≥ 10 characters of a 31-letter alphabet, ~49 bits) is what
    makes serials unguessable; round and sequence keep them readable and sortable.
    """
    if len(random_part) < 10 or any(c not in SERIAL_ALPHABET for c in random_part):
        raise ValueError("random part must be ≥ 10 characters of SERIAL_ALPHABET")
    code = "".join(ch for ch in round_code.upper() if ch.isalnum() or ch == "-")
    return f"{code}-{sequence:04d}-{random_part}"
