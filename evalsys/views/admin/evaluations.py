"""/admin/evaluations: rounds, the round dashboard with batch issuing, and the ministry's steps on
one evaluation (accept / return, issue / reissue, rectification requirement, revocation)."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from ...boundary import after_commit, attempt, refusal_returns_to
from ...domain.money import MoneyError, parse_yuan
from ...domain.timeutil import parse_beijing
from ...extensions import db
from ...forms.base import name_options, options
from ...forms.evaluations import (ConfirmVersionForm, ReasonForm, RequireRectificationForm, RevokeForm, RoundForm)
from ...domain.errors import text_of
from ...i18n import gettext, in_language, translated
from ...listing import list_control, year_filter
from ...models import EvaluationAttachment, Role
from ...pagination import paginate
from ...permissions import can_decide_evaluation, roles_required
from ...reporting import evaluation_charts as charts
from ...services import admin_query
from ...services import criteria as criteria_svc
from ...services import evaluation_batch as batch
from ...services import evaluation_query as q
from ...services import evaluations as svc
from ...services import evaluation_review
from ...services import versioning
from ...services import rectifications as rect
from ...services.evaluation_reports import issue_report, round_reports
from ...services.round_summaries import round_summaries
from ..common.evaluations import detail_context, expected_version, load_evaluation, load_round, send_report
from ..common.downloads import send_stored


def _decide(evaluation_id: int):
    ev = load_evaluation(evaluation_id)
    if not can_decide_evaluation(current_user, ev):
        abort(403)
    return ev


@roles_required(Role.ADMIN)
def evaluation_rounds():
    """The evaluation rounds with their number of bases: search by code, title or year, filter by year, sortable;
    paginated."""
    lst = list_control("admin.evaluation_rounds", sorts=admin_query.ROUND_SORTS, search=gettext("代码、名称或年度"),
                       filters=[year_filter(q.round_years())])
    page = paginate(admin_query.evaluation_rounds(lst.query))
    return render_template("evaluations/rounds.html", page=page, lst=lst,
                           bases=admin_query.bases_per_round(page.items))


@roles_required(Role.ADMIN)
def evaluation_round_new():
    """Create a round: code, title, indicator system, deadlines (Beijing time), bases in scope."""
    form = RoundForm()
    form.criteria.choices = options((f"{s.id}:{s.version}", gettext("%(title)s（v%(version)s）", title=in_language(s),
                                                                    version=s.version))
                                    for s in criteria_svc.available("performance"))
    bases = admin_query.bases()
    form.bases.choices = name_options((str(b.id), f"{b.code} {b.name}") for b in bases)
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        system_id, _, version = form.criteria.data.partition(":")
        data = svc.RoundData(code=form.code.data, title=form.title.data, year=form.year.data, criteria_id=system_id,
                             criteria_version=int(version or 0), self_deadline=parse_beijing(form.self_deadline.data),
                             authority_deadline=parse_beijing(form.authority_deadline.data),
                             base_ids=[int(b) for b in form.bases.data])
        created = []
        refused = attempt(lambda: created.append(svc.create_round(data, actor=current_user._get_current_object())))
        if not refused:
            flash(gettext("已创建评价批次：%(title)s", title=created[0].title), "success")
            return redirect(url_for("admin.evaluation_round", code=created[0].code))
        errors = refused.field_errors()
    return render_template("evaluations/round_form.html", form=form, errors=errors)


@roles_required(Role.ADMIN)
def evaluation_round(code: str):
    """The round dashboard: bases, grades, scores by authority, execution vs score, rectification, batch."""
    round_ = load_round(code)
    data = q.rows(round_)
    job = batch.latest_job(round_.id)
    return render_template("evaluations/dashboard.html", round=round_, rows=data,
                           grades=q.grade_distribution(data), by_authority=q.scores_by_authority(data),
                           rectifications=q.rectification_status(data), job=job,
                           interrupted=job is not None and batch.is_interrupted(job),
                           progress=batch.job_progress(job) if job is not None else None,
                           holder=batch.lock_holder(round_), pending=len(batch.pending_evaluations(round_.id)),
                           reports=round_reports(round_.id), summaries=round_summaries(round_),
                           confirm=ConfirmVersionForm())


@roles_required(Role.ADMIN)
def evaluation_round_chart(code: str, name: str):
    """A dashboard chart as PNG."""
    data = q.rows(load_round(code))
    if name == "grades":
        png = charts.grade_distribution_png(q.grade_distribution(data))
    elif name == "authorities":
        png = charts.scores_by_authority_png(q.scores_by_authority(data))
    else:
        png = charts.execution_vs_score_png(q.execution_vs_score(data))
    return Response(png, mimetype="image/png")


@roles_required(Role.ADMIN)
def evaluation_round_batch_progress(code: str):
    """The latest batch job of the round as JSON, polled by the page's progress bar."""
    round_ = load_round(code)
    job = batch.latest_job(round_.id)
    data = batch.job_progress(job) if job is not None else {"job": None, "finished": True}
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


@roles_required(Role.ADMIN)
def evaluation_round_batch(code: str):
    """Start (or resume) issuing every accepted evaluation of the round in the background."""
    round_ = load_round(code)
    if not ConfirmVersionForm().validate_on_submit():
        abort(400)
    refusal_returns_to(url_for("admin.evaluation_round", code=code))
    if batch.lock_holder(round_) is not None:
        raise batch.LockBusy("该批次正在出具报告（页面或命令行），请稍后刷新查看进度")
    app = current_app._get_current_object()
    job = batch.create_job(round_, actor=current_user._get_current_object(), backend=batch.background_backend(app))
    if job is None:
        flash(gettext("没有待出具的报告。"), "info")
        return redirect(url_for("admin.evaluation_round", code=code))
    after_commit(batch.start_background, app, job.id)  # the worker reads the committed job
    flash(gettext("已开始批量出具报告（共 %(total)s 份），刷新页面查看进度。", total=job.total), "success")
    return redirect(url_for("admin.evaluation_round", code=code))


@roles_required(Role.ADMIN)
def evaluation_item(evaluation_id: int):
    """One base's evaluation as the ministry sees it, with its steps."""
    ev = _decide(evaluation_id)
    return render_template("evaluations/detail.html", form=None, errors={},
                           confirm=ConfirmVersionForm(data={"version": ev.version_id}),
                           reason_form=ReasonForm(data={"version": ev.version_id}),
                           require_form=RequireRectificationForm(),
                           revoke_form=RevokeForm(data={"version": ev.rectification.version_id}
                                                  if ev.rectification else None),
                           **detail_context(ev))


@roles_required(Role.ADMIN)
def evaluation_item_decide(evaluation_id: int, action: str):
    """Accept, return (reason), issue the signed report, or reissue it (reason; the old is superseded)."""
    ev = _decide(evaluation_id)
    form = ReasonForm() if action in ("return", "reissue") else ConfirmVersionForm()
    if not form.validate_on_submit():
        abort(400, description="请填写理由")
    actor = current_user._get_current_object()
    if action == "accept":
        evaluation_review.accept_evaluation(ev, actor=actor, expected_version=expected_version(form))
    elif action == "return":
        evaluation_review.return_evaluation(ev, reason=form.reason.data, actor=actor,
                                            expected_version=expected_version(form))
    else:
        versioning.check_version(ev, expected_version(form))
        issue_report(ev, actor=actor, reissue=action == "reissue",
                     reason=form.reason.data if action == "reissue" else "")
    flash({"accept": gettext("已审核通过。"), "return": gettext("已退回主管部门。"), "issue": gettext("报告已出具。"),
           "reissue": gettext("已重新出具报告，原报告标记为已被替代。")}[action], "success")
    return redirect(url_for("admin.evaluation_item", evaluation_id=ev.id))


@roles_required(Role.ADMIN)
def evaluation_require_rectification(evaluation_id: int):
    """Require a 差 base to rectify within the deadline (3 months by default)."""
    ev = _decide(evaluation_id)
    form = RequireRectificationForm()
    if not form.validate_on_submit():
        abort(400, description="请填写整改要求")
    deadline = parse_beijing(form.deadline.data) if form.deadline.data else None
    rect.require_rectification(ev, requirement=form.requirement.data, deadline=deadline,
                               actor=current_user._get_current_object())
    flash(gettext("已下达整改要求。"), "success")
    return redirect(url_for("admin.evaluation_item", evaluation_id=ev.id))


@roles_required(Role.ADMIN)
def evaluation_revoke(evaluation_id: int):
    """Revoke the title after a failed rectification and record the funds to recover (itemised by the
    rules: unspent balances and forbidden-category spending, plus any further amount named)."""
    ev = _decide(evaluation_id)
    if ev.rectification is None:
        abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400, description="请填写理由并确认")
    try:
        amount = parse_yuan(form.amount.data) if (form.amount.data or "").strip() else 0
    except MoneyError as e:
        abort(400, description=translated(text_of(e)))
    rect.revoke_title(ev.rectification, amount_fen=amount, reason=form.reason.data,
                      document_no=form.document_no.data or "", actor=current_user._get_current_object(),
                      expected_version=expected_version(form))
    flash(gettext("已撤销示范基地称号，收回资金已记入该基地的资金台账。"), "success")
    return redirect(url_for("admin.evaluation_item", evaluation_id=ev.id))


@roles_required(Role.ADMIN)
def evaluation_evidence_file(evaluation_id: int, attachment_id: int):
    """Download an evidence file."""
    ev = _decide(evaluation_id)
    item = db.session.get(EvaluationAttachment, attachment_id)
    if item is None or item.evaluation_id != ev.id:
        abort(404)
    return send_stored(item.file)


@roles_required(Role.ADMIN)
def evaluation_report(evaluation_id: int, report_id: int):
    """A signed report."""
    return send_report(_decide(evaluation_id), report_id)
