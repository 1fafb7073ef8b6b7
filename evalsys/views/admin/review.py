"""/admin/review: the expert pool, assignment per call, replacements, closing the window, reopening sheets,
and the progress board."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...boundary import attempt, refusal_returns_to
from ...domain.workflow import ApplicationState
from ...extensions import db
from ...i18n import gettext, gettext as _, translated
from ...forms.base import name_options, options
from ...forms.review import AddAssignmentForm, AssignForm, EmptyForm, ProfileForm, ReasonForm
from ...models import Application, Assignment, AssignmentState, Call, ReviewerProfile, ReviewerState, Role, ScoreSheet
from ...listing import Filter, list_control
from ...pagination import page_number, paginate
from ...permissions import roles_required
from ...services.calls import find_call
from ...services import review_pool, review_query as query, review_sheets, run_readiness
from ...services import review_progress as progress
from ...services.accounts import authority_choices
from ...services.applications import system_of
from ...services.assignment import (active_pool, add_assignment, assign_call, exclusions_for, proposals_for,
                                    remove_assignment)
from ..common.decisions import call_list_control
from ..common.feedback import flash_form_errors
from ..common.states import state_options


def _actor():
    return current_user._get_current_object()


def _call(code: str) -> Call:
    return find_call(code) or abort(404)




@roles_required(Role.ADMIN)
def reviewers():
    """The expert pool: search by name, work unit or its USCC, filter by state and region, sortable; paginated."""
    lst = list_control("admin.reviewers", sorts=query.REVIEWER_SORTS, search=_("姓名、工作单位或统一社会信用代码"),
                       filters=[Filter("state", _("状态"), state_options(ReviewerState), _("全部状态")),
                                Filter("authority", _("所属地区"), authority_choices(), _("全部地区"), names=True)])
    page = paginate(query.reviewers(lst.query))
    return render_template("admin/review_reviewers.html", page=page, lst=lst)


@roles_required(Role.ADMIN)
def reviewer_new():
    """Add an expert to the pool (the security admin then activates its account)."""
    form = ProfileForm()
    form.home_authority_code.choices = name_options(authority_choices())
    if form.validate_on_submit():
        made = []
        refused = attempt(lambda: made.append(review_pool.create_reviewer_profile(review_pool.ProfileData(
            name=form.name.data, home_authority_code=form.home_authority_code.data,
            field_tags=form.field_tags.data or "", organisation_uscc=form.organisation_uscc.data or None,
            organisation_name=form.organisation_name.data or ""), actor=_actor())))
        if not refused:
            flash(gettext("已加入专家库：%(name)s（待安全管理员启用账户）", name=made[0].name), "success")
            return redirect(url_for("admin.reviewer_detail", profile_id=made[0].id))
        form.organisation_uscc.errors = refused.lines
    return render_template("admin/review_reviewer_form.html", form=form)


@roles_required(Role.ADMIN)
def reviewer_detail(profile_id: int):
    """One expert: profile, declared conflicts, assignments."""
    profile = db.session.get(ReviewerProfile, profile_id) or abort(404)
    conflicts = query.conflicts_of(profile)
    lst = list_control("admin.reviewer_detail", fixed={"profile_id": profile.id}, sorts=query.ASSIGNMENT_SORTS,
                       search=_("单位名称、统一社会信用代码或批次"),
                       filters=[Filter("state", _("状态"), state_options(AssignmentState), _("全部状态"))])
    page = paginate(query.assignments_of(profile, lst.query))
    return render_template("admin/review_reviewer.html", profile=profile, conflicts=conflicts, page=page, lst=lst,
                           confirm=EmptyForm())


@roles_required(Role.ADMIN)
def reviewer_state(profile_id: int, action: str):
    """Take an expert out of the pool (no new assignments) or back in."""
    profile = db.session.get(ReviewerProfile, profile_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    review_pool.set_reviewer_state(profile, ReviewerState.INACTIVE if action == "deactivate" else ReviewerState.ACTIVE,
                                   actor=_actor())
    return redirect(url_for("admin.reviewer_detail", profile_id=profile.id))


@roles_required(Role.ADMIN)
def review_calls():
    """Calls with their applications in and around expert review: search by code, title or year, filter by kind
    and year, sortable; paginated."""
    lst = call_list_control("admin.review_calls", query.REVIEW_CALL_SORTS)
    page = paginate(query.review_calls(lst.query))
    counts = query.counts_in_states(page.items, (ApplicationState.PASSED, *progress.IN_REVIEW))
    return render_template("admin/review_calls.html", page=page, lst=lst, counts=counts, states=ApplicationState)


@roles_required(Role.ADMIN)
def review_call(code: str):
    """The assignment page: automatic assignment, shortages with proposed replacements, applications and reviewers."""
    call = _call(code)
    passed = query.passed_count(call)
    lst = list_control("admin.review_call", fixed={"code": call.code}, sorts=progress.APPLICATION_SORTS,
                       search=_("单位名称、统一社会信用代码或申报编号"))
    pagination, rows = progress.application_rows(call, page=page_number(), per_page=current_app.config["PAGE_SIZE"],
                                                 lq=lst.query)
    assignments = progress.assignments_of([a.id for a, _p in rows])
    proposals = proposals_for(call)
    short_apps = query.applications_by_id(proposals)
    return render_template("admin/review_call.html", call=call, passed=passed, page=pagination, rows=rows, lst=lst,
                           assignments=assignments, proposals=proposals, short_apps=short_apps,
                           totals=progress.totals(call), assign_form=AssignForm(), confirm=EmptyForm(),
                           accept=AddAssignmentForm(), missing=run_readiness.missing_sheets(call) if passed == 0 else [],
                           pool_size=len(active_pool()))


@roles_required(Role.ADMIN)
def review_assign(code: str):
    """Assign reviewers automatically to every application that passed the formal check."""
    call = _call(code)
    form = AssignForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("admin.review_call", code=code))
    refusal_returns_to(url_for("admin.review_call", code=code))
    result = assign_call(call, seed=form.seed.data, actor=_actor())
    lo, hi = result.plan.bounds
    text = gettext("已为%(applications)s件申报分配%(created)s个评审任务（种子%(seed)s）。",
                   applications=result.applications, created=result.created, seed=form.seed.data)
    if result.plan.balanced:
        flash(text + gettext("专家工作量均衡：每人%(lo)s–%(hi)s件。", lo=lo, hi=hi), "success")
    else:
        flash(text + translated(result.plan.explanation), "warning")
    return redirect(url_for("admin.review_call", code=code))


@roles_required(Role.ADMIN)
def review_close(code: str):
    """Close the review window: divergence is judged and the applications move to scored."""
    call = _call(code)
    if not EmptyForm().validate_on_submit():
        abort(400)
    result = review_sheets.close_review(call, actor=_actor())
    flash(gettext("评审已结束：%(applications)s件申报进入“已评分”，%(flagged)s份评分表需填写偏离说明，%(n)s件申报评分表不足。",
                  applications=result.applications, flagged=result.flagged, n=len(result.missing)), "success")
    return redirect(url_for("admin.review_progress", code=code))


def _application(code: str, app_id: int) -> Application:
    call = _call(code)
    app = db.session.get(Application, app_id)
    if app is None or app.call_id != call.id:
        abort(404)
    return app


def _candidates(app: Application) -> list[tuple[str, str]]:
    taken = query.active_reviewer_ids(app)
    pool = active_pool()
    excluded = exclusions_for(pool, app)
    return [(str(p.id), f"{p.name}（{p.home_authority_code}）") for p in pool
            if p.id not in taken and excluded[p.id] is None]


@roles_required(Role.ADMIN)
def review_application(code: str, app_id: int):
    """One application's reviewers and sheets (the ministry sees every score), with add/remove/reopen."""
    app = _application(code, app_id)
    rows = progress.assignments_of([app.id])[app.id]
    scores = {s.id: review_sheets.scores_of(s) for _a, s in rows if s is not None}
    indicators = review_sheets.expert_indicators(system_of(app))
    flags = review_sheets.divergent_indicators(app.call, [app.id])
    form = AddAssignmentForm()
    form.reviewer_id.choices = name_options(_candidates(app))
    return render_template("admin/review_application.html", app=app, call=app.call, rows=rows, scores=scores,
                           indicators=indicators, flags=flags, form=form, reason_form=ReasonForm())


@roles_required(Role.ADMIN)
def review_add(code: str, app_id: int):
    """Add a reviewer by hand, or accept a proposed replacement; a reason is required."""
    app = _application(code, app_id)
    form = AddAssignmentForm()
    form.reviewer_id.choices = name_options(_candidates(app))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("admin.review_application", code=code, app_id=app.id))
    profile = db.session.get(ReviewerProfile, int(form.reviewer_id.data)) or abort(404)
    source = "replacement" if form.source.data == "replacement" else "manual"
    add_assignment(app, profile, reason=form.reason.data, actor=_actor(), source=source)
    flash(gettext("已分配专家：%(name)s", name=profile.name), "success")
    if request.form.get("back") == "call":
        return redirect(url_for("admin.review_call", code=code))
    return redirect(url_for("admin.review_application", code=code, app_id=app.id))


@roles_required(Role.ADMIN)
def review_remove(assignment_id: int):
    """Take a reviewer off an application, with a reason (its sheet is voided)."""
    assignment = db.session.get(Assignment, assignment_id) or abort(404)
    form = ReasonForm()
    back = url_for("admin.review_application", code=assignment.application.call.code,
                   app_id=assignment.application_id)
    if not form.validate_on_submit():
        flash(gettext("请填写理由"), "danger")
        return redirect(back)
    remove_assignment(assignment, reason=form.reason.data, actor=_actor())
    flash(gettext("已移出该专家，其评分表已作废。"), "success")
    return redirect(back)


@roles_required(Role.ADMIN)
def review_reopen(sheet_id: int):
    """Reopen a submitted sheet with a reason; every stored run of the call becomes stale."""
    sheet = db.session.get(ScoreSheet, sheet_id) or abort(404)
    form = ReasonForm()
    back = url_for("admin.review_application", code=sheet.assignment.application.call.code,
                   app_id=sheet.assignment.application_id)
    if not form.validate_on_submit():
        flash(gettext("请填写理由"), "danger")
        return redirect(back)
    review_sheets.reopen_sheet(sheet, form.reason.data, actor=_actor())
    flash(gettext("评分表已重新开放；本批次已存储的排序结果均已标记为过期。"), "success")
    return redirect(back)


@roles_required(Role.ADMIN)
def review_progress(code: str):
    """Done / pending per application or per reviewer, divergence flags, links; paginated."""
    call = _call(code)
    by = "reviewers" if request.args.get("by") == "reviewers" else "applications"
    only_pending = request.args.get("pending") == "1"
    per_page = current_app.config["PAGE_SIZE"]
    lst = list_control("admin.review_progress", fixed={"code": call.code},
                       sorts=progress.REVIEWER_SORTS if by == "reviewers" else progress.APPLICATION_SORTS,
                       search=_("姓名、工作单位或统一社会信用代码") if by == "reviewers" else
                       _("单位名称、统一社会信用代码或申报编号"),
                       extra={"by": by, "pending": "1" if only_pending and by != "reviewers" else ""})
    if by == "reviewers":
        pagination, rows = progress.reviewer_rows(call, page=page_number(), per_page=per_page, lq=lst.query)
    else:
        pagination, rows = progress.application_rows(call, page=page_number(), per_page=per_page,
                                                     only_pending=only_pending, lq=lst.query)
    return render_template("admin/review_progress.html", call=call, by=by, page=pagination, rows=rows, lst=lst,
                           totals=progress.totals(call), only_pending=only_pending)
