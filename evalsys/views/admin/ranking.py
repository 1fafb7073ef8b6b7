"""/admin/calls/<code>/ranking: ranking settings, stored runs, the run page, chart, comparison, workbook."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...boundary import STALE_MESSAGE, attempt
from ...extensions import db
from ...forms.base import options
from ...forms.ranking import RankingSettingsForm, RunForm
from ...i18n import gettext, in_language
from ...models import Call, RankingRun, Role
from ...models.types import utcnow
from ...pagination import page_number
from ...permissions import roles_required
from ...reporting.ranking import Sheet, ranking_chart_png, workbook_bytes
from ...services.calls import find_call
from ...services import ranking_report as report, run_compare, run_readiness, runs
from ...services.criteria import system_of
from ...services.ranking_settings import (RULE_LABELS, change_ranking_settings, weight_choices,
                                         weights_value)


PER_PAGE = 100


def _load_call(code: str) -> Call:
    return find_call(code) or abort(404)


def _load_run(call: Call, run_id: int) -> RankingRun:
    run = db.session.get(RankingRun, run_id)
    if run is None or run.call_id != call.id:
        abort(404)
    return run


def _run_form(call: Call) -> RunForm:
    form = RunForm()
    labels = report.category_labels(call)
    form.category.choices = options([("", gettext("全部类别（每类一个结果）"))]
                                    + [(c, labels.get(c, c)) for c in call.category_codes]
                                    if call.category_codes else [("", gettext("全部（不分类别）"))])
    return form


def _index(call: Call, form: RunForm, *, refused: list[str] | None = None, status: int = 200):
    rule, version = runs.weight_setting(call)
    return render_template("ranking/index.html", call=call, form=form, runs=report.run_list(call),
                           problems=run_readiness.review_problems(call), refused=refused or [], rule=rule,
                           version=version, rule_labels=RULE_LABELS, method_labels=runs.METHOD_LABELS,
                           labels=report.category_labels(call)), status


@roles_required(Role.ADMIN)
def ranking(code: str):
    """Settings (locked or not), readiness, stored runs and the form to make one."""
    call = _load_call(code)
    return _index(call, _run_form(call))


@roles_required(Role.ADMIN)
def ranking_settings(code: str):
    """Edit the official method, weights and aggregation option until they lock."""
    call = _load_call(code)
    locked = call.settings_locked_at is not None
    data = {"version": call.version_id, "official_method": call.official_method,
            "weights": weights_value(call), "adjusted_aggregation": call.adjusted_aggregation}
    form = RankingSettingsForm(data=data) if request.method == "GET" else RankingSettingsForm()
    form.weights.choices = options(weight_choices(call))

    def page(errors: list[str], status: int = 200):
        html = render_template("ranking/settings.html", call=call, form=form, locked=locked, errors=errors)
        return html, status

    if request.method == "GET" or not form.validate_on_submit():
        return page([], 200 if request.method == "GET" else 400)
    if str(call.version_id) != (form.version.data or ""):
        return page([gettext(STALE_MESSAGE)], 409)
    refused = attempt(lambda: change_ranking_settings(call, method=form.official_method.data,
                                                      weights=form.weights.data,
                                                      adjusted=bool(form.adjusted_aggregation.data),
                                                      actor=current_user._get_current_object()), obj=call)
    if refused:
        return page(refused.lines, 409)
    flash(gettext("排名设置已保存。"), "success")
    return redirect(url_for("admin.ranking", code=code))


@roles_required(Role.ADMIN)
def ranking_run(code: str):
    """Make and store a run of one cohort (or of every category at once when none is chosen).

    Refused, with every missing sheet listed, while the review window is open or sheets are missing;
    another method or aggregation than the call's locked settings is stored as a comparison."""
    call = _load_call(code)
    form = _run_form(call)
    if not form.validate_on_submit():
        return _index(call, form, status=400)
    adjusted = {"raw": False, "adjusted": True}.get(form.aggregation.data or "")
    actor = current_user._get_current_object()
    made: list[RankingRun] = []

    def run():
        if form.category.data:
            made.append(runs.run_ranking(call, category=form.category.data, method=form.method.data or None,
                                         adjusted=adjusted, samples=form.samples.data, seed=form.seed.data,
                                         actor=actor))
        else:
            made.extend(runs.run_call(call, method=form.method.data or None, adjusted=adjusted,
                                      samples=form.samples.data, seed=form.seed.data, actor=actor))
        if not made:
            raise runs.RunRefused("没有参加评审的申报，无法排名")

    refused = attempt(run)
    if refused:
        return _index(call, form, refused=refused.lines, status=409)
    flash(gettext("已生成 %(n)s 个排名结果。", n=len(made)) if made[0].official
          else gettext("已生成 %(n)s 个排名结果（比较结果，不能用于拟入选）。", n=len(made)), "success")
    return redirect(url_for("admin.ranking_detail", code=code, run_id=made[0].id))


@roles_required(Role.ADMIN)
def ranking_detail(code: str, run_id: int):
    """A stored run: rank, score, group subtotals, the other aggregation beside it, robustness."""
    call = _load_call(code)
    run = _load_run(call, run_id)
    doc = run.results
    page = report.Page(page=page_number(), per_page=PER_PAGE, total=len(doc["mcda"]["results"]))
    rows = report.run_rows(run, doc=doc, offset=page.offset, limit=PER_PAGE)
    system = system_of(run)
    groups = [g for g in system.groups if any(i.group == g.id for i in system.scored_indicators)]
    others = [r for r in report.run_list(call) if r.id != run.id]
    return render_template("ranking/detail.html", call=call, run=run, rows=rows, groups=groups, page=page,
                           system_title=system.title,
                           others=others, sensitivity=run.robustness, method_labels=runs.METHOD_LABELS,
                           rule_labels=RULE_LABELS, labels=report.category_labels(call))


@roles_required(Role.ADMIN)
def ranking_chart(code: str, run_id: int):
    """The run's chart: scores by position and rank intervals."""
    call = _load_call(code)
    run = _load_run(call, run_id)
    category = report.category_labels(call).get(run.category, run.category)
    png = ranking_chart_png(report.chart_rows(run), places=run.places,
                            title=" ".join([call.title, category, runs.METHOD_LABELS.get(run.method, run.method)]),
                            score_label="得分")
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})


@roles_required(Role.ADMIN)
def ranking_candidate(code: str, run_id: int, app_id: int):
    """One candidate's explanation: inputs, points, contributions and the gap to the cut-off."""
    call = _load_call(code)
    run = _load_run(call, run_id)
    explanation = report.explain_candidate(run, app_id) or abort(404)
    system = system_of(run)
    return render_template("ranking/candidate.html", call=call, run=run, ex=explanation,
                           groups={g.id: in_language(g) for g in system.groups}, method_labels=runs.METHOD_LABELS)


@roles_required(Role.ADMIN)
def ranking_reproduce(code: str, run_id: int):
    """Recompute the stored run from its own matrix and weights and say whether it matches exactly."""
    call = _load_call(code)
    run = _load_run(call, run_id)
    result = run_compare.reproduce_run(run)
    flash(gettext("已按存档矩阵和权重重新计算，结果完全一致。") if result.exact
          else gettext("重新计算结果不一致：%(differences)s", differences="；".join(result.differences)),
          "success" if result.exact else "danger")
    return redirect(url_for("admin.ranking_detail", code=code, run_id=run.id))


@roles_required(Role.ADMIN)
def ranking_matrix(code: str, run_id: int):
    """The run's exact input matrix (the bytes its SHA-256 is of)."""
    call = _load_call(code)
    run = _load_run(call, run_id)
    return Response(run.matrix_csv.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=run-{run.id}-matrix.csv"})


@roles_required(Role.ADMIN)
def ranking_compare(code: str):
    """Two runs side by side: who moved, by how much."""
    call = _load_call(code)
    a = _load_run(call, request.args.get("a", 0, type=int))
    b = _load_run(call, request.args.get("b", 0, type=int))
    moves = run_compare.compare_runs(a, b)
    page = report.Page(page=page_number(), per_page=PER_PAGE, total=len(moves))
    shown = moves[page.offset:page.offset + PER_PAGE]
    return render_template("ranking/compare.html", call=call, a=a, b=b, moves=shown, page=page,
                           moved=sum(1 for m in moves if m.delta),
                           names=report.names([int(m.id) for m in shown]),
                           method_labels=runs.METHOD_LABELS, labels=report.category_labels(call))


@roles_required(Role.ADMIN)
def review_workbook(code: str):
    """The call's workbook: applications, every score, aggregated matrix, rankings, robustness."""
    call = _load_call(code)
    data = workbook_bytes([Sheet(t, h, r) for t, h, r in report.workbook_sheets(call)])
    stamp = utcnow().strftime("%Y%m%d")
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={call.code}-review-{stamp}.xlsx"})
