"""Performance evaluation, the operator's part: the self-evaluation (figures, narratives, evidence), submitted."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..domain import evaluation as rules
from ..domain.criteria import CriteriaSystem
from ..domain.evaluation import EvalAction, Party
from ..domain.figures import FigureError, display, parse_input
from ..extensions import db
from ..models import Evaluation, EvaluationAttachment, EvaluationValue, StoredFile, User
from ..models.types import utcnow
from . import audit
from .criteria import system_of
from .evaluations import (EvaluationError, _transition, fund_prefill, input_fields, operator_unit, stored_value,
                          stored_values, values_of)
from .versioning import check_version
from ..domain.errors import N_


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
        raise EvaluationError(N_("自评已提交，不能再修改"))
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
        raise EvaluationError(N_("请更正标出的数据"), errors)
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
        raise EvaluationError(N_("自评已提交，不能再添加佐证材料"))
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
        raise EvaluationError(N_("自评截止时间已过，不能提交"))
    system = system_of(ev.round)
    values = stored_values(ev, system)
    missing = [f.label for f in input_fields(system) if f.id not in values]
    missing += [f"{g.title}自评说明" for g in system.groups if not (ev.narratives or {}).get(g.id)]
    if missing:
        raise EvaluationError(N_("以下内容尚未填写：%(items)s"), items="、".join(missing))
    _transition(ev, EvalAction.SUBMIT_SELF, Party.OPERATOR, operator_unit(ev), actor)
    ev.self_submitted_at = now
