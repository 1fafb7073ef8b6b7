"""/applicant/cases: the organisation writes typical cases for its approved applications and corrects
returned ones."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...boundary import attempt
from ...extensions import db
from ...forms.typical_cases import CaseForm
from ...i18n import gettext
from ...models import Application, CaseState, Role
from ...pagination import paginate
from ...permissions import can_submit_case, roles_required
from ...services import case_query
from ...services import typical_cases as svc
from ..common.cases import case_list, case_page, image_response, load_case


def _uploads(form: CaseForm) -> list[svc.ImageUpload]:
    max_bytes = svc.MAX_IMAGE_BYTES
    out = []
    for f in form.images.data or []:
        if f and getattr(f, "filename", ""):
            out.append(svc.ImageUpload(data=f.stream.read(max_bytes + 1), filename=f.filename))
    return out


@roles_required(Role.APPLICANT)
def cases():
    """The organisation's typical cases and the approved applications a new one can be written for."""
    org_id = current_user.organisation_id
    lst = case_list("applicant.cases")
    page = paginate(case_query.organisation_cases(org_id, lst.query))
    eligible = svc.approved_applications(org_id) if org_id else []
    return render_template("cases/applicant_list.html", page=page, lst=lst, eligible=eligible)


@roles_required(Role.APPLICANT)
def case_new(app_id: int):
    """Write a typical case for one approved application of the organisation."""
    app = db.session.get(Application, app_id) or abort(404)
    if not can_submit_case(current_user, app):
        abort(403)
    form = CaseForm()
    if form.validate_on_submit():
        text = svc.CaseText(form.title.data, form.summary.data, form.body.data)
        made = []
        refused = attempt(lambda: made.append(svc.submit_case(app, text, _uploads(form),
                                                              actor=current_user._get_current_object())))
        if not refused:
            flash(gettext("典型案例已提交，等待推荐单位审核。"), "success")
            return redirect(url_for("applicant.case_detail", case_id=made[0].id))
        form.images.errors = refused.lines
    return render_template("cases/form.html", form=form, app=app, case=None)


@roles_required(Role.APPLICANT)
def case_detail(case_id: int):
    """One case of the organisation with its state and, when returned, the reason."""
    return case_page(load_case(case_id), "applicant")


@roles_required(Role.APPLICANT)
def case_edit(case_id: int):
    """Correct a returned case and submit it again."""
    case = load_case(case_id)
    if case.state != CaseState.RETURNED:
        raise svc.CaseError("只有被退回的案例可以修改后重新提交")
    form = CaseForm(obj=case) if request.method == "GET" else CaseForm()
    if request.method == "GET":
        form.version.data = str(case.version_id)
    if form.validate_on_submit():
        text = svc.CaseText(form.title.data, form.summary.data, form.body.data)
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = -1
        refused = attempt(lambda: svc.resubmit_case(case, text, _uploads(form),
                                                    actor=current_user._get_current_object(),
                                                    expected_version=version), obj=case)
        if not refused:
            flash(gettext("典型案例已重新提交。"), "success")
            return redirect(url_for("applicant.case_detail", case_id=case.id))
        form.images.errors = refused.lines
        if refused.error is None:  # a stale version: on the form, the input kept
            return render_template("cases/form.html", form=form, app=case.application, case=case), 409
    return render_template("cases/form.html", form=form, app=case.application, case=case)


@roles_required(Role.APPLICANT)
def case_image(image_id: int):
    """An image of one of the organisation's cases."""
    return image_response(image_id, published_only=False)
