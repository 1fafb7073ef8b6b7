"""Stored ranking runs of a call: inputs from the database, run and store, reproduce, compare, stale.

A run ranks one cohort (the call, or one of its categories) and stores everything needed to redo
it without the database: the exact `mcda` matrix text and its SHA-256, the weights, the method,
the criteria id/version/hash, and the `mcda` JSON of the result. Beside it, the same cohort under
the other aggregation option (raw ↔ bias-adjusted) is stored as the "companion" with its own
matrix, so the page shows both side by side and both reproduce.

Matrix ids are application ids as text; rows are in submission order (the display order inside a
tie, domain.md §7); Q columns are the application figures in matrix units, E columns the
aggregated expert points.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import case, func, or_, select, update

from ..domain import figures as fig
from ..domain.criteria import CriteriaSystem
from ..domain.experts import TRIM_FROM, adjust_array, aggregate_cells
from ..domain.matrix import MatrixError, parse_matrix, weights_sha256
from ..domain.mcda_io import matrix_csv, run_as_json
from ..domain.ranking import METHODS, RankingError
from ..domain.run import RankingRun as DomainRun, rank_candidates
from ..domain.scoring import ScoringInputError, achievement_ratios, compute_points
from ..domain.weights import WeightError, critic_weights, entropy_weights
from ..domain.workflow import ApplicationState as S
from ..extensions import db
from ..models import (Application, Assignment, AssignmentState, Call, Organisation, RankingRun, Score,
                      ScoreSheet, SheetState, User, WeightVersion)
from ..models.types import utcnow
from . import audit
from .applications import all_figures
from .criteria import system as criteria_system
from ..domain.errors import DomainError

# Applications that went through (or are in) expert review: everything after the formal check.
REVIEWED_STATES = (S.PASSED, S.UNDER_REVIEW, S.SCORED, S.PROPOSED, S.REJECTED, S.IN_PUBLICITY,
                   S.APPROVED)
DERIVED_RULES = ("entropy", "critic")
DEFAULT_SAMPLES = 200
METHOD_LABELS = {"weighted-total": "总分法", "topsis": "TOPSIS", "vikor": "VIKOR", "wpm": "加权积法"}


class RunRefused(DomainError, ValueError):
    """A run cannot be made; ``problems`` are Chinese lines (e.g. every application lacking sheets)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)

    def __str__(self) -> str:
        return self.message + ("：" + "；".join(self.problems) if self.problems else "")


# --- readiness -----------------------------------------------------------------------------------

def _reviewed_apps(call: Call):
    return select(Application.id).where(Application.call_id == call.id,
                                        Application.state.in_(REVIEWED_STATES))


def missing_sheets(call: Call) -> list[tuple[int, str, int]]:
    """(application id, organisation name, submitted sheets) for every reviewed application with
    fewer submitted sheets (of active assignments) than the call requires."""
    counted = (select(Assignment.application_id, func.count(ScoreSheet.id).label("n"))
               .join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
               .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE,
                      ScoreSheet.state == SheetState.SUBMITTED)
               .group_by(Assignment.application_id).subquery())
    rows = db.session.execute(
        select(Application.id, Organisation.name, func.coalesce(counted.c.n, 0))
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(counted, counted.c.application_id == Application.id)
        .where(Application.call_id == call.id, Application.state.in_(REVIEWED_STATES),
               func.coalesce(counted.c.n, 0) < call.reviewers_per_application)
        .order_by(Application.id)).all()
    return [(int(a), str(n), int(c)) for a, n, c in rows]


def pending_divergence_comments(call: Call) -> list[tuple[int, str]]:
    """(application id, organisation name) of flagged sheets still waiting for the written comment."""
    rows = db.session.execute(
        select(Application.id, Organisation.name).distinct()
        .join(Assignment, Assignment.application_id == Application.id)
        .join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Application.call_id == call.id, Assignment.state == AssignmentState.ACTIVE,
               ScoreSheet.state == SheetState.SUBMITTED, ScoreSheet.divergence_flagged.is_(True),
               or_(ScoreSheet.divergence_comment.is_(None), ScoreSheet.divergence_comment == ""))
        .order_by(Application.id)).all()
    return [(int(a), str(n)) for a, n in rows]


def review_problems(call: Call, now: datetime | None = None) -> list[str]:
    """Why a run would be refused now (Chinese), [] when it may run."""
    now = now or utcnow()
    problems = []
    if call.review_ends_at is None or now < call.review_ends_at:
        problems.append("专家评审尚未结束，评审窗口关闭后才能排名")
    for app_id, name, n in missing_sheets(call):
        problems.append(f"{name}（申报编号 {app_id}）仅有 {n} 份已提交评分表，需 {call.reviewers_per_application} 份")
    for app_id, name in pending_divergence_comments(call):
        problems.append(f"{name}（申报编号 {app_id}）有偏离评分尚待专家说明")
    return problems


# --- inputs --------------------------------------------------------------------------------------

@dataclass
class CallInputs:
    """The cohort inputs of a call, read once and split by category."""

    system: CriteriaSystem
    app_ids: list[int]  # submission order
    category: dict[int, str]
    q_values: dict[int, dict[str, float]]  # Q indicator ids and target fields, matrix units
    raw: dict[int, dict[str, float]]  # aggregated expert points
    adjusted: dict[int, dict[str, float]] | None = None
    scores: int = 0
    problems: list[str] = field(default_factory=list)

    def ids(self, category: str) -> list[int]:
        """Application ids of one category ("" = the whole call), in submission order."""
        return [a for a in self.app_ids if not category or self.category[a] == category]

    def rows(self, category: str, adjusted: bool) -> tuple[list[str], list[dict[str, float]]]:
        """(matrix ids, matrix rows) of one category under one aggregation option."""
        experts = self.adjusted if adjusted else self.raw
        assert experts is not None
        ids = self.ids(category)
        return [str(a) for a in ids], [{**self.q_values[a], **experts[a]} for a in ids]


def _q_columns(system: CriteriaSystem) -> list[tuple[str, str]]:
    """(matrix column, field id) for Q indicators and target fields."""
    cols: list[tuple[str, str]] = []
    for ind in system.scored_indicators:
        if ind.type != "E" and ind.field:
            cols.append((ind.id, ind.field))
    for ind in system.scored_indicators:
        if ind.rule and ind.rule.target_field and ind.rule.target_field not in {c for c, _ in cols}:
            cols.append((ind.rule.target_field, ind.rule.target_field))
    return cols


def _score_rows(call: Call, e_ids: list[str]):
    """(application, reviewer, indicator code, tenths) of every score on a counted sheet."""
    code = case({j: k for k, j in enumerate(e_ids)}, value=Score.indicator_id, else_=-1)
    return (select(Assignment.application_id, Assignment.reviewer_id, code.label("indicator"), Score.tenths)
            .join(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            .join(Score, Score.sheet_id == ScoreSheet.id)
            .where(Assignment.call_id == call.id, Assignment.state == AssignmentState.ACTIVE,
                   ScoreSheet.state == SheetState.SUBMITTED, Score.indicator_id.in_(e_ids)))


def _fetch_int_rows(stmt) -> np.ndarray:
    """All-integer rows as an N×k array straight from the DBAPI cursor.

    Half a million scores through SQLAlchemy's Row objects cost more than the query; the
    statement only holds integers, enum constants and indicator ids from the criteria file, so
    it is rendered with literal values and read with the driver's fetchall.
    """
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return np.array(rows, dtype=np.int64).reshape(-1, len(stmt.selected_columns))


def _trimmed(total: float, high: float, low: float, n: int) -> float:
    """Trimmed mean in points from integer tenths: (Σ − max − min)/(n − 2), else Σ/n; one rounding."""
    if n >= TRIM_FROM:
        return (total - high - low) / (10.0 * (n - 2))
    return total / (10.0 * n)


def _raw_in_sql(call: Call, e_ids: list[str]) -> dict[tuple[int, str], float]:
    """Raw aggregate per (application, indicator), summed in the database."""
    sub = _score_rows(call, e_ids).subquery()
    stmt = (select(sub.c.application_id, sub.c.indicator, func.count(), func.sum(sub.c.tenths),
                   func.max(sub.c.tenths), func.min(sub.c.tenths))
            .group_by(sub.c.application_id, sub.c.indicator))
    return {(int(a), e_ids[int(j)]): _trimmed(float(t), float(hi), float(lo), int(n))
            for a, j, n, t, hi, lo in _fetch_int_rows(stmt).tolist()}


def _both_from_rows(call: Call, system: CriteriaSystem, e_ids: list[str]
                    ) -> tuple[dict[tuple[int, str], float], dict[tuple[int, str], float], int]:
    """Raw and bias-adjusted aggregates from every score row (the adjustment needs each score)."""
    rows = _fetch_int_rows(_score_rows(call, e_ids))
    if not len(rows):
        return {}, {}, 0
    apps, reviewers, ind = rows[:, 0], rows[:, 1], rows[:, 2]
    tenths = rows[:, 3].astype(np.float64)
    maxima = np.array([system.indicator(i).max for i in e_ids], dtype=np.float64)
    cell_keys, cells = np.unique(apps * len(e_ids) + ind, return_inverse=True)
    cells = cells.reshape(-1)
    groups = len(cell_keys)
    count = np.bincount(cells, minlength=groups)
    total = np.bincount(cells, weights=tenths, minlength=groups)
    high = np.full(groups, -np.inf)
    low = np.full(groups, np.inf)
    np.maximum.at(high, cells, tenths)
    np.minimum.at(low, cells, tenths)
    adjusted = aggregate_cells(cells, adjust_array(tenths / 10.0, ind, reviewers, maxima))
    raw_out: dict[tuple[int, str], float] = {}
    adj_out: dict[tuple[int, str], float] = {}
    for k, (key, t, hi, lo, n, v) in enumerate(zip(cell_keys.tolist(), total.tolist(), high.tolist(),
                                                   low.tolist(), count.tolist(), adjusted.tolist())):
        a, j = divmod(key, len(e_ids))
        raw_out[(a, e_ids[j])] = _trimmed(t, hi, lo, n)
        adj_out[(a, e_ids[j])] = v
    return raw_out, adj_out, len(rows)


def _needs_system_figures(system: CriteriaSystem, field_ids: list[str]) -> bool:
    """Whether any of these fields is, or is derived from, a field the system determines."""
    by_id = {f.id: f for f in system.fields}
    todo, seen = list(field_ids), set()
    while todo:
        f = by_id[todo.pop()]
        if f.id in seen:
            continue
        seen.add(f.id)
        if f.source == "system":
            return True
        if f.formula is not None:
            todo.extend(f.formula.names)
    return False


def load_inputs(call: Call, *, adjusted: bool = True) -> CallInputs:
    """Read the call's reviewed applications and aggregate the experts' points.

    ``adjusted`` also computes the bias-adjusted aggregate (it needs every score row; the raw one
    alone is summed in SQL). Problems (a missing figure or score) are collected, not raised.
    """
    system = criteria_system(call.criteria_id, call.criteria_version)
    e_ids = [i.id for i in system.scored_indicators if i.type == "E"]
    columns = _q_columns(system)
    order = (Application.submitted_at, Application.id)
    where = (Application.call_id == call.id, Application.state.in_(REVIEWED_STATES))
    if _needs_system_figures(system, [f for _, f in columns]):
        # Fields the system determines itself (years since a date at closing time) come from
        # the applications service, which needs the loaded objects.
        objects = db.session.scalars(select(Application).where(*where).order_by(*order)).all()
        apps = [(a.id, a.category, all_figures(a)) for a in objects]
    else:
        apps = [(a, c, json.loads(f or "{}")) for a, c, f in db.session.execute(
            select(Application.id, Application.category, Application.figures).where(*where).order_by(*order))]
    inputs = CallInputs(system=system, app_ids=[a for a, _, _ in apps],
                        category={a: c or "" for a, c, _ in apps}, q_values={}, raw={})
    for app_id, _, stored in apps:
        values = fig.matrix_values(system, stored)
        row: dict[str, float] = {}
        for column, field_id in columns:
            value = values.get(field_id)
            if value is None or isinstance(value, bool):
                inputs.problems.append(f"申报编号 {app_id} 缺少数据：{system.field(field_id).label}")
                continue
            row[column] = float(value)
        inputs.q_values[app_id] = row
    if adjusted:
        raw, adj, inputs.scores = _both_from_rows(call, system, e_ids)
    else:
        raw, adj = _raw_in_sql(call, e_ids), None
    by_app: dict[int, dict[str, float]] = defaultdict(dict)
    adj_by_app: dict[int, dict[str, float]] = defaultdict(dict)
    for (a, j), v in raw.items():
        by_app[a][j] = v
    for (a, j), v in (adj or {}).items():
        adj_by_app[a][j] = v
    for a in inputs.app_ids:
        lacking = [j for j in e_ids if j not in by_app.get(a, {})]
        if lacking:
            inputs.problems.append(f"申报编号 {a} 缺少专家评分：{', '.join(lacking)}")
    inputs.raw = {a: by_app.get(a, {}) for a in inputs.app_ids}
    inputs.adjusted = {a: adj_by_app.get(a, {}) for a in inputs.app_ids} if adjusted else None
    return inputs


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
            raise RunRefused(f"无法按{rule}规则计算权重：{exc}") from exc
        return dict(zip(ids, values)), rule, version.id if version else None
    if version is not None:
        weights = version.weights
        lacking = [i for i in ids if i not in weights]
        if lacking:
            raise RunRefused(f"权重版本 {version.id} 缺少指标：{', '.join(lacking)}")
        return {i: weights[i] for i in ids}, rule, version.id
    return system.default_weights(category or None), "direct", None


# --- running and storing -------------------------------------------------------------------------

def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rank(system: CriteriaSystem, ids: Sequence[str], rows: Sequence[dict[str, float]], weights: dict[str, float],
          *, method: str, category: str, places: int | None, samples: int, seed: int
          ) -> tuple[DomainRun, dict[str, Any]]:
    """Rank matrix rows; (domain run, mcda JSON as it reads back from stored JSON)."""
    run = rank_candidates(system, ids, rows, method=method, weights=weights,
                          category=category or None, places=places, samples=samples, seed=seed)
    doc = json.loads(json.dumps(run_as_json(system, run, weights_sha256(system, weights))))
    return run, doc


def _rank_text(system: CriteriaSystem, matrix_text: str, weights: dict[str, float], **kw: Any
               ) -> tuple[DomainRun, dict[str, Any]]:
    """Rank a stored matrix text exactly as `mcda` reads it.

    Ranking the rows directly (as a new run does) gives the same document: every number is
    written with the shortest text that reads back to the same float. reproduce_run checks it.
    """
    matrix = parse_matrix(system, matrix_text.encode("utf-8"))
    return _rank(system, matrix.ids, [matrix.row(i) for i in range(len(matrix.ids))], weights, **kw)


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
        raise RunRefused("该批次分类别排名，请选择类别" if not category else f"该批次没有类别“{category}”")
    if not call.category_codes and category:
        raise RunRefused("该批次不分类别")
    if method not in METHODS:
        raise RunRefused(f"未知的排名方法：{method}")


def rank_cohort(call: Call, inputs: CallInputs, *, category: str = "", method: str | None = None,
                adjusted: bool | None = None, samples: int = 0, seed: int = 0) -> Cohort:
    """Rank one cohort from loaded inputs with the call's weights; nothing is stored.

    ``method``/``adjusted`` default to the call's settings; ``official`` says whether they match.
    """
    method = method or call.official_method
    adjusted = call.adjusted_aggregation if adjusted is None else bool(adjusted)
    _check_scope(call, category, method)
    if inputs.problems:
        raise RunRefused("排名数据不完整", inputs.problems)
    system = inputs.system
    ids, rows = inputs.rows(category, adjusted)
    if not ids:
        raise RunRefused("该范围内没有参加评审的申报")
    weights, rule, version_id = resolve_weights(call, system, category, rows)
    places = cohort_places(call, category)
    text = matrix_csv(system, ids, rows)
    try:
        ranked, doc = _rank(system, ids, rows, weights, method=method, category=category, places=places,
                            samples=samples, seed=seed)
    except (ScoringInputError, RankingError, MatrixError) as exc:
        raise RunRefused(f"排名失败：{exc}") from exc
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
        raise RunRefused("暂不能排名", problems)
    lock_settings(call, actor=actor)
    inputs = inputs or load_inputs(call, adjusted=True)
    main = rank_cohort(call, inputs, category=category, method=method, adjusted=adjusted, samples=samples,
                       seed=seed)
    system = inputs.system
    other_ids, other_rows = inputs.rows(category, not main.adjusted)
    other_text = matrix_csv(system, other_ids, other_rows)
    try:
        _, companion = _rank(system, other_ids, other_rows, main.weights, method=main.method, category=category,
                             places=main.places, samples=0, seed=0)
    except (ScoringInputError, RankingError, MatrixError) as exc:
        raise RunRefused(f"排名失败：{exc}") from exc
    doc = main.doc
    row = RankingRun(
        call_id=call.id, category=category, method=main.method, official=main.official, adjusted=main.adjusted,
        weight_version_id=main.weight_version_id, weight_rule=main.weight_rule,
        weights_json=json.dumps(main.weights), weights_sha256=weights_sha256(system, main.weights),
        criteria_id=system.id, criteria_version=system.version, criteria_sha256=system.sha256,
        matrix_csv=main.matrix_csv, matrix_sha256=_sha(main.matrix_csv),
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
        raise RunRefused("暂不能排名", problems)
    inputs = load_inputs(call, adjusted=True)
    categories = [c for c in call.category_codes if inputs.ids(c)] if call.category_codes else [""]
    return [run_ranking(call, category=c, method=method, adjusted=adjusted, samples=samples, seed=seed,
                        actor=actor, inputs=inputs) for c in categories]


# --- reading, reproducing, comparing -------------------------------------------------------------

@dataclass(frozen=True)
class Reproduction:
    """Whether a stored run was recomputed exactly; ``differences`` say what did not match."""

    run_id: int
    differences: list[str]

    @property
    def exact(self) -> bool:
        return not self.differences


def _compare_recomputed(run: RankingRun, system: CriteriaSystem, weights: dict[str, float],
                        stored: dict[str, Any], diffs: list[str]) -> None:
    if run.weight_rule in DERIVED_RULES:
        matrix = parse_matrix(system, run.matrix_csv.encode("utf-8"))
        rows = [matrix.row(i) for i in range(len(matrix.ids))]
        ratios = achievement_ratios(system, compute_points(system, rows))
        derived = (entropy_weights if run.weight_rule == "entropy" else critic_weights)(ratios)
        if [weights[i.id] for i in system.scored_indicators] != derived:
            diffs.append(f"{run.weight_rule} weights differ when derived again")
    _, doc = _rank_text(system, run.matrix_csv, weights, method=run.method, category=run.category,
                   places=run.places, samples=run.samples, seed=run.seed)
    if doc != stored["mcda"]:
        diffs.append("results differ")
    companion = stored.get("companion")
    if companion:
        _, other = _rank_text(system, companion["matrix_csv"], weights, method=run.method, category=run.category,
                         places=run.places, samples=0, seed=0)
        if other != companion["mcda"]:
            diffs.append("companion results differ")


def reproduce_run(run: RankingRun) -> Reproduction:
    """Recompute a stored run from its own matrix, weights and method and compare every value."""
    diffs: list[str] = []
    system = criteria_system(run.criteria_id, run.criteria_version)
    if system.sha256 != run.criteria_sha256:
        diffs.append(f"criteria file changed: {system.sha256} != {run.criteria_sha256}")
    if _sha(run.matrix_csv) != run.matrix_sha256:
        diffs.append("matrix text does not match its SHA-256")
    weights = run.weights
    if weights_sha256(system, weights) != run.weights_sha256:
        diffs.append("weights do not match their SHA-256")
    stored = run.results
    try:
        _compare_recomputed(run, system, weights, stored, diffs)
    except (MatrixError, ScoringInputError, RankingError, WeightError) as exc:
        diffs.append(f"cannot be recomputed: {exc}")
    return Reproduction(run_id=run.id, differences=diffs)


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


@dataclass(frozen=True)
class Move:
    """A candidate's place in two runs; ``delta`` > 0 means it moved up in ``b``."""

    id: str
    rank_a: int | None
    rank_b: int | None
    score_a: float | None
    score_b: float | None

    @property
    def delta(self) -> int | None:
        if self.rank_a is None or self.rank_b is None:
            return None
        return self.rank_a - self.rank_b


def compare_results(a: dict[str, Any], b: dict[str, Any]) -> list[Move]:
    """Who moved between two `mcda` documents, by how much; largest moves first."""
    ra = {r["id"]: r for r in a["results"]}
    rb = {r["id"]: r for r in b["results"]}
    moves = [Move(id=i, rank_a=ra[i]["rank"] if i in ra else None, rank_b=rb[i]["rank"] if i in rb else None,
                  score_a=ra[i]["score"] if i in ra else None, score_b=rb[i]["score"] if i in rb else None)
             for i in list(ra) + [i for i in rb if i not in ra]]
    return sorted(moves, key=lambda m: (-(abs(m.delta) if m.delta is not None else 10**9),
                                        m.rank_b or 10**9, m.id))


def compare_runs(a: RankingRun, b: RankingRun) -> list[Move]:
    """Who moved between two stored runs."""
    return compare_results(a.results["mcda"], b.results["mcda"])


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
