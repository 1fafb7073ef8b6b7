"""A call's ranking settings (official method, weights, aggregation option) until scoring locks them."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Call, User, WeightVersion
from . import audit
from .runs import DERIVED_RULES, METHOD_LABELS
from ..domain.errors import DomainError, N_

RULE_LABELS = {"direct": "直接设定", "ahp": "层次分析法", "entropy": "熵权法", "critic": "CRITIC法"}


class SettingsLocked(DomainError, ValueError):
    """The settings are locked (scoring has started) or the choice is not valid (Chinese message)."""


def weight_choices(call: Call) -> list[tuple[str, str]]:
    """(value, label) of the weights a call may use: defaults, a rule, or a stored version of its system."""
    versions = db.session.scalars(select(WeightVersion).where(
        WeightVersion.criteria_id == call.criteria_id,
        WeightVersion.criteria_version == call.criteria_version)
        .order_by(WeightVersion.category, WeightVersion.number)).all()
    choices = [("default", "指标体系默认权重（按类别）"), ("rule:entropy", "熵权法（由本次矩阵计算）"),
               ("rule:critic", "CRITIC法（由本次矩阵计算）")]
    choices += [(f"version:{v.id}",
                 f"权重版本 {v.category or '全体'} 第{v.number}版（{RULE_LABELS.get(v.rule, v.rule)}）")
                for v in versions]
    return choices


def weights_value(call: Call) -> str:
    """The call's current weight setting as a `weight_choices` value."""
    if call.weight_version_id:
        return f"version:{call.weight_version_id}"
    if call.weight_rule in DERIVED_RULES:
        return f"rule:{call.weight_rule}"
    return "default"


def change_ranking_settings(call: Call, *, method: str, weights: str, adjusted: bool,
                            actor: User | None) -> None:
    """Set the official method, weights and aggregation option; refused once scoring has started."""
    if call.settings_locked_at is not None:
        raise SettingsLocked(N_("评分已开始，排名设置已锁定；其他方法只能作为比较结果"))
    if method not in METHOD_LABELS:
        raise SettingsLocked(N_("未知的排名方法"))
    kind, _, value = weights.partition(":")
    version = None
    if kind == "version":
        version = db.session.get(WeightVersion, int(value)) if value.isdigit() else None
        if version is None or (version.criteria_id, version.criteria_version) != (call.criteria_id,
                                                                                   call.criteria_version):
            raise SettingsLocked(N_("权重版本不属于本批次的指标体系"))
    elif kind == "rule" and value not in DERIVED_RULES:
        raise SettingsLocked(N_("未知的权重规则"))
    elif kind not in ("default", "rule"):
        raise SettingsLocked(N_("未知的权重设置"))
    before = {"method": call.official_method, "weights": weights_value(call),
              "adjusted": call.adjusted_aggregation}
    call.official_method = method
    call.adjusted_aggregation = bool(adjusted)
    call.weight_version_id = version.id if version else None
    call.weight_rule = version.rule if version else (value if kind == "rule" else "direct")
    db.session.flush()
    audit.record("ranking.settings_changed", obj=call, actor=actor,
                 detail={"before": before, "after": {"method": method, "weights": weights,
                                                     "adjusted": bool(adjusted)}})
