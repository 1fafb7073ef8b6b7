"""The inputs of a ranking run, read from the database: figures and aggregated expert points.

Matrix ids are application ids as text; rows are in submission order (the display order inside a
tie, domain.md §7); Q columns are the application figures in matrix units, E columns the
aggregated expert points (raw, and bias-adjusted beside it).
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import case, func, select

from ..domain import figures as fig
from ..domain.criteria import CriteriaSystem
from ..domain.experts import TRIM_FROM, adjust_array, aggregate_cells
from ..extensions import db
from ..models import Application, Assignment, AssignmentState, Call, Score, ScoreSheet, SheetState
from .applications import all_figures
from .criteria import system as criteria_system
from .run_readiness import REVIEWED_STATES
from ..domain.errors import N_, Message


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
                inputs.problems.append(Message(N_("申报编号 %(app_id)s 缺少数据：%(label)s"),
                                               app_id=app_id, label=Message(system.field(field_id).label)))
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
            inputs.problems.append(Message(N_("申报编号 %(application)s 缺少专家评分：%(items)s"),
                                           application=a, items=', '.join(lacking)))
    inputs.raw = {a: by_app.get(a, {}) for a in inputs.app_ids}
    inputs.adjusted = {a: adj_by_app.get(a, {}) for a in inputs.app_ids} if adjusted else None
    return inputs
