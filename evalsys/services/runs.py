"""Stored ranking runs of a call: run one cohort or the whole call, store the snapshot, find it again.

A run ranks one cohort (the call, or one of its categories) and stores everything needed to redo
it without the database: the exact `mcda` matrix text and its SHA-256, the weights, the method,
the criteria id/version/hash, and the `mcda` JSON of the result. Beside it, the same cohort under
the other aggregation option (raw ↔ bias-adjusted) is stored as the "companion" with its own
matrix, so the page shows both side by side and both reproduce.

The inputs are read by `run_inputs`, the refusals before a run come from `run_readiness`, and
`run_compare` recomputes and compares stored runs.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from ..domain.criteria import CriteriaSystem
from ..domain.errors import DomainError, Message, N_
from ..domain.matrix import MatrixError, weights_sha256
from ..domain.mcda_io import matrix_csv, run_as_json
from ..domain.ranking import METHODS, RankingError
from ..domain.run import RankingRun as DomainRun, rank_candidates
from ..domain.scoring import ScoringInputError, achievement_ratios, compute_points
from ..domain.weights import WeightError, critic_weights, entropy_weights
from ..extensions import db
from ..models import Call, RankingRun, User, WeightVersion
from ..models.types import utcnow
from . import audit
from .run_inputs import CallInputs, load_inputs
from .run_readiness import review_problems

DERIVED_RULES = ("entropy", "critic")
DEFAULT_SAMPLES = 200
METHOD_LABELS = {"weighted-total": "总分法", "topsis": "TOPSIS", "vikor": "VIKOR", "wpm": "加权积法"}


class RunRefused(DomainError, ValueError):
    """A run cannot be made; ``problems`` are Chinese lines (e.g. every application lacking sheets)."""

    def __init__(self, message: str, problems: Sequence[str] = (), **params: Any) -> None:
        super().__init__(message, problems, **params)

    def __str__(self) -> str:
        return self.message + ("：" + "；".join(self.problems) if self.problems else "")


# --- settings and weights ------------------------------------------------------------------------

def lock_settings(call: Call, *, actor: User | None) -> bool:
    """Lock the call's method, weights and aggregation option (idempotent); True if it locked now."""
    if call.settings_locked_at is not None:
        return False
    call.settings_locked_at = utcnow()
    audit.record("ranking.settings_locked", obj=call, actor=actor,
                 detail={"method": call.official_method, "weight_rule": call.weight_rule,
                         "weight_version_id": call.weight_version_id,
                         "adjusted": call.adjusted_aggregation})
    return True


def weight_setting(call: Call) -> tuple[str, WeightVersion | None]:
    """(rule, weight version) the call uses: a version's rule wins over the call's rule."""
    version = db.session.get(WeightVersion, call.weight_version_id) if call.weight_version_id else None
    if version is not None:
        return version.rule, version
    return call.weight_rule or "direct", None


def resolve_weights(call: Call, system: CriteriaSystem, category: str,
                    rows: Sequence[dict[str, float]]) -> tuple[dict[str, float], str, int | None]:
    """(weights, rule, version id) for one cohort: a stored version's values, a rule derived from
    the cohort's own achievement ratios, or the criteria file's defaults (per category)."""
    rule, version = weight_setting(call)
    ids = [i.id for i in system.scored_indicators]
    if rule in DERIVED_RULES:
        ratios = achievement_ratios(system, compute_points(system, rows))
        try:
            values = (entropy_weights if rule == "entropy" else critic_weights)(ratios)
        except WeightError as exc:
            raise RunRefused(N_("无法按%(rule)s规则计算权重：%(reason)s"), rule=rule, reason=exc) from exc
        return dict(zip(ids, values)), rule, version.id if version else None
    if version is not None:
        weights = version.weights
        lacking = [i for i in ids if i not in weights]
        if lacking:
            raise RunRefused(N_("权重版本 %(id)s 缺少指标：%(items)s"), id=version.id, items=', '.join(lacking))
        return {i: weights[i] for i in ids}, rule, version.id
    return system.default_weights(category or None), "direct", None


# --- running and storing -------------------------------------------------------------------------

def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rank_rows(system: CriteriaSystem, ids: Sequence[str], rows: Sequence[dict[str, float]], weights: dict[str, float],
          *, method: str, category: str, places: int | None, samples: int, seed: int
          ) -> tuple[DomainRun, dict[str, Any]]:
    """Rank matrix rows; (domain run, mcda JSON as it reads back from stored JSON)."""
    run = rank_candidates(system, ids, rows, method=method, weights=weights,
                          category=category or None, places=places, samples=samples, seed=seed)
    doc = json.loads(json.dumps(run_as_json(system, run, weights_sha256(system, weights))))
    return run, doc


def cohort_places(call: Call, category: str) -> int | None:
    """Places K of one cohort (per category when the call has categories)."""
    places = call.places
    value = places.get(category) if category else places.get("")
    return int(value) if value else None


@dataclass
class Cohort:
    """One cohort ranked (not stored): the exact matrix text, the weights and the `mcda` JSON."""

    category: str
    method: str
    adjusted: bool
    official: bool
    ids: list[str]
    matrix_csv: str
    weights: dict[str, float]
    weight_rule: str
    weight_version_id: int | None
    places: int | None
    doc: dict[str, Any]
    run: DomainRun


def _check_scope(call: Call, category: str, method: str) -> None:
    if call.category_codes and category not in call.category_codes:
        raise RunRefused(N_("该批次分类别排名，请选择类别") if not category else Message(N_("该批次没有类别“%(category)s”"),
                         category=category))
    if not call.category_codes and category:
        raise RunRefused(N_("该批次不分类别"))
    if method not in METHODS:
        raise RunRefused(N_("未知的排名方法：%(method)s"), method=method)


def rank_cohort(call: Call, inputs: CallInputs, *, category: str = "", method: str | None = None,
                adjusted: bool | None = None, samples: int = 0, seed: int = 0) -> Cohort:
    """Rank one cohort from loaded inputs with the call's weights; nothing is stored.

    ``method``/``adjusted`` default to the call's settings; ``official`` says whether they match.
    """
    method = method or call.official_method
    adjusted = call.adjusted_aggregation if adjusted is None else bool(adjusted)
    _check_scope(call, category, method)
    if inputs.problems:
        raise RunRefused(N_("排名数据不完整"), inputs.problems)
    system = inputs.system
    ids, rows = inputs.rows(category, adjusted)
    if not ids:
        raise RunRefused(N_("该范围内没有参加评审的申报"))
    weights, rule, version_id = resolve_weights(call, system, category, rows)
    places = cohort_places(call, category)
    text = matrix_csv(system, ids, rows)
    try:
        ranked, doc = rank_rows(system, ids, rows, weights, method=method, category=category, places=places,
                            samples=samples, seed=seed)
    except (ScoringInputError, RankingError, MatrixError) as exc:
        raise RunRefused(N_("排名失败：%(reason)s"), reason=exc) from exc
    official = method == call.official_method and adjusted == call.adjusted_aggregation
    return Cohort(category=category, method=method, adjusted=adjusted, official=official, ids=ids,
                  matrix_csv=text, weights=weights, weight_rule=rule, weight_version_id=version_id,
                  places=places, doc=doc, run=ranked)


def run_ranking(call: Call, *, category: str | None = None, method: str | None = None,
                adjusted: bool | None = None, samples: int = DEFAULT_SAMPLES, seed: int = 0,
                actor: User | None, inputs: CallInputs | None = None) -> RankingRun:
    """Rank one cohort and store the snapshot; RunRefused (Chinese) when the call is not ready.

    ``method``/``adjusted`` default to the call's locked settings; anything else is stored as a
    comparison (official = False) and can never back a proposal.
    """
    category = category or ""
    _check_scope(call, category, method or call.official_method)
    problems = review_problems(call)
    if problems:
        raise RunRefused(N_("暂不能排名"), problems)
    lock_settings(call, actor=actor)
    inputs = inputs or load_inputs(call, adjusted=True)
    main = rank_cohort(call, inputs, category=category, method=method, adjusted=adjusted, samples=samples,
                       seed=seed)
    system = inputs.system
    other_ids, other_rows = inputs.rows(category, not main.adjusted)
    other_text = matrix_csv(system, other_ids, other_rows)
    try:
        _, companion = rank_rows(system, other_ids, other_rows, main.weights, method=main.method, category=category,
                             places=main.places, samples=0, seed=0)
    except (ScoringInputError, RankingError, MatrixError) as exc:
        raise RunRefused(N_("排名失败：%(reason)s"), reason=exc) from exc
    doc = main.doc
    row = RankingRun(
        call_id=call.id, category=category, method=main.method, official=main.official, adjusted=main.adjusted,
        weight_version_id=main.weight_version_id, weight_rule=main.weight_rule,
        weights_json=json.dumps(main.weights), weights_sha256=weights_sha256(system, main.weights),
        criteria_id=system.id, criteria_version=system.version, criteria_sha256=system.sha256,
        matrix_csv=main.matrix_csv, matrix_sha256=sha256_text(main.matrix_csv),
        results_json=json.dumps({"mcda": doc, "companion": {"adjusted": not main.adjusted,
                                                            "matrix_csv": other_text, "mcda": companion}},
                                ensure_ascii=False),
        robustness_json=json.dumps(doc["sensitivity"]) if doc["sensitivity"] else None,
        samples=samples, seed=seed, places=main.places, created_by_id=actor.id if actor else None)
    db.session.add(row)
    db.session.flush()
    audit.record("ranking.run", obj=row, actor=actor,
                 detail={"call": call.code, "category": category, "method": main.method,
                         "official": main.official, "adjusted": main.adjusted,
                         "matrix_sha256": row.matrix_sha256, "candidates": len(main.ids)})
    return row


def run_call(call: Call, *, method: str | None = None, adjusted: bool | None = None,
             samples: int = DEFAULT_SAMPLES, seed: int = 0, actor: User | None) -> list[RankingRun]:
    """One stored run per category (or one for a call without categories), inputs read once."""
    problems = review_problems(call)
    if problems:
        raise RunRefused(N_("暂不能排名"), problems)
    inputs = load_inputs(call, adjusted=True)
    categories = [c for c in call.category_codes if inputs.ids(c)] if call.category_codes else [""]
    return [run_ranking(call, category=c, method=method, adjusted=adjusted, samples=samples, seed=seed,
                        actor=actor, inputs=inputs) for c in categories]


# --- stored runs ------------------------------------------------------------------------------------

def official_run(call: Call, category: str = "") -> RankingRun | None:
    """The newest official, not stale run of one cohort (what a proposal is made from)."""
    return db.session.scalar(
        select(RankingRun).where(RankingRun.call_id == call.id, RankingRun.category == category,
                                 RankingRun.official.is_(True), RankingRun.stale.is_(False))
        .order_by(RankingRun.id.desc()).limit(1))


def call_runs(call: Call) -> list[RankingRun]:
    """Every stored run of a call, newest first (deferring nothing: pages list few runs)."""
    return list(db.session.scalars(select(RankingRun).where(RankingRun.call_id == call.id)
                                   .order_by(RankingRun.id.desc())))


def mark_call_runs_stale(call: Call, *, reason: str, actor: User | None) -> int:
    """Mark every not-yet-stale stored run of ``call`` stale (a score sheet was reopened).

    Returns how many runs were marked. Stale runs stay stored and reproducible, but can no
    longer back a proposal. Flushes and audits; the caller commits.
    """
    result = db.session.execute(
        update(RankingRun)
        .where(RankingRun.call_id == call.id, RankingRun.stale.is_(False))
        .values(stale=True, stale_reason=reason)
        .execution_options(synchronize_session="fetch"))
    count = int(result.rowcount or 0)
    if count:
        audit.record("ranking.runs_stale", obj=call, actor=actor,
                     detail={"runs": count, "reason": reason})
    return count
