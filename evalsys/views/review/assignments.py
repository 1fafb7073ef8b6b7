"""/review: the reviewer's assignments — confirmation of no conflict, the application (identity hidden in
a blind call), the score sheet, divergence comments, attachments — and conflict declarations."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...boundary import attempt, refusal_returns_to
from ...extensions import db
from ...forms.review import ConflictForm, DeclineForm, DivergenceForm, EmptyForm, sheet_form
from ...i18n import gettext, gettext as _
from ...models import ApplicationAttachment, AttachmentKind, Assignment, ReviewerProfile, Role, ScoreSheet
from ...listing import Filter, list_control
from ...pagination import paginate
from ...permissions import can_review_assignment, can_see_identity, roles_required
from ...services import review_pool, review_query as query, review_sheets
from ...services.applications import current_attachments, outline_of, system_of
from ...services.files import read_verified
from ...services.todo_query import todo_for
from ..common.applications import category_label, figure_rows
from ..common.feedback import flash_form_errors


# In a blind call these documents name the applicant by their nature (licence, seal); withheld.
BLIND_ATTACHMENTS = (AttachmentKind.REPORT,)


def _me() -> ReviewerProfile | None:
    return review_pool.profile_of(current_user)


def _load(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id) or abort(404)
    if not can_review_assignment(current_user, assignment):
        abort(403)
    return assignment


def _actor():
    return current_user._get_current_object()


@roles_required(Role.REVIEWER)
def home():
    """The reviewer's active assignments with their sheet state; paginated."""
    me = _me()
    page = lst = None
    sheets: dict[int, ScoreSheet] = {}
    if me is not None:
        lst = list_control("review.home", sorts=query.ACTIVE_SORTS, search=_("批次或申报编号"),
                           filters=[Filter("call", _("批次"), [(c.code, c.title) for c in query.calls_of(me)],
                                           _("全部批次"), names=True)])
        page = paginate(query.active_assignments(me, lst.query))
        sheets = query.sheets_of([a.id for a in page.items])
    return render_template("review/home.html", me=me, page=page, lst=lst, sheets=sheets, todos=todo_for(current_user))


def _sheet_form(assignment: Assignment, sheet: ScoreSheet | None, system, formdata=None):
    indicators = review_sheets.expert_indicators(system)
    if formdata is not None:
        return sheet_form(indicators), indicators
    data = {"version": sheet.version_id if sheet else 0, "comment": sheet.comment if sheet else ""}
    for ind_id, score in review_sheets.scores_of(sheet).items():
        data[f"score_{ind_id}"] = f"{score.tenths / 10:g}"
        data[f"note_{ind_id}"] = score.comment
    return sheet_form(indicators, data=data), indicators


def _application_context(assignment: Assignment, identity: bool) -> dict:
    """What the reviewer sees of the application: no timeline, and in a blind call no identity."""
    app = assignment.application
    narrative = app.narrative_sections
    attachments = current_attachments(app)
    if not identity:
        attachments = {k: v for k, v in attachments.items() if k in BLIND_ATTACHMENTS}
    return {"app": app, "figures": figure_rows(app), "category_label": category_label(app),
            "sections": [(s, narrative.get(s.id, "")) for s in outline_of(app.call)], "attachments": attachments,
            "attachment_urls": {k: url_for("review.attachment", assignment_id=assignment.id, attachment_id=a.id)
                                for k, a in attachments.items()}}


def _page(assignment: Assignment, form=None, status: int = 200, errors: list[str] | None = None):
    """The assignment page: the application, then the score sheet (or the confirmation page, blind)."""
    call = assignment.application.call
    if call.blind and assignment.no_conflict_confirmed_at is None:
        return render_template("review/confirm.html", assignment=assignment, app=assignment.application,
                               confirm=EmptyForm(), decline=DeclineForm()), status
    app = assignment.application
    sheet = review_sheets.sheet_of(assignment)
    system = system_of(app)
    if form is None:
        form, indicators = _sheet_form(assignment, sheet, system)
    else:
        indicators = review_sheets.expert_indicators(system)
    identity = can_see_identity(current_user, assignment)
    context = _application_context(assignment, identity)
    divergent = []
    if sheet is not None and sheet.divergence_flagged:
        titles = {i.id: i.title for i in indicators}
        divergent = [titles.get(i, i) for i in review_sheets.divergent_indicators(call, [app.id]).get(sheet.id, [])]
    refusal = review_sheets.editing_refusal(assignment, sheet)
    return render_template(
        "review/assignment.html", assignment=assignment, call=call, sheet=sheet, form=form, indicators=indicators,
        identity=identity, editable=refusal is None, refusal=refusal, errors=errors or [],
        divergence_form=DivergenceForm(version=sheet.version_id) if sheet else None, divergent=divergent,
        decline=DeclineForm(), **context), status


@roles_required(Role.REVIEWER)
def assignment(assignment_id: int):
    """One assignment: confirmation page in a blind call, then the application and its score sheet."""
    return _page(_load(assignment_id))


@roles_required(Role.REVIEWER)
def confirm(assignment_id: int):
    """Blind call: confirm there is no conflict with the organisation shown."""
    assignment = _load(assignment_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    review_pool.confirm_no_conflict(assignment, actor=_actor())
    return redirect(url_for("review.assignment", assignment_id=assignment.id))


@roles_required(Role.REVIEWER)
def decline(assignment_id: int):
    """Decline by declaring a conflict with the applicant; the admin is offered a replacement."""
    assignment = _load(assignment_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("review.assignment", assignment_id=assignment.id))
    review_pool.decline_assignment(assignment, form.reason.data, actor=_actor())
    flash(gettext("已声明回避，该评审任务已退回，管理员将另行安排专家。"), "success")
    return redirect(url_for("review.home"))


@roles_required(Role.REVIEWER)
def sheet(assignment_id: int):
    """Save the draft or submit the sheet; a submitted sheet, a closed window or a stale tab is refused."""
    assignment = _load(assignment_id)
    system = system_of(assignment.application)
    form, indicators = _sheet_form(assignment, None, system, formdata=request.form)
    if not form.validate_on_submit():
        return _page(assignment, form, 400)
    data = review_sheets.SheetInput(scores={i.id: form[f"score_{i.id}"].data or "" for i in indicators},
                          comments={i.id: form[f"note_{i.id}"].data or "" for i in indicators},
                          comment=form.comment.data or "")
    try:
        version = int(form.version.data or 0)
    except ValueError:
        abort(400)
    action = review_sheets.submit_sheet if form.submit.data else review_sheets.save_sheet
    refused = attempt(lambda: action(assignment, data, actor=_actor(), expected_version=version))
    if isinstance(refused.error, review_sheets.SheetErrors):  # beside each score, the input kept
        whole = [m for i, m in refused.fields.items() if f"score_{i}" not in form]
        for ind_id, message in refused.fields.items():
            if f"score_{ind_id}" in form:
                form[f"score_{ind_id}"].errors = [message]
        return _page(assignment, form, 400, errors=whole or None)
    if refused:  # a closed window, a submitted sheet, a stale tab: on the sheet, the input kept
        return _page(assignment, form, 409, errors=refused.lines)
    flash(gettext("评分已提交，评分表已锁定。") if form.submit.data else gettext("草稿已保存。"), "success")
    return redirect(url_for("review.assignment", assignment_id=assignment_id))


@roles_required(Role.REVIEWER)
def divergence(assignment_id: int):
    """The written comment on a divergence flag (scores stay locked)."""
    assignment = _load(assignment_id)
    sheet = review_sheets.sheet_of(assignment) or abort(404)
    form = DivergenceForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("review.assignment", assignment_id=assignment.id))
    try:
        version = int(form.version.data or 0)
    except ValueError:
        abort(400)
    refusal_returns_to(url_for("review.assignment", assignment_id=assignment.id))
    review_sheets.comment_divergence(sheet, form.comment.data, actor=_actor(), expected_version=version)
    flash(gettext("偏离说明已保存。"), "success")
    return redirect(url_for("review.assignment", assignment_id=assignment.id))


@roles_required(Role.REVIEWER)
def attachment(assignment_id: int, attachment_id: int):
    """Download an attachment of an assigned application; a blind call serves the report only, renamed."""
    from flask import Response

    from ...domain.uploads import safe_download_name

    assignment = _load(assignment_id)
    if assignment.application.call.blind and assignment.no_conflict_confirmed_at is None:
        abort(403)
    att = db.session.get(ApplicationAttachment, attachment_id)
    if att is None or att.application_id != assignment.application_id:
        abort(404)
    identity = can_see_identity(current_user, assignment)
    if not identity and att.kind not in BLIND_ATTACHMENTS:
        abort(403)
    data = read_verified(att.file)
    response = Response(data, mimetype=att.file.mime)
    name = att.file.original_name if identity else f"{att.kind.label}-申报{assignment.application_id}.pdf"
    response.headers["Content-Disposition"] = safe_download_name(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@roles_required(Role.REVIEWER)
def conflicts():
    """The reviewer's declared conflicts, and a form to declare one with any organisation at any time."""
    me = _me() or abort(403)
    form = ConflictForm()
    if form.validate_on_submit():
        outcomes = []
        refused = attempt(lambda: outcomes.append(review_pool.declare_conflict(me, form.uscc.data, form.reason.data,
                                                                               actor=_actor())))
        if not refused:
            declined = outcomes[0].declined
            flash(gettext("已声明回避，已退回%(n)s项相关评审任务。", n=len(declined)) if declined
                  else gettext("已声明回避。"), "success")
            return redirect(url_for("review.conflicts"))
        form.uscc.errors = refused.lines
    rows = query.conflicts_of(me, newest_first=True)
    return render_template("review/conflicts.html", form=form, rows=rows)
