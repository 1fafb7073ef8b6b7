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
from ...i18n import gettext, gettext as _
from ...models import Application, Organisation, OrganisationState, Role, StoredFile, User
from ...models.types import utcnow
from ...listing import Filter, list_control
from ...pagination import paginate
from ...permissions import can_verify_organisation, roles_required
from ...services import application_query as query
from ...services.todo_query import todo_for
from ...services import recommendations as rec
from ...services.accounts import approve_member, can_approve_member, verify_organisation
from ...services.calls import find_call
from ...services.authority_list import full_name_of
from ..common.applications import detail_context, export_response, load_application, send_attachment
from ..common.downloads import send_stored
from ..common.feedback import flash_form_errors
from ..common.states import state_options


@roles_required(Role.AUTHORITY)
def home():
    """The jurisdiction at a glance: organisations awaiting verification, accounts awaiting approval."""
    return render_template("authority/home.html", authority_name=full_name_of(current_user.authority_code),
                           todos=todo_for(current_user))




@roles_required(Role.AUTHORITY)
def organisations():
    """Organisations of this jurisdiction (search by name or USCC, filter by state, sortable), unverified first;
    paginated."""
    code = current_user.authority_code
    lst = list_control("authority.organisations", sorts=query.ORGANISATION_SORTS, search=_("单位名称或统一社会信用代码"),
                       filters=[Filter("state", _("状态"), state_options(OrganisationState), _("全部状态"))])
    page = paginate(query.jurisdiction_organisations(code, lst.query))
    pending = query.pending_members(code)
    return render_template("authority/organisations.html", page=page, lst=lst, pending=pending, confirm=ConfirmForm())


@roles_required(Role.AUTHORITY)
def decide_organisation(org_id: int, action: str):
    """Verify (or reject) an organisation of this jurisdiction against its business licence."""
    org = db.session.get(Organisation, org_id) or abort(404)
    if not can_verify_organisation(current_user, org):
        abort(403)
    refusal_returns_to(url_for("authority.organisations"))
    if ConfirmForm().validate_on_submit():
        verify_organisation(org, actor=current_user._get_current_object(), approve=action == "verify")
        flash(gettext("已核验通过：%(name)s", name=org.name) if action == "verify"
              else gettext("已驳回：%(name)s", name=org.name), "success")
    return redirect(url_for("authority.organisations"))


@roles_required(Role.AUTHORITY)
def decide_member(user_id: int, action: str):
    """Approve or refuse a further account of an organisation in this jurisdiction."""
    member = db.session.get(User, user_id) or abort(404)
    if not can_approve_member(current_user, member):
        abort(403)
    if ConfirmForm().validate_on_submit():
        approve_member(member, actor=current_user._get_current_object(), approve=action == "approve")
        flash(gettext("已批准该账户。") if action == "approve" else gettext("已拒绝该账户。"), "success")
    return redirect(url_for("authority.organisations"))


def _my_application(app_id: int) -> Application:
    return load_application(app_id)  # 403 for another jurisdiction's


@roles_required(Role.AUTHORITY)
def applications():
    """This jurisdiction's applications (drafts excluded): search by name, USCC or number, filter by call and
    state, sortable; paginated. Every call still open for recommendation shows its quota, letter upload and export
    above, whatever the filter."""
    code = current_user.authority_code
    calls = query.all_calls()
    lst = list_control("authority.applications", sorts=query.APPLICATION_SORTS,
                       search=_("单位名称、统一社会信用代码或申报编号"),
                       filters=[Filter("call", _("批次"), [(c.code, c.title) for c in calls], _("全部批次"), names=True),
                                Filter("state", _("状态"), [(s.value, _(s.label)) for s in ApplicationState
                                                           if s != ApplicationState.DRAFT], _("全部状态"))])
    call = find_call(lst.query.get("call")) if lst.query.get("call") else None
    page = paginate(query.jurisdiction_applications(code, lst.query, call))
    panels = query.recommendation_panels(code, utcnow())
    if call is not None and all(p.call.id != call.id for p in panels):
        panels.append(query.panel(call, code))  # a chosen call past its deadline: its letter and export
    return render_template("authority/applications.html", page=page, lst=lst, call=call, panels=panels,
                           letter_form=LetterForm())


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
        flash_form_errors(form, gettext("请求无效"))
        return redirect(url_for("authority.application_detail", app_id=app.id))
    service(app, actor=current_user._get_current_object(), **kwargs(form))
    flash(gettext("已办理：%(name)s → %(label)s",
                  name=app.organisation.name, label=gettext(app.state.label)), "success")
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
        flash(gettext("推荐函已上传。"), "success")
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
