"""/applicant: the organisation's home page, member approval, and its applications (apply, edit,
attachments, submit or withdraw, the form PDF, the submission receipt)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...domain import figures as fig
from ...domain.workflow import ApplicationState, TransitionError
from ...boundary import attempt, refusal_returns_to
from ...extensions import db
from ...forms.applications import (FIGURE_PREFIX, SECTION_PREFIX, AttachmentForm, build_application_form,
                                  figure_fields, section_fields)
from ...forms.security import ConfirmForm
from ...i18n import gettext, in_language
from ...listing import Filter, list_control
from ...models import Application, AttachmentKind, Role, User
from ...models.types import utcnow
from ...pagination import paginate
from ...permissions import can_edit_application, roles_required
from ...services import applications as svc
from ...services.applicant_home_query import OWN_APPLICATION_SORTS, applicant_home, own_applications
from ...services.accounts import approve_member, can_approve_member
from ...services.calls import find_call
from ...services.receipts import latest_receipt, read_receipt
from ...services.todo_query import todo_for
from ..common.applications import detail_context, form_pdf_response, load_application, send_attachment


def _actor() -> User:
    return current_user._get_current_object()


@roles_required(Role.APPLICANT)
def home():
    """The organisation, its applications (search by call or number, filter by state, sortable; paginated), open
    calls; for the main account, accounts to approve."""
    home = applicant_home(current_user, utcnow())
    lst = list_control("applicant.home", sorts=OWN_APPLICATION_SORTS, search=gettext("申报批次或申报编号"),
                       filters=[Filter("state", gettext("状态"), [(s.value, gettext(s.label)) for s in ApplicationState],
                                       gettext("全部状态"))])
    page = paginate(own_applications(current_user.organisation_id, lst.query))
    return render_template("applicant/home.html", org=current_user.organisation, pending=home.pending,
                           page=page, lst=lst, calls=home.calls, unread=home.unread, confirm=ConfirmForm(),
                           todos=todo_for(current_user))


@roles_required(Role.APPLICANT)
def decide_member(user_id: int, action: str):
    """The main account approves or refuses a further account of its own organisation."""
    member = db.session.get(User, user_id) or abort(404)
    if not can_approve_member(current_user, member):
        abort(403)
    refusal_returns_to(url_for("applicant.home"))
    if ConfirmForm().validate_on_submit():
        approve_member(member, actor=_actor(), approve=action == "approve")
        flash(gettext("已批准该账户。") if action == "approve" else gettext("已拒绝该账户。"), "success")
    return redirect(url_for("applicant.home"))


@roles_required(Role.APPLICANT)
def start(code: str):
    """Start the organisation's draft for an open call."""
    call = find_call(code) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refusal_returns_to(url_for("applicant.home"))
    app = svc.start_application(call, current_user.organisation, actor=_actor())
    db.session.flush()
    return redirect(url_for("applicant.application_edit", app_id=app.id))


@roles_required(Role.APPLICANT)
def application_detail(app_id: int):
    """State, reasons, timeline (acting unit and reason only), data and attachments."""
    app = load_application(app_id)
    problems = svc.submission_problems(app) if app.state in svc.EDITABLE else []
    return render_template("applicant/application.html", problems=problems, confirm=ConfirmForm(),
                           attachment_form=AttachmentForm(), editable=app.state in svc.EDITABLE,
                           receipt=latest_receipt(app),
                           **detail_context(app, staff=False, download_endpoint="applicant.download_attachment"))


def _initial(app: Application, form_cls) -> dict:
    system = svc.system_of(app)
    data = {"version": app.version_id, "contact_name": app.contact_name, "contact_phone": app.contact_phone,
            "contact_email": app.contact_email, "address": app.address,
            "legal_representative": app.legal_representative, "parent_uscc": app.parent_uscc or "",
            "category": app.category or ""}
    stored = app.figure_values
    for f in system.fields:
        if hasattr(form_cls, FIGURE_PREFIX + f.id):
            data[FIGURE_PREFIX + f.id] = fig.display(f, stored.get(f.id))
    for key, text in app.narrative_sections.items():
        data[SECTION_PREFIX + key] = text
    return data


def _draft_from(form) -> svc.DraftData:
    return svc.DraftData(
        contact_name=form.contact_name.data or "", contact_phone=form.contact_phone.data or "",
        contact_email=form.contact_email.data or "", address=form.address.data or "",
        legal_representative=form.legal_representative.data or "",
        category=(form.category.data or None) if hasattr(form, "category") else None,
        parent_uscc=form.parent_uscc.data or None,
        figures={f.name[len(FIGURE_PREFIX):]: getattr(f, "parsed", None) for f in figure_fields(form)},
        narrative={f.name[len(SECTION_PREFIX):]: f.data or "" for f in section_fields(form)},
    )


@roles_required(Role.APPLICANT)
def application_edit(app_id: int):
    """Fill the form: save a draft at any time, or save and submit (completeness and gates checked)."""
    app = load_application(app_id)
    if not can_edit_application(current_user, app):
        abort(403)
    if app.state not in svc.EDITABLE:
        flash(gettext("申报当前状态为“%(label)s”，不能修改", label=gettext(app.state.label)), "warning")
        return redirect(url_for("applicant.application_detail", app_id=app.id))
    system = svc.system_of(app)
    categories = [(c.code, in_language(c)) for c in system.categories if c.code in app.call.category_codes]
    form_cls = build_application_form(system, svc.outline_of(app.call), categories)
    form = form_cls(data=_initial(app, form_cls)) if request.method == "GET" else form_cls()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        def save():
            svc.save_draft(app, _draft_from(form), actor=_actor(), expected_version=int(form.version.data or 0))

        def save_and_submit():
            save()
            svc.submit(app, actor=_actor())

        refused = attempt(save_and_submit if form.submit_application.data else save, obj=app)
        if refused and refused.error is not None and form.submit_application.data:
            attempt(save, obj=app)  # the submission was refused: the draft is still saved, as "save" would
            form.version.data = app.version_id
        if not refused:
            flash(gettext("申报已提交。") if form.submit_application.data else gettext("草稿已保存。"), "success")
            return redirect(url_for("applicant.application_detail", app_id=app.id))
        problems = refused.lines
        if refused.error is None or isinstance(refused.error, TransitionError):
            status = 409  # a stale tab or a state that no longer allows it
    elif request.method == "POST":
        problems = ["表单有错误，请按提示修改（已填写的内容已保留）", *form.version.errors]  # hidden: shown here
    return render_template("applicant/edit.html", form=form, app=app, problems=problems), status


@roles_required(Role.APPLICANT)
def upload_attachment(app_id: int):
    """Attach a document (checked by content, ≤ 20 MB, stored outside static files)."""
    app = load_application(app_id)
    if not can_edit_application(current_user, app):
        abort(403)
    form = AttachmentForm()
    refusal_returns_to(url_for("applicant.application_detail", app_id=app.id))
    if form.validate_on_submit():
        svc.attach(app, AttachmentKind(form.kind.data), request.files.get(form.file.name), actor=_actor())
        flash(gettext("已上传：%(label)s", label=gettext(AttachmentKind(form.kind.data).label)), "success")
    else:
        flash(gettext("请选择附件类型和文件"), "danger")
    return redirect(url_for("applicant.application_detail", app_id=app.id))


@roles_required(Role.APPLICANT)
def download_attachment(app_id: int, attachment_id: int):
    """Download an attachment of one's own application."""
    return send_attachment(load_application(app_id), attachment_id)


@roles_required(Role.APPLICANT)
def act(app_id: int, action: str):
    """Withdraw a submitted application (before the closing time) or submit a complete draft."""
    app = load_application(app_id)
    if not can_edit_application(current_user, app):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    refusal_returns_to(url_for("applicant.application_detail", app_id=app.id))
    if action == "withdraw":
        svc.withdraw(app, actor=_actor())
    else:
        svc.submit(app, actor=_actor())
    flash(gettext("申报已撤回为草稿，可修改后重新提交。") if action == "withdraw" else gettext("申报已提交。"), "success")
    return redirect(url_for("applicant.application_detail", app_id=app.id))


@roles_required(Role.APPLICANT)
def application_form_pdf(app_id: int):
    """The filled application form as a PDF to print, seal and upload back."""
    return form_pdf_response(load_application(app_id))


@roles_required(Role.APPLICANT)
def application_receipt(app_id: int):
    """The receipt (申报回执) of the latest submission, checked against its recorded hash."""
    receipt = latest_receipt(load_application(app_id)) or abort(404)
    data = read_receipt(receipt)
    if data is None:
        abort(404, description="回执文件缺失或已损坏，请联系管理员")
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="receipt-{receipt.serial}.pdf"'})
