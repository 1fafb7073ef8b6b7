"""/authority/evaluations: the authority evaluates its jurisdiction's bases (E scores, corrections
with reasons, fund compliance flags, conclusions), submits to the ministry, re-checks rectification."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...boundary import attempt, refusal_returns_to
from ...extensions import db
from ...forms.evaluations import (COMMENT, FIGURE, POINTS, REASON, ConfirmVersionForm, ReasonForm, RecheckForm,
                                 authority_form)
from ...i18n import gettext
from ...models import Evaluation, EvaluationAttachment, Role
from ...permissions import can_edit_evaluation, can_evaluate, roles_required
from ...services import evaluations as svc
from ...services import evaluation_review
from ...services import evaluation_query, self_evaluation
from ...services import rectifications as rect
from ..common.evaluations import detail_context, evaluation_list, expected_version, load_evaluation, send_report
from ..common.downloads import send_stored


def _mine(evaluation_id: int) -> Evaluation:
    ev = load_evaluation(evaluation_id)
    if not can_evaluate(current_user, ev):
        abort(403)
    return ev


def _form(ev: Evaluation, post: bool):
    system = svc.system_of(ev.round)
    fields = svc.input_fields(system)
    if post:
        return authority_form(system, fields)
    scores = {s.indicator_id: s for s in ev.scores}
    data: dict = {"version": ev.version_id, "conclusions": ev.conclusions, "problems": ev.problems,
                  "recommendations": ev.recommendations, "other_notes": ev.other_notes, "bonus": ev.bonus or ""}
    for ind_id, s in scores.items():
        data[POINTS + ind_id], data[COMMENT + ind_id] = s.points or "", s.comment
    data.update({FIGURE + k: v for k, v in self_evaluation.figure_form_values(ev, system).items()})
    return authority_form(system, fields, data=data)


def _page(ev: Evaluation, form, errors: dict | None = None, status: int = 200):
    return render_template("evaluations/detail.html", form=form, errors=errors or {},
                           confirm=ConfirmVersionForm(data={"version": ev.version_id}),
                           reason_form=ReasonForm(data={"version": ev.version_id}),
                           recheck_form=RecheckForm(data={"version": ev.rectification.version_id}
                                                    if ev.rectification else None),
                           FIGURE=FIGURE, POINTS=POINTS, COMMENT=COMMENT, REASON=REASON,
                           **detail_context(ev)), status


def _prefixed(form, prefix: str) -> dict[str, str]:
    return {k[len(prefix):]: v.data or "" for k, v in form._fields.items() if k.startswith(prefix)}


@roles_required(Role.AUTHORITY)
def evaluations():
    """The evaluations of this jurisdiction's bases (searched, filtered, sorted, paged)."""
    return evaluation_list("authority.evaluation",
                           lambda lq: evaluation_query.jurisdiction_evaluations(current_user.authority_code, lq))


@roles_required(Role.AUTHORITY)
def evaluation(evaluation_id: int):
    """Evaluate: scores with comments, corrections with reasons, conclusions; save."""
    ev = _mine(evaluation_id)
    if not can_edit_evaluation(current_user, ev):  # before the self-evaluation or after submitting: read-only
        if request.method == "POST":
            refusal_returns_to(url_for("authority.evaluation", evaluation_id=ev.id))
            raise svc.EvaluationError("当前状态下不能修改评价")
        return _page(ev, None)
    form = _form(ev, request.method == "POST")
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(ev, form, status=400)
        data = evaluation_review.AuthorityInput(points=_prefixed(form, POINTS), comments=_prefixed(form, COMMENT),
                                  figures=_prefixed(form, FIGURE), reasons=_prefixed(form, REASON),
                                  conclusions=form.conclusions.data or "", problems=form.problems.data or "",
                                  recommendations=form.recommendations.data or "",
                                  other_notes=form.other_notes.data or "", bonus=form.bonus.data or "")
        refused = attempt(lambda: evaluation_review.save_authority_evaluation(
            ev, data, actor=current_user._get_current_object(), expected_version=expected_version(form)), obj=ev)
        if refused:  # shown on the form, the input kept
            status = 409 if refused.error is None else 400  # a stale tab, or entries to correct
            return _page(ev, form, refused.field_errors(), status)
        flash(gettext("评价内容已保存。"), "success")
        return redirect(url_for("authority.evaluation", evaluation_id=ev.id))
    return _page(ev, form)


@roles_required(Role.AUTHORITY)
def evaluation_decide(evaluation_id: int, action: str):
    """Submit the evaluation to the ministry, or return the self-evaluation with a reason."""
    ev = _mine(evaluation_id)
    form = ConfirmVersionForm() if action == "submit" else ReasonForm()
    if not form.validate_on_submit():
        abort(400, description="请填写理由")
    actor = current_user._get_current_object()
    if action == "submit":
        evaluation_review.submit_evaluation(ev, actor=actor, expected_version=expected_version(form))
    else:
        evaluation_review.return_self_evaluation(ev, reason=form.reason.data, actor=actor,
                                                 expected_version=expected_version(form))
    flash(gettext("已提交商务部审核。") if action == "submit" else gettext("已退回基地修改自评。"), "success")
    return redirect(url_for("authority.evaluation", evaluation_id=ev.id))


@roles_required(Role.AUTHORITY)
def evaluation_recheck(evaluation_id: int):
    """Re-check the base's rectification: passed or failed, with the authority's opinion."""
    ev = _mine(evaluation_id)
    if ev.rectification is None:
        abort(404)
    form = RecheckForm()
    if not form.validate_on_submit():
        abort(400, description="请填写复查意见")
    rect.recheck_rectification(ev.rectification, passed=form.outcome.data == "passed", result=form.result.data,
                               actor=current_user._get_current_object(), expected_version=expected_version(form))
    flash(gettext("复查结论已提交。"), "success")
    return redirect(url_for("authority.evaluation", evaluation_id=ev.id))


@roles_required(Role.AUTHORITY)
def evaluation_evidence_file(evaluation_id: int, attachment_id: int):
    """Download an evidence file of a base of this jurisdiction."""
    ev = _mine(evaluation_id)
    item = db.session.get(EvaluationAttachment, attachment_id)
    if item is None or item.evaluation_id != ev.id:
        abort(404)
    return send_stored(item.file)


@roles_required(Role.AUTHORITY)
def evaluation_report(evaluation_id: int, report_id: int):
    """A signed report of a base of this jurisdiction."""
    return send_report(_mine(evaluation_id), report_id)
