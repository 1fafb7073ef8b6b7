"""Creation-plan targets of the first-batch bases: which fields (the performance criteria file's
`plan` fields), the lock once a round's self-evaluation has opened, and saving a new version with
author, time and reason. The XLSX template and import are in plan_targets_import.py."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from ..domain.criteria import CriteriaSystem, Field
from ..domain.errors import DomainError, Message, N_
from ..domain.figures import FigureError
from ..domain.units import format_plan, parse_plan, plan_entry
from ..extensions import db
from ..models import BaseTarget, BaseTargetVersion, Evaluation, EvaluationRound, FirstBatchBase, User
from . import audit
from . import criteria as criteria_svc
from typing import Any

REASON_MAX = 500


class PlanTargetError(DomainError, ValueError):
    """A refused change of plan targets; `errors` are Chinese messages keyed by field id."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.errors = dict(errors or {})


def plan_system(base: FirstBatchBase | None = None) -> CriteriaSystem:
    """The indicator system whose plan fields a base's targets follow: the system of the base's
    latest evaluation round, else the newest performance system in the criteria folder."""
    if base is not None:
        round_ = db.session.scalar(select(EvaluationRound).join(Evaluation).where(Evaluation.base_id == base.id)
                                   .order_by(EvaluationRound.id.desc()).limit(1))
        if round_ is not None:
            return criteria_svc.system(round_.criteria_id, round_.criteria_version)
    systems = [s for s in criteria_svc.available("performance")]
    if not systems:
        raise PlanTargetError(N_("没有可用的绩效评价指标体系"))
    return max(systems, key=lambda s: (s.id, s.version))


def plan_fields(system: CriteriaSystem) -> list[Field]:
    """The target fields, in the file's order; a field added to the file appears here without code."""
    return [f for f in system.fields if f.source == "plan"]


def locking_round(base: FirstBatchBase) -> EvaluationRound | None:
    """The round whose self-evaluation has opened for this base (its evaluation exists), if any.

    From then on the targets are what the base is scored against: a change needs a reason and is
    recorded as made after the lock."""
    return db.session.scalar(select(EvaluationRound).join(Evaluation).where(Evaluation.base_id == base.id)
                             .order_by(EvaluationRound.id).limit(1))


def current_version(base: FirstBatchBase) -> int:
    """The number of the latest saved version (0 when the targets were never changed)."""
    return db.session.scalar(select(func.max(BaseTargetVersion.number))
                             .where(BaseTargetVersion.base_id == base.id)) or 0


def history(base: FirstBatchBase) -> list[BaseTargetVersion]:
    """Every version, newest first."""
    return list(db.session.scalars(select(BaseTargetVersion).where(BaseTargetVersion.base_id == base.id)
                                   .order_by(BaseTargetVersion.number.desc())))


def parse_targets(system: CriteriaSystem, texts: Mapping[str, object]) -> tuple[dict[str, int | None], dict[str, str]]:
    """Typed values (people's units) by field id → plan-target integers, and Chinese errors by field id."""
    values: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for f in plan_fields(system):
        try:
            values[f.id] = parse_plan(f, texts.get(f.id))
        except FigureError as e:
            errors[f.id] = str(e)
    return values, errors


@dataclass(frozen=True)
class TargetChange:
    """The outcome of one save: the new version, or None when nothing changed."""

    version: BaseTargetVersion | None

    @property
    def changed(self) -> bool:
        return self.version is not None


def set_targets(base: FirstBatchBase, values: Mapping[str, int | None], *, actor: User | None, reason: str = "",
                expected_version: int | None = None, source: str = "form",
                system: CriteriaSystem | None = None) -> TargetChange:
    """Replace the base's targets with `values` (plan-target integers by field id; None clears one).

    Fields outside the system's plan fields are refused. Once a round's self-evaluation has opened
    a reason is required; the version row and the audit record say so. `expected_version` is the
    version the editor saw: a save over a newer version is refused rather than silently lost."""
    system = system or plan_system(base)
    known = {f.id for f in plan_fields(system)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise PlanTargetError(N_("未知的目标字段：%(fields)s"), fields="、".join(unknown))
    for field_id, value in values.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"plan target {field_id} must be an int, got {type(value).__name__}")
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise PlanTargetError(N_("理由不能超过%(limit)s个字符"),
                              {"reason": Message(N_("不能超过%(limit)s个字符"), limit=REASON_MAX)},
                              limit=REASON_MAX)
    # Serialise saves of one base (no-op on SQLite, whose writers are serialised already).
    db.session.execute(select(FirstBatchBase.id).where(FirstBatchBase.id == base.id).with_for_update())
    number = current_version(base)
    if expected_version is not None and expected_version != number:
        raise PlanTargetError(N_("目标值已被他人修改，请刷新页面后重新填写"))
    rows = {t.field_id: t for t in db.session.scalars(select(BaseTarget).where(BaseTarget.base_id == base.id))}
    before = {k: t.value for k, t in rows.items()}
    changes = {k: [before.get(k), values.get(k)] for k in sorted(known)
               if k in values and before.get(k) != values.get(k)}
    if not changes:
        return TargetChange(None)
    lock = locking_round(base)
    if lock is not None and not reason:
        raise PlanTargetError(N_("“%(title)s”的自评已开始，目标值已锁定；修改必须填写理由"),
                              {"reason": N_("目标值已锁定，修改必须填写理由")}, title=lock.title)
    for field_id, (_old, new) in changes.items():
        row = rows.get(field_id)
        if new is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(BaseTarget(base_id=base.id, field_id=field_id, value=new))
        else:
            row.value = new
    after = {k: v for k, v in {**before, **{k: n for k, (_o, n) in changes.items()}}.items() if v is not None}
    version = BaseTargetVersion(base_id=base.id, number=number + 1, changes=changes, values=after, reason=reason,
                                source=source, after_lock=lock is not None,
                                created_by_id=actor.id if actor else None)
    db.session.add(version)
    db.session.flush()
    db.session.expire(base, ["targets"])
    audit.record("base_targets_changed", obj=base, actor=actor,
                 detail={"base": base.code, "version": version.number, "changes": changes, "reason": reason or None,
                         "after_lock": lock is not None, "round": lock.code if lock else None, "source": source,
                         "criteria": f"{system.id}:{system.version}"})
    return TargetChange(version)


@dataclass(frozen=True)
class PlanRow:
    """One target as a page shows it: the field, its printed value and the value as typed."""

    field: Field
    printed: str
    entry: str


def plan_rows(base: FirstBatchBase, system: CriteriaSystem | None = None) -> list[PlanRow]:
    """The base's targets over the system's plan fields, in people's units (— when missing)."""
    system = system or plan_system(base)
    targets = base.target_values()
    return [PlanRow(f, format_plan(f, targets.get(f.id)), plan_entry(f, targets.get(f.id)))
            for f in plan_fields(system)]
