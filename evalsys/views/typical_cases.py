"""Typical cases: applicants submit, authorities and the ministry review, everyone reads the published ones.

Routes are added to the audience blueprints (/applicant/cases, /authority/cases, /admin/cases,
/public/cases). Images are served inline: they were re-encoded on upload, so the bytes are the
system's own; the public route serves only images of published cases.
"""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from ..errors import STALE_MESSAGE
from ..extensions import db
from ..forms.typical_cases import CaseDecisionForm, CaseForm
from ..models import Application, Authority, CaseState, Organisation, Role, TypicalCase, TypicalCaseImage
from ..pagination import paginate
from ..permissions import can_submit_case, can_view_case, public, roles_required
from ..services import typical_cases as svc
from ..services.files import read_verified
from .admin import bp as admin_bp
from .applicant import bp as applicant_bp
from .authority import bp as authority_bp
from .public import bp as public_bp


def _act(fn, *args, **kwargs):
    """One service call; refusals become 409 with their Chinese message, then one commit."""
    try:
        fn(*args, **kwargs)
    except svc.CaseError as exc:
        db.session.rollback()
        abort(409, description=str(exc))
    except StaleDataError:
        db.session.rollback()
        abort(409, description=STALE_MESSAGE)
    db.session.commit()


def _uploads(form: CaseForm) -> list[svc.ImageUpload]:
    max_bytes = svc.MAX_IMAGE_BYTES
    out = []
    for f in form.images.data or []:
        if f and getattr(f, "filename", ""):
            out.append(svc.ImageUpload(data=f.stream.read(max_bytes + 1), filename=f.filename))
    return out


def _load_case(case_id: int) -> TypicalCase:
    case = db.session.get(TypicalCase, case_id) or abort(404)
    if not can_view_case(current_user, case):
        abort(403)
    return case


def _image_response(image_id: int, *, published_only: bool) -> Response:
    img = db.session.get(TypicalCaseImage, image_id) or abort(404)
    case = db.session.get(TypicalCase, img.case_id)
    if published_only:
        if case.state != CaseState.PUBLISHED:
            abort(404)
    elif not can_view_case(current_user, case):
        abort(403)
    response = Response(read_verified(img.file), mimetype=img.file.mime)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response


def _list_names(items) -> dict:
    """Organisation and authority names of one page of cases, in two queries."""
    org_ids = {c.organisation_id for c in items}
    orgs = dict(db.session.execute(select(Organisation.id, Organisation.name)
                                   .where(Organisation.id.in_(org_ids))).all()) if org_ids else {}
    return {"orgs": orgs, "authorities": dict(db.session.execute(select(Authority.code, Authority.name)).all())}


def _case_page(case: TypicalCase, template_base: str, **extra):
    images = svc.case_images([case.id])[case.id]
    return render_template("cases/detail.html", case=case, images=images, base=template_base, **extra)


# --- applicant ------------------------------------------------------------------------------------

@applicant_bp.route("/cases")
@roles_required(Role.APPLICANT)
def cases():
    """The organisation's typical cases and the approved applications a new one can be written for."""
    org_id = current_user.organisation_id
    stmt = select(TypicalCase).where(TypicalCase.organisation_id == org_id).order_by(TypicalCase.id.desc())
    page = paginate(stmt)
    eligible = svc.approved_applications(org_id) if org_id else []
    return render_template("cases/applicant_list.html", page=page, eligible=eligible)


@applicant_bp.route("/cases/new/<int:app_id>", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def case_new(app_id: int):
    """Write a typical case for one approved application of the organisation."""
    app = db.session.get(Application, app_id) or abort(404)
    if not can_submit_case(current_user, app):
        abort(403)
    form = CaseForm()
    if form.validate_on_submit():
        text = svc.CaseText(form.title.data, form.summary.data, form.body.data)
        try:
            case = svc.submit_case(app, text, _uploads(form), actor=current_user._get_current_object())
        except svc.CaseError as exc:
            db.session.rollback()
            form.images.errors = [str(exc)]
        else:
            db.session.commit()
            flash("典型案例已提交，等待推荐单位审核。", "success")
            return redirect(url_for("applicant.case_detail", case_id=case.id))
    return render_template("cases/form.html", form=form, app=app, case=None)


@applicant_bp.route("/cases/<int:case_id>")
@roles_required(Role.APPLICANT)
def case_detail(case_id: int):
    """One case of the organisation with its state and, when returned, the reason."""
    return _case_page(_load_case(case_id), "applicant")


@applicant_bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def case_edit(case_id: int):
    """Correct a returned case and submit it again."""
    case = _load_case(case_id)
    if case.state != CaseState.RETURNED:
        abort(409, description="只有被退回的案例可以修改后重新提交")
    form = CaseForm(obj=case) if request.method == "GET" else CaseForm()
    if request.method == "GET":
        form.version.data = str(case.version_id)
    if form.validate_on_submit():
        text = svc.CaseText(form.title.data, form.summary.data, form.body.data)
        try:
            version = int(form.version.data or 0)
        except ValueError:
            version = -1
        try:
            svc.resubmit_case(case, text, _uploads(form), actor=current_user._get_current_object(),
                              expected_version=version)
        except svc.CaseError as exc:
            db.session.rollback()
            form.images.errors = [str(exc)]
        except StaleDataError:
            db.session.rollback()
            abort(409, description=STALE_MESSAGE)
        else:
            db.session.commit()
            flash("典型案例已重新提交。", "success")
            return redirect(url_for("applicant.case_detail", case_id=case.id))
    return render_template("cases/form.html", form=form, app=case.application, case=case)


@applicant_bp.route("/cases/images/<int:image_id>")
@roles_required(Role.APPLICANT)
def case_image(image_id: int):
    """An image of one of the organisation's cases."""
    return _image_response(image_id, published_only=False)


# --- authority ------------------------------------------------------------------------------------

@authority_bp.route("/cases")
@roles_required(Role.AUTHORITY)
def cases():  # noqa: F811  (a different blueprint's endpoint)
    """The jurisdiction's typical cases, those waiting for the authority first."""
    stmt = select(TypicalCase).where(TypicalCase.authority_code == current_user.authority_code) \
        .order_by((TypicalCase.state != CaseState.SUBMITTED), TypicalCase.id.desc())
    page = paginate(stmt)
    return render_template("cases/review_list.html", page=page, base="authority", **_list_names(page.items))


@authority_bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@roles_required(Role.AUTHORITY)
def case_detail(case_id: int):  # noqa: F811
    """Review one case of the jurisdiction: approve (on to the ministry) or return with a reason."""
    return _review(case_id, "authority", svc.authority_decide, CaseState.SUBMITTED)


@authority_bp.route("/cases/images/<int:image_id>")
@roles_required(Role.AUTHORITY)
def case_image(image_id: int):  # noqa: F811
    """An image of a case of the jurisdiction."""
    return _image_response(image_id, published_only=False)


# --- ministry -------------------------------------------------------------------------------------

@admin_bp.route("/cases")
@roles_required(Role.ADMIN)
def cases():  # noqa: F811
    """Every typical case, those approved by their authority first."""
    stmt = select(TypicalCase).order_by((TypicalCase.state != CaseState.AUTHORITY_APPROVED), TypicalCase.id.desc())
    page = paginate(stmt)
    return render_template("cases/review_list.html", page=page, base="admin", **_list_names(page.items))


@admin_bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def case_detail(case_id: int):  # noqa: F811
    """Publish a case its authority approved, or return it with a reason."""
    return _review(case_id, "admin", svc.admin_decide, CaseState.AUTHORITY_APPROVED)


@admin_bp.route("/cases/images/<int:image_id>")
@roles_required(Role.ADMIN)
def case_image(image_id: int):  # noqa: F811
    """An image of any case."""
    return _image_response(image_id, published_only=False)


def _review(case_id: int, base: str, decide, waiting: CaseState):
    case = _load_case(case_id)
    form = CaseDecisionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, description="审核结果无效")
        approve = form.decision.data == "approve"
        _act(decide, case, approve=approve, reason=form.reason.data, actor=current_user._get_current_object())
        flash("已审核通过。" if approve else "已退回。", "success")
        return redirect(url_for(f"{base}.case_detail", case_id=case.id))
    return _case_page(case, base, form=form if case.state == waiting else None)


# --- public ---------------------------------------------------------------------------------------

@public_bp.route("/cases")
@public
def cases():  # noqa: F811
    """Approved demonstration bases and enterprises by authority, with their published typical cases."""
    kind = request.args.get("kind", "")
    kind = kind if kind in ("base", "enterprise") else ""
    page = paginate(svc.directory_query(kind or None), per_page=50)
    entries = svc.directory_entries(page.items)
    return render_template("cases/public_list.html", page=page, entries=entries, kind=kind)


@public_bp.route("/cases/<int:case_id>")
@public
def case_detail(case_id: int):  # noqa: F811
    """A published typical case."""
    case = db.session.get(TypicalCase, case_id)
    if case is None or case.state != CaseState.PUBLISHED:
        abort(404)
    return _case_page(case, "public")


@public_bp.route("/cases/images/<int:image_id>")
@public
def case_image(image_id: int):  # noqa: F811
    """An image of a published case (re-encoded, without metadata)."""
    return _image_response(image_id, published_only=True)
