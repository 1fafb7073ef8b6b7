"""/applicant/evaluations: the base operator's self-evaluation, evidence, rectification report and
its own base's issued reports."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...boundary import attempt, refusal_returns_to
from ...extensions import db
from ...forms.evaluations import (FIGURE, NARRATIVE, ConfirmVersionForm, EvidenceForm, RectificationReportForm,
                                 self_evaluation_form)
from ...i18n import gettext
from ...models import Evaluation, EvaluationAttachment, Role
from ...permissions import can_edit_self_evaluation, can_self_evaluate, roles_required
from ...services import evaluations as svc
from ...services import evaluation_query, self_evaluation
from ...services import rectifications as rect
from ...services.files import store_upload
from ..common.evaluations import detail_context, evaluation_list, expected_version, load_evaluation, send_report
from ..common.downloads import send_stored


def _own(evaluation_id: int) -> Evaluation:
    ev = load_evaluation(evaluation_id)
    if not can_self_evaluate(current_user, ev):
        abort(403)
    return ev


def _form(ev: Evaluation, post: bool):
    system = svc.system_of(ev.round)
    fields = svc.input_fields(system)
    if post:
        return self_evaluation_form(system, fields)
    data = {"version": ev.version_id}
    data.update({FIGURE + k: v for k, v in self_evaluation.figure_form_values(ev, system).items()})
    data.update({NARRATIVE + g.id: (ev.narratives or {}).get(g.id, "") for g in system.groups})
    return self_evaluation_form(system, fields, data=data)


def _page(ev: Evaluation, form, errors: dict | None = None, status: int = 200):
    return render_template("evaluations/detail.html", form=form, errors=errors or {}, evidence=EvidenceForm(),
                           confirm=ConfirmVersionForm(data={"version": ev.version_id}),
                           report_form=RectificationReportForm(data={"version": ev.rectification.version_id}
                                                               if ev.rectification else None),
                           FIGURE=FIGURE, NARRATIVE=NARRATIVE, **detail_context(ev)), status


@roles_required(Role.APPLICANT)
def evaluations():
    """The evaluations of the bases this organisation operates (searched, filtered, sorted, paged)."""
    return evaluation_list("applicant.evaluation",
                           lambda lq: evaluation_query.organisation_evaluations(current_user.organisation_id, lq))


@roles_required(Role.APPLICANT)
def evaluation(evaluation_id: int):
    """The self-evaluation: figures (prefilled from the fund records) and narratives; save."""
    ev = _own(evaluation_id)
    if not can_edit_self_evaluation(current_user, ev):  # submitted, evaluated or issued: shown read-only
        if request.method == "POST":
            refusal_returns_to(url_for("applicant.evaluation", evaluation_id=ev.id))
            raise svc.EvaluationError("自评已提交，不能再修改")
        return _page(ev, None)
    form = _form(ev, request.method == "POST")
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(ev, form, status=400)
        data = self_evaluation.SelfEvaluationInput(
            figures={k[len(FIGURE):]: v.data or "" for k, v in form._fields.items() if k.startswith(FIGURE)},
            narratives={k[len(NARRATIVE):]: v.data or "" for k, v in form._fields.items() if k.startswith(NARRATIVE)})
        refused = attempt(lambda: self_evaluation.save_self_evaluation(
            ev, data, actor=current_user._get_current_object(), expected_version=expected_version(form)), obj=ev)
        if refused:  # shown on the form, the input kept
            status = 409 if refused.error is None else 400  # a stale tab, or figures to correct
            return _page(ev, form, refused.field_errors(), status)
        flash(gettext("自评内容已保存。"), "success")
        return redirect(url_for("applicant.evaluation", evaluation_id=ev.id))
    return _page(ev, form)


@roles_required(Role.APPLICANT)
def evaluation_submit(evaluation_id: int):
    """Submit the self-evaluation to the authority."""
    ev = _own(evaluation_id)
    form = ConfirmVersionForm()
    if not form.validate_on_submit():
        abort(400)
    self_evaluation.submit_self_evaluation(ev, actor=current_user._get_current_object(),
                                           expected_version=expected_version(form))
    flash(gettext("自评已提交，等待主管部门评价。"), "success")
    return redirect(url_for("applicant.evaluation", evaluation_id=ev.id))


@roles_required(Role.APPLICANT)
def evaluation_evidence(evaluation_id: int):
    """Attach an evidence file (PDF, checked like every upload)."""
    ev = _own(evaluation_id)
    form = EvidenceForm()
    if not form.validate_on_submit():
        abort(400)
    refusal_returns_to(url_for("applicant.evaluation", evaluation_id=ev.id))
    stored = store_upload(form.file.data, purpose="evaluation_evidence", actor_id=current_user.id)
    self_evaluation.attach_evidence(ev, stored, form.label.data or "", actor=current_user._get_current_object())
    flash(gettext("佐证材料已上传。"), "success")
    return redirect(url_for("applicant.evaluation", evaluation_id=ev.id))


@roles_required(Role.APPLICANT)
def evaluation_evidence_file(evaluation_id: int, attachment_id: int):
    """Download one evidence file of the own base's evaluation."""
    ev = _own(evaluation_id)
    item = db.session.get(EvaluationAttachment, attachment_id)
    if item is None or item.evaluation_id != ev.id:
        abort(404)
    return send_stored(item.file)


@roles_required(Role.APPLICANT)
def evaluation_rectification(evaluation_id: int):
    """Submit the rectification report before its deadline."""
    ev = _own(evaluation_id)
    if ev.rectification is None:
        abort(404)
    form = RectificationReportForm()
    if not form.validate_on_submit():
        abort(400, description="请填写整改报告")
    refusal_returns_to(url_for("applicant.evaluation", evaluation_id=ev.id))
    stored = None
    if form.file.data and getattr(form.file.data, "filename", ""):
        stored = store_upload(form.file.data, purpose="rectification_report", actor_id=current_user.id)
    rect.submit_rectification_report(ev.rectification, report=form.report.data, file=stored,
                                     actor=current_user._get_current_object(), expected_version=expected_version(form))
    flash(gettext("整改报告已提交。"), "success")
    return redirect(url_for("applicant.evaluation", evaluation_id=ev.id))


@roles_required(Role.APPLICANT)
def evaluation_report(evaluation_id: int, report_id: int):
    """The signed report of the own base."""
    return send_report(_own(evaluation_id), report_id)
