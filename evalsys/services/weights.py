"""Weight versions of an indicator system: create (direct, AHP over groups, entropy/CRITIC rule),
list, look up and compare. A version is never edited: every change is a new, audited version.

The checks and the AHP derivation live in `domain/weight_sets.py` (see its docstring for the AHP
design: a pairwise matrix over the level-1 groups, indicator weight = 100 · group weight · default
share within the group).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from ..domain.criteria import CriteriaSystem
from ..domain.marking import N_
from ..domain.weight_sets import (AhpOutcome, ComparisonRow, WeightSetError, ahp_group_weights,
                                  check_direct, clean_reason, compare, decimal_text)
from ..domain.weights import RULES
from ..extensions import db
from ..models import User, WeightVersion
from . import audit
from .criteria import system as criteria_system
from ..domain.errors import Message

__all__ = ["WeightSetError", "compare_versions", "create_weight_version", "default_values",
           "get_weight_version", "latest_weight_version", "version_values", "weight_versions"]

RULE_LABELS = {"direct": N_("直接设定"), "ahp": N_("层次分析法"), "entropy": N_("熵权法"), "critic": N_("CRITIC法")}


@dataclass(frozen=True)
class Comparison:
    """Two weight sets side by side (``a``/``b`` are None for the file's default weights)."""

    a: WeightVersion | None
    b: WeightVersion | None
    rows: list[ComparisonRow]

    @property
    def changed(self) -> list[ComparisonRow]:
        """Rows whose weight differs."""
        return [r for r in self.rows if r.difference != 0]


def _check_category(system: CriteriaSystem, category: str) -> str:
    if category and category not in {c.code for c in system.categories}:
        raise WeightSetError({"category": Message(N_("指标体系中没有类别“%(category)s”"), category=category)})
    return category


def create_weight_version(system: CriteriaSystem, *, category: str = "", rule: str,
                          values: Mapping[str, object] | None = None,
                          ahp_matrix: Sequence[Sequence[float]] | None = None,
                          reason: str, actor: User | None) -> WeightVersion:
    """Add version number+1 for (system, category); raise WeightSetError (Chinese) if refused.

    direct: ``values`` maps every scored indicator to a weight ≥ 0 (text, int or Decimal), not all
    zero. ahp: ``ahp_matrix`` is the n×n reciprocal matrix over `ahp_groups(system)`; CR ≥ 0.10 is
    refused with ``error.cr`` set. entropy/critic: only the rule is stored; the values are computed
    from each run's matrix and stored with the run.
    """
    problems: dict[str, str] = {}
    cr: float | None = None
    text = ""
    weights: dict = {}
    outcome: AhpOutcome | None = None
    category = _check_category(system, category or "")  # the URL's category: refused at once
    try:
        text = clean_reason(reason)
    except WeightSetError as exc:
        problems.update(exc.by_field)
    try:
        if rule == "direct":
            if values is None:
                raise WeightSetError({"": N_("直接设定权重须给出每个计分指标的权重")})
            weights = check_direct(system, values)
        elif rule == "ahp":
            if ahp_matrix is None:
                raise WeightSetError({"": N_("层次分析法须给出判断矩阵")})
            outcome = ahp_group_weights(system, ahp_matrix, category or None)
            weights = outcome.values
        elif rule not in RULES:
            raise WeightSetError({"rule": Message(N_("未知的权重规则“%(rule)s”"), rule=rule)})
    except WeightSetError as exc:
        problems.update(exc.by_field)
        cr = exc.cr
    if problems:
        raise WeightSetError(problems, cr=cr)  # every problem at once, the CR kept for the message
    number = (db.session.scalar(select(func.max(WeightVersion.number)).where(
        WeightVersion.criteria_id == system.id, WeightVersion.criteria_version == system.version,
        WeightVersion.category == category)) or 0) + 1
    row = WeightVersion(
        criteria_id=system.id, criteria_version=system.version, category=category, number=number,
        rule=rule, values=json.dumps({k: decimal_text(v) for k, v in weights.items()}, ensure_ascii=False),
        ahp_matrix=None if outcome is None else json.dumps(
            {"over": "groups", "elements": list(outcome.groups), "matrix": [list(r) for r in outcome.matrix],
             "lambda_max": outcome.result.lambda_max, "ci": outcome.result.ci}),
        consistency_ratio=None if outcome is None else f"{outcome.result.cr:.6f}",
        reason=text, author_id=actor.id if actor is not None else None)
    db.session.add(row)
    db.session.flush()  # the unique (system, category, number) index catches a concurrent twin here
    audit.record("weight_version_created", obj=row, actor=actor, detail={
        "criteria": f"{system.id} v{system.version}", "sha256": system.sha256, "category": category,
        "number": number, "rule": rule, "consistency_ratio": row.consistency_ratio, "reason": text,
        "values": json.loads(row.values)})
    return row


def weight_versions(system: CriteriaSystem, category: str | None = None) -> list[WeightVersion]:
    """Versions of the system, newest first; one category ("" = whole system) or all when None."""
    stmt = select(WeightVersion).where(WeightVersion.criteria_id == system.id,
                                       WeightVersion.criteria_version == system.version)
    if category is not None:
        stmt = stmt.where(WeightVersion.category == category)
    return list(db.session.scalars(stmt.order_by(WeightVersion.category, WeightVersion.number.desc())))


def latest_weight_version(system: CriteriaSystem, category: str = "") -> WeightVersion | None:
    """The newest version for (system, category), or None."""
    versions = weight_versions(system, category)
    return versions[0] if versions else None


def get_weight_version(system: CriteriaSystem, version_id: int) -> WeightVersion | None:
    """A version by its id, only if it belongs to this system version."""
    row = db.session.get(WeightVersion, version_id)
    if row is None or (row.criteria_id, row.criteria_version) != (system.id, system.version):
        return None
    return row


def default_values(system: CriteriaSystem, category: str = "") -> dict[str, Decimal]:
    """The file's default weights (with the category's overrides) as exact decimals."""
    return {k: Decimal(str(v)) for k, v in system.default_weights(category or None).items()}


def version_values(row: WeightVersion) -> dict[str, Decimal]:
    """The stored weights of a direct or AHP version as exact decimals (empty for entropy/CRITIC)."""
    return {k: Decimal(v) for k, v in json.loads(row.values or "{}").items()}


def compare_versions(a: WeightVersion | None, b: WeightVersion | None, *,
                     system: CriteriaSystem | None = None, a_category: str = "",
                     b_category: str = "") -> Comparison:
    """Compare two versions of one system version: per indicator old (a), new (b), the exact
    difference and normalised shares. None stands for the file's defaults of ``x_category``
    (then ``system`` must be given); otherwise the system is loaded from the versions."""
    if system is None:
        row = a or b
        if row is None:
            raise WeightSetError({"": N_("请选择要比较的版本")})
        system = criteria_system(row.criteria_id, row.criteria_version)
    sys_ = system

    def values(row: WeightVersion | None, category: str) -> dict[str, Decimal]:
        if row is None:
            return default_values(sys_, _check_category(sys_, category))
        if (row.criteria_id, row.criteria_version) != (sys_.id, sys_.version):
            raise WeightSetError({"": N_("只能比较同一指标体系版本的权重")})
        if row.rule in ("entropy", "critic"):
            raise WeightSetError({"": Message(N_("版本 %(number)s 采用%(rule)s，权重随每次排名计算，无法比较"),
                                              number=row.number, rule=Message(RULE_LABELS[row.rule]))})
        return version_values(row)

    return Comparison(a, b, compare(sys_, values(a, a_category), values(b, b_category)))
