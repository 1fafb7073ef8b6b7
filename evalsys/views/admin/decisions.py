"""/admin/calls/<code>/decisions: proposals, publicity, objections, the announcement, the publicity PDF."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from ...domain.timeutil import format_beijing, parse_beijing
from ...domain.workflow import ApplicationState as S
from ...extensions import db
from ...forms.base import name_options, options
from ...forms.decisions import ObjectionForm, ProposalForm, ResolveForm
from ...forms.security import ConfirmForm
from ...models import Application, Call, Objection, Proposal, ProposalState, Role
from ...permissions import roles_required
from ...reporting.publicity import publicity_pdf
from ...domain.uploads import safe_download_name
from ...services import audit, decisions as dec
from ...services import decision_query as dq
from ...i18n import gettext, refusal_text
from ..common.decisions import load_call, publicity_rows
from ..common.feedback import flash_form_errors


def _cohort_forms(call: Call) -> list[dict]:
    """Per cohort: the official run, the expected candidates and a form of every scored one in run order."""
    cohorts = []
    scored = {a.id: a for a in dq.applications_in_state(call, S.SCORED)}
    names = dec.names(list(scored))
    labels = dec.category_labels(call)
    for category in call.category_codes or [""]:
        label = labels.get(category, category) if category else ""
        try:
            run, expected = dec.expected_candidates(call, category)
        except dec.DecisionError as exc:
            cohorts.append({"category": category, "label": label, "problem": refusal_text(exc)})
            continue
        form = ProposalForm(prefix=f"p-{category or 'all'}", data={"category": category, "applications": expected})
        rows = [(int(r["id"]), r["rank"], r["score"], names.get(int(r["id"]), ("?", ""))) for r in
                run.results["mcda"]["results"] if int(r["id"]) in scored]
        form.applications.choices = name_options((i, n[0]) for i, _, _, n in rows)
        cohorts.append({"category": category, "label": label, "run": run, "expected": expected, "form": form,
                        "rows": rows})
    return cohorts


@roles_required(Role.ADMIN)
def decisions(code: str):
    """Proposals per cohort, pending approvals, publicity, objections and the announcement."""
    call = load_call(code)
    proposals = dq.proposals_of(call)
    in_publicity = dec.publicity_list(call)
    objections = dq.objections_of(call)
    names = dec.names([a for p in proposals for a in p.ids] + [o.application_id for o in objections]
                      + [a.id for a, _ in in_publicity])
    objection_form = ObjectionForm()
    objection_form.application.choices = options(
        (a.id, names[a.id][0]) for a, _ in in_publicity if a.state == S.IN_PUBLICITY)
    proposed = dq.applications_in_state(call, S.PROPOSED)
    return render_template("decisions/manage.html", call=call, cohorts=_cohort_forms(call), proposals=proposals,
                           in_publicity=in_publicity, objections=objections, objection_form=objection_form,
                           resolve_form=ResolveForm(), confirm=ConfirmForm(), names=names, proposed=proposed,
                           announced=dec.announcement(call), channels=dec.CHANNELS,
                           labels=dec.category_labels(call))


@roles_required(Role.ADMIN)
def propose(code: str, category: str):
    """Propose candidates of one cohort ("-" = a call without categories)."""
    call = load_call(code)
    category = "" if category == "-" else category
    form = ProposalForm(prefix=f"p-{category or 'all'}")
    form.applications.choices = options((a, a) for a in dq.application_ids_in_state(call, S.SCORED))
    if not form.validate_on_submit():
        flash(gettext("所选对象无效：只能从该范围已评分的对象中选择"), "danger")
        return redirect(url_for("admin.decisions", code=code))
    proposal = dec.propose_candidates(call, category, form.applications.data, reason=form.reason.data,
                                      actor=current_user._get_current_object())
    flash(gettext("拟入选名单已生效。") if proposal.state == ProposalState.APPLIED
          else gettext("名单与正式排名不一致，已提交，等待另一位管理员批准。"), "success")
    return redirect(url_for("admin.decisions", code=code))


@roles_required(Role.ADMIN)
def proposal_action(code: str, proposal_id: int, verb: str):
    """A second admin approves (or withdraws) a proposal that differs from the official run."""
    call = load_call(code)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.call_id != call.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    fn = dec.approve_proposal if verb == "approve" else dec.withdraw_proposal
    fn(proposal, actor=current_user._get_current_object())
    flash(gettext("已批准，拟入选名单已生效。") if verb == "approve" else gettext("名单已撤回。"), "success")
    return redirect(url_for("admin.decisions", code=code))


@roles_required(Role.ADMIN)
def open_publicity(code: str):
    """Open publicity for every proposed candidate."""
    call = load_call(code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    entries = dec.open_publicity(call, actor=current_user._get_current_object())
    flash(gettext("已公示 %(n)s 个对象，公示期至 %(until)s。", n=len(entries),
                  until=format_beijing(entries[0].ends_at)), "success")
    return redirect(url_for("admin.decisions", code=code))


@roles_required(Role.ADMIN)
def record_objection(code: str):
    """Record an objection received by letter or phone."""
    call = load_call(code)
    form = ObjectionForm()
    form.application.choices = options((a.id, a.id) for a, _ in dec.publicity_list(call))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("admin.decisions", code=code))
    app = db.session.get(Application, form.application.data)
    dec.record_objection(app, channel=form.channel.data, received_at=parse_beijing(form.received_at.data),
                         summary=form.summary.data, actor=current_user._get_current_object())
    flash(gettext("异议已登记。"), "success")
    return redirect(url_for("admin.decisions", code=code))


@roles_required(Role.ADMIN)
def resolve_objection(code: str, objection_id: int):
    """Resolve an objection (upheld → the candidate is rejected) with a reason."""
    call = load_call(code)
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.call_id != call.id:
        abort(404)
    form = ResolveForm()
    if not form.validate_on_submit():
        flash(gettext("处理异议必须填写理由"), "danger")
        return redirect(url_for("admin.decisions", code=code))
    dec.resolve_objection(objection, upheld=form.decision.data == "uphold", reason=form.reason.data,
                          actor=current_user._get_current_object())
    flash(gettext("异议已处理。"), "success")
    return redirect(url_for("admin.decisions", code=code))


@roles_required(Role.ADMIN)
def announce(code: str):
    """Announce the results after every publicity period ended."""
    call = load_call(code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    dec.announce_results(call, actor=current_user._get_current_object())
    flash(gettext("结果已公布，申报单位已收到站内通知。"), "success")
    return redirect(url_for("admin.decisions", code=code))


@roles_required(Role.ADMIN)
def publicity_pdf_view(code: str):
    """The publicity list as PDF."""
    call = load_call(code)
    pdf = publicity_pdf(title=gettext("%(title)s拟入选名单公示", title=call.title),
                        subtitle=gettext("以下单位拟入选，现予公示。公示期间如有异议，请以来信或来电方式向商务部反映。"),
                        rows=publicity_rows(call),
                        note=gettext("公示期按自然日计算，公示首日为第1日，截止日24:00（北京时间）结束。"),
                        font_path=current_app.config.get("CJK_FONT"), tr=gettext)
    audit.record("decision.publicity_pdf", obj=call, actor=current_user._get_current_object())
    name = gettext("%(code)s-公示名单.pdf", code=call.code)
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": safe_download_name(name)})
