"""Read models of stored runs for pages and exports: rows with subtotals, raw beside adjusted, robustness,
explanations and the call workbook. A fixed number of queries per page, whatever the number of
candidates.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from ..domain import figures as fig
from ..domain.criteria import CriteriaSystem
from ..domain.matrix import parse_matrix
from ..domain.run import explain, rank_candidates
from ..domain.scoring import round_half_up
from ..domain.workflow import ApplicationState as S
from ..extensions import db
from ..models import (Application, Assignment, AssignmentState, Authority, Call, Organisation, RankingRun,
                      ReviewerProfile, Score, ScoreSheet, SheetState)
from .criteria import category_labels, system as criteria_system, system_of
from .run_inputs import load_inputs
from .runs import official_run

HEAVY_COLUMNS = (RankingRun.matrix_csv, RankingRun.results_json, RankingRun.robustness_json,
                 RankingRun.weights_json)


@dataclass(frozen=True)
class RunRow:
    """One candidate of a run page."""

    app_id: int
    name: str
    authority: str
    rank: int
    score: float
    subtotals: dict[str, float]
    other_rank: int | None
    other_score: float | None
    p05: int | None
    p95: int | None
    p_within: float | None


def run_list(call: Call) -> list[RankingRun]:
    """Every stored run of a call, newest first, in one query without the matrices and results
    (which are large at thousands of candidates and not needed for a list)."""
    return list(db.session.scalars(select(RankingRun).where(RankingRun.call_id == call.id)
                                   .options(*[defer(c) for c in HEAVY_COLUMNS])
                                   .order_by(RankingRun.id.desc())))


@dataclass(frozen=True)
class Page:
    """A page of a list held in memory, shaped like Flask-SQLAlchemy's pagination for `_macros.pagination`."""

    page: int
    per_page: int
    total: int

    def __post_init__(self) -> None:
        # A page past the last shows the last page, as paginate() does for queries.
        object.__setattr__(self, "page", min(max(self.page, 1), self.pages))

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self, left_edge: int = 1, left_current: int = 2, right_current: int = 3,
                   right_edge: int = 1) -> Iterator[int | None]:
        last = 0
        for n in range(1, self.pages + 1):
            if (n <= left_edge or self.page - left_current <= n < self.page + right_current
                    or n > self.pages - right_edge):
                if last + 1 != n:
                    yield None
                yield n
                last = n


def group_subtotals(system: CriteriaSystem, points: dict[str, float]) -> dict[str, float]:
    """Points per level-1 group (from the run's points, 2 decimals)."""
    totals: dict[str, float] = {}
    for ind in system.scored_indicators:
        totals[ind.group] = totals.get(ind.group, 0.0) + points[ind.id]
    return {g: round_half_up(v, 2) for g, v in totals.items()}


def names(app_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """{application id: (organisation name, authority name)} in one query."""
    if not app_ids:
        return {}
    rows = db.session.execute(
        select(Application.id, Organisation.name, Authority.name)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(Authority, Authority.code == Application.authority_code)
        .where(Application.id.in_(list(app_ids)))).all()
    return {int(a): (str(n), str(au)) for a, n, au in rows}


def run_rows(run: RankingRun, *, doc: dict[str, Any] | None = None, offset: int = 0,
             limit: int | None = None) -> list[RunRow]:
    """Rows of a run in display order (a slice for one page), raw and adjusted side by side.

    ``doc`` is ``run.results`` when the caller has parsed it already."""
    system = system_of(run)
    doc = doc if doc is not None else run.results
    results = doc["mcda"]["results"]
    other = {r["id"]: r for r in doc.get("companion", {}).get("mcda", {}).get("results", [])}
    chosen = results[offset:offset + limit if limit is not None else None]
    found = names([int(r["id"]) for r in chosen])
    rows = []
    for r in chosen:
        rob = r.get("robustness") or {}
        o = other.get(r["id"])
        name, authority = found.get(int(r["id"]), ("?", "?"))
        rows.append(RunRow(app_id=int(r["id"]), name=name, authority=authority, rank=r["rank"],
                           score=r["score"],
                           subtotals=group_subtotals(system, r["points"]),
                           other_rank=o["rank"] if o else None, other_score=o["score"] if o else None,
                           p05=rob.get("rank_p05"), p95=rob.get("rank_p95"),
                           p_within=rob.get("p_within_places")))
    return rows


def chart_rows(run: RankingRun) -> list[tuple[str, int, float, int | None, int | None]]:
    """(label, rank, score, p05, p95) of the run's candidates in display order."""
    out = []
    for r in run.results["mcda"]["results"]:
        rob = r.get("robustness") or {}
        out.append((r["id"], r["rank"], r["score"], rob.get("rank_p05"), rob.get("rank_p95")))
    return out


@dataclass(frozen=True)
class CandidateExplanation:
    """One candidate: per indicator its input, points and contribution, and the gap to the cut-off."""

    app_id: int
    rank: int
    score: float
    rows: list[tuple[str, str, str, float, float, float]]  # id, title, group, input, points, contribution
    cutoff_score: float | None
    gap: float | None


def explain_candidate(run: RankingRun, app_id: int) -> CandidateExplanation | None:
    """Recompute the run (without samples) from its matrix and explain one candidate."""
    system = system_of(run)
    matrix = parse_matrix(system, run.matrix_csv.encode("utf-8"))
    rows = [matrix.row(i) for i in range(len(matrix.ids))]
    ranked = rank_candidates(system, matrix.ids, rows, method=run.method, weights=run.weights,
                             category=run.category or None, places=run.places)
    wanted = str(app_id)
    for ex, res in zip(explain(ranked, run.places), ranked.results):
        if ex.id != wanted:
            continue
        inputs = rows[matrix.ids.index(wanted)]
        return CandidateExplanation(
            app_id=app_id, rank=ex.rank, score=ex.score, cutoff_score=ex.cutoff_score, gap=ex.gap_to_cutoff,
            rows=[(i.id, i.title, i.group, inputs[i.id], res.points[i.id],
                   round_half_up(ex.contributions[i.id], 4))
                  for i in system.scored_indicators])
    return None


# --- the call workbook ----------------------------------------------------------------------------

def _num(value: float | None) -> Decimal | None:
    """A stored float as the exact decimal of its shortest text (exports hold no floats)."""
    return None if value is None else Decimal(repr(float(value)))


def _cohort_runs(call: Call) -> dict[str, RankingRun]:
    """Per cohort the official run, or the newest run when there is no official one."""
    chosen: dict[str, RankingRun] = {}
    for c in call.category_codes or [""]:
        run = official_run(call, c) or db.session.scalar(
            select(RankingRun).where(RankingRun.call_id == call.id, RankingRun.category == c)
            .order_by(RankingRun.id.desc()).limit(1))
        if run is not None:
            chosen[c] = run
    return chosen


def workbook_sheets(call: Call) -> list[tuple[str, list[str], list[list[Any]]]]:
    """Sheets of the call's review workbook: applications, every score of every reviewer, the
    aggregated matrix (raw and adjusted), each cohort's official (or newest) run with group subtotals
    and both aggregations, and robustness. Strings are the applicants' and reviewers' own text."""
    system = criteria_system(call.criteria_id, call.criteria_version)
    apps = db.session.execute(
        select(Application.id, Organisation.name, Organisation.uscc, Authority.name, Application.category,
               Application.state, Application.figures)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(Authority, Authority.code == Application.authority_code)
        .where(Application.call_id == call.id, Application.state != S.DRAFT)
        .order_by(Application.submitted_at, Application.id)).all()
    fields = [f for f in system.fields if not f.derived]
    labels = category_labels(call)
    app_rows = []
    for app_id, name, uscc, auth, category, state, figures in apps:
        values = json.loads(figures or "{}")
        app_rows.append([app_id, name, uscc, auth, labels.get(category or "", category), state.label,
                         *[fig.export_value(f, values.get(f.id)) for f in fields]])
    sheets = [("申报", ["申报编号", "单位名称", "统一社会信用代码", "推荐单位", "类别", "状态",
                      *[f.label for f in fields]], app_rows)]
    e_inds = [i for i in system.scored_indicators if i.type == "E"]
    sheet_labels = {SheetState.DRAFT: "草稿", SheetState.SUBMITTED: "已提交", SheetState.VOIDED: "已作废"}
    assignment_labels = {AssignmentState.ACTIVE: "有效", AssignmentState.REMOVED: "已移除",
                         AssignmentState.DECLINED: "已回避"}
    by_sheet: dict[int, list[Any]] = {}  # one row per reviewer's sheet, one column per E indicator
    for sheet_id, app_id, reviewer, ast, st, flagged, comment in db.session.execute(
            select(ScoreSheet.id, Assignment.application_id, ReviewerProfile.name, Assignment.state,
                   ScoreSheet.state, ScoreSheet.divergence_flagged, ScoreSheet.comment)
            .join(Assignment, ScoreSheet.assignment_id == Assignment.id)
            .join(ReviewerProfile, ReviewerProfile.id == Assignment.reviewer_id)
            .where(Assignment.call_id == call.id)
            .order_by(Assignment.application_id, ReviewerProfile.name, Assignment.id)):
        by_sheet[sheet_id] = [app_id, reviewer, assignment_labels.get(ast) or ast.value,
                              sheet_labels.get(st) or st.value, "是" if flagged else "",
                              *[None] * len(e_inds), comment or ""]
    column = {i.id: 5 + n for n, i in enumerate(e_inds)}
    for sheet_id, j, tenths in db.session.execute(  # plain integers: no per-row type processing
            select(Score.sheet_id, Score.indicator_id, Score.tenths)
            .join(ScoreSheet, ScoreSheet.id == Score.sheet_id)
            .join(Assignment, ScoreSheet.assignment_id == Assignment.id)
            .where(Assignment.call_id == call.id)):
        if j in column:
            by_sheet[sheet_id][column[j]] = Decimal(tenths) / 10
    sheets.append(("专家评分", ["申报编号", "评审专家", "分配状态", "评分表状态", "偏离标记",
                               *[f"{i.title}（满分{i.max:g}）" for i in e_inds], "总体意见"],
                   list(by_sheet.values())))
    inputs = load_inputs(call, adjusted=True)  # problems are collected, not raised: an open review exports
    sheets.append(("专家分汇总", ["申报编号", "类别", *[f"{i.title}（原始）" for i in e_inds],
                                  *[f"{i.title}（偏差校正）" for i in e_inds]],
                   [[a, labels.get(inputs.category[a], inputs.category[a]),
                     *[_num(inputs.raw[a].get(i.id)) for i in e_inds],
                     *[_num((inputs.adjusted or {}).get(a, {}).get(i.id)) for i in e_inds]]
                    for a in inputs.app_ids]))
    groups = [g for g in system.groups if any(i.group == g.id for i in system.scored_indicators)]
    ranking, robustness = [], []
    for code, run in _cohort_runs(call).items():
        c = labels.get(code, code)
        nature = ("正式" if run.official else "比较") + ("（已失效）" if run.stale else "")
        for row in run_rows(run):
            raw = (row.rank, row.score) if not run.adjusted else (row.other_rank, row.other_score)
            adj = (row.rank, row.score) if run.adjusted else (row.other_rank, row.other_score)
            ranking.append([c, run.id, nature, run.method, "偏差校正" if run.adjusted else "原始",
                            row.app_id, row.name, row.authority, row.rank, _num(row.score),
                            *[_num(row.subtotals.get(g.id)) for g in groups],
                            raw[0], _num(raw[1]), adj[0], _num(adj[1])])
            robustness.append([c, run.id, row.app_id, row.name, row.rank, row.p05, row.p95,
                               _num(row.p_within)])
    sheets.append(("排名", ["类别", "排名编号", "性质", "方法", "采用专家分", "申报编号", "单位名称", "推荐单位",
                            "名次", "得分", *[f"{g.title}小计" for g in groups],
                            "原始分名次", "原始分得分", "偏差校正名次", "偏差校正得分"], ranking))
    sheets.append(("稳健性", ["类别", "排名编号", "申报编号", "单位名称", "名次", "名次5%分位", "名次95%分位",
                             "进入名额概率"], robustness))
    return sheets
