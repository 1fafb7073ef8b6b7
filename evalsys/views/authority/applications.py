"""/authority: the workspace, organisation verification, member approval, the jurisdiction's applications
(recommend, return, take back), the recommendation letter and the export."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...boundary import refusal_returns_to
from ...errors import page_of_action
from ...domain.workflow import ApplicationState, Role as FlowRole, allowed_actions
from ...extensions import db
from ...forms.applications import LetterForm, ReasonForm, RecommendForm
from ...forms.security import ConfirmForm
from ...models import Application, Organisation, OrganisationState, Role, StoredFile, User
from ...models.types import utcnow
from ...pagination import paginate
from ...permissions import can_verify_organisation, roles_required
from ...services import application_query as query
from ...services.todo_query import todo_for
from ...services import recommendations as rec
from ...services.accounts import approve_member, can_approve_member, verify_organisation
from ...services.calls import find_call
from ..common.applications import detail_context, export_response, load_application, send_attachment
from ..common.downloads import send_stored
from ..common.feedback import flash_form_errors


@roles_required(Role.AUTHORITY)
def home():
    """The jurisdiction at a glance: organisations awaiting verification, accounts awaiting approval."""
    return render_template("authority/home.html", todos=todo_for(current_user))


@roles_required(Role.AUTHORITY)
def organisations():
    """Organisations of this jurisdiction, unverified first; paginated."""
    state = request.args.get("state") or ""
    code = current_user.authority_code
    stmt = query.jurisdiction_organisations(code, query.OrganisationFilter.parse(state))
    page = paginate(stmt)
    pending = query.pending_members(code)
    return render_template("authority/organisations.html", page=page, state=state, states=list(OrganisationState),
                           pending=pending, confirm=ConfirmForm())


@roles_required(Role.AUTHORITY)
def decide_organisation(org_id: int, action: str):
    """Verify (or reject) an organisation of this jurisdiction against its business licence."""
    org = db.session.get(Organisation, org_id) or abort(404)
    if not can_verify_organisation(current_user, org):
        abort(403)
    refusal_returns_to(url_for("authority.organisations"))
    if ConfirmForm().validate_on_submit():
        verify_organisation(org, actor=current_user._get_current_object(), approve=action == "verify")
        flash(f"已{'核验通过' if action == 'verify' else '驳回'}：{org.name}", "success")
    return redirect(url_for("authority.organisations"))


@roles_required(Role.AUTHORITY)
def decide_member(user_id: int, action: str):
    """Approve or refuse a further account of an organisation in this jurisdiction."""
    member = db.session.get(User, user_id) or abort(404)
    if not can_approve_member(current_user, member):
        abort(403)
    if ConfirmForm().validate_on_submit():
        approve_member(member, actor=current_user._get_current_object(), approve=action == "approve")
        flash("已批准该账户。" if action == "approve" else "已拒绝该账户。", "success")
    return redirect(url_for("authority.organisations"))


def _my_application(app_id: int) -> Application:
    return load_application(app_id)  # 403 for another jurisdiction's


@roles_required(Role.AUTHORITY)
def applications():
    """This jurisdiction's applications (drafts excluded), filtered by call and state; paginated. Every call
    still open for recommendation shows its quota, letter upload and export above, whatever the filter."""
    code = current_user.authority_code
    call_code = request.args.get("call") or ""
    state = request.args.get("state") or ""
    f = query.ApplicationFilter.parse(find_call(call_code), state)
    page = paginate(query.jurisdiction_applications(code, f))
    panels = query.recommendation_panels(code, utcnow())
    if f.call is not None and all(p.call.id != f.call.id for p in panels):
        panels.append(query.panel(f.call, code))  # a chosen call past its deadline: its letter and export
    return render_template("authority/applications.html", page=page, calls=query.all_calls(), call=f.call,
                           state=state, states=[s for s in ApplicationState if s != ApplicationState.DRAFT],
                           panels=panels, letter_form=LetterForm(), args={"call": call_code, "state": state})


@roles_required(Role.AUTHORITY)
def application_detail(app_id: int):
    """One application of the jurisdiction with the actions its state allows now."""
    app = _my_application(app_id)
    actions = allowed_actions(app.state, role=FlowRole.AUTHORITY, now=utcnow(), deadlines=app.call.times.deadlines())
    return render_template("authority/application.html", actions=[a.value for a in actions],
                           recommend_form=RecommendForm(), reason_form=ReasonForm(), confirm=ConfirmForm(),
                           panel=query.panel(app.call, current_user.authority_code), letter_form=LetterForm(),
                           **detail_context(app, staff=True, download_endpoint="authority.download_attachment"))


@roles_required(Role.AUTHORITY)
def download_attachment(app_id: int, attachment_id: int):
    """Download an attachment of an application of the jurisdiction."""
    return send_attachment(_my_application(app_id), attachment_id)


def _decide(app_id: int, form, service, kwargs):
    app = _my_application(app_id)
    if not form.validate_on_submit():
        flash_form_errors(form, "请求无效")
        return redirect(url_for("authority.application_detail", app_id=app.id))
    service(app, actor=current_user._get_current_object(), **kwargs(form))
    flash(f"已办理：{app.organisation.name} → {app.state.label}", "success")
    return redirect(url_for("authority.application_detail", app_id=app.id))


@roles_required(Role.AUTHORITY)
def recommend(app_id: int):
    """Recommend within the quota, with an order (the sealed letter must be uploaded first)."""
    return _decide(app_id, RecommendForm(), rec.recommend, kwargs=lambda f: {"order": f.order.data})


@roles_required(Role.AUTHORITY)
def decide_with_reason(app_id: int, decision: str):
    """Return for revision or decline to recommend; a reason is required."""
    service = rec.return_for_revision if decision == "return" else rec.not_recommend
    return _decide(app_id, ReasonForm(), service, kwargs=lambda f: {"reason": f.reason.data})


@roles_required(Role.AUTHORITY)
def take_back(app_id: int):
    """Take a recommendation back before the formal check (frees the quota place)."""
    return _decide(app_id, ConfirmForm(), rec.take_back, kwargs=lambda f: {})


@roles_required(Role.AUTHORITY)
def upload_letter(code: str):
    """Upload the sealed recommendation letter (PDF) for a call."""
    call = find_call(code) or abort(404)
    form = LetterForm()
    back = page_of_action() or url_for("authority.applications", call=code)  # the list or the application it was sent from
    refusal_returns_to(back)
    if form.validate_on_submit():
        rec.upload_letter(call, request.files.get(form.file.name), actor=current_user._get_current_object())
        flash("推荐函已上传。", "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
    return redirect(back)


@roles_required(Role.AUTHORITY)
def download_letter(code: str):
    """Download this authority's own current letter for a call."""
    call = find_call(code) or abort(404)
    letter = rec.current_letter(call, current_user.authority_code) or abort(404)
    return send_stored(db.session.get(StoredFile, letter.file_id))


@roles_required(Role.AUTHORITY)
def export(code: str):
    """This jurisdiction's applications of a call as XLSX (every field and the state)."""
    call = find_call(code) or abort(404)
    return export_response(call, authority_code=current_user.authority_code)
