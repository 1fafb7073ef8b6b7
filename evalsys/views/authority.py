"""/authority: a local commerce authority's workspace, restricted to its own jurisdiction."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..forms.security import ConfirmForm
from ..models import AccountState, Organisation, OrganisationState, Role, User
from ..permissions import can_verify_organisation, roles_required
from ..services.accounts import AccountError, approve_member, can_approve_member, verify_organisation

bp = Blueprint("authority", __name__, url_prefix="/authority")


@bp.route("/")
@roles_required(Role.AUTHORITY)
def home():
    """The jurisdiction at a glance: organisations awaiting verification, accounts awaiting approval."""
    code = current_user.authority_code
    waiting = db.session.scalar(select(db.func.count()).select_from(Organisation).where(
        Organisation.authority_code == code, Organisation.state == OrganisationState.UNVERIFIED))
    return render_template("authority/home.html", waiting=waiting)


@bp.route("/organisations")
@roles_required(Role.AUTHORITY)
def organisations():
    """Organisations of this jurisdiction, unverified first; paginated."""
    state = request.args.get("state") or ""
    stmt = select(Organisation).where(Organisation.authority_code == current_user.authority_code)
    if state in {s.value for s in OrganisationState}:
        stmt = stmt.where(Organisation.state == OrganisationState(state))
    stmt = stmt.order_by(Organisation.state.desc(), Organisation.id)
    page = db.paginate(stmt, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    pending = db.session.scalars(select(User).join(Organisation, User.organisation_id == Organisation.id).where(
        Organisation.authority_code == current_user.authority_code, User.state == AccountState.PENDING)).all()
    return render_template("authority/organisations.html", page=page, state=state, states=list(OrganisationState),
                           pending=pending, confirm=ConfirmForm())


@bp.route("/organisations/<int:org_id>/<any(verify,reject):action>", methods=["POST"])
@roles_required(Role.AUTHORITY)
def decide_organisation(org_id: int, action: str):
    """Verify (or reject) an organisation of this jurisdiction against its business licence."""
    org = db.session.get(Organisation, org_id) or abort(404)
    if not can_verify_organisation(current_user, org):
        abort(403)
    if ConfirmForm().validate_on_submit():
        try:
            verify_organisation(org, actor=current_user._get_current_object(), approve=action == "verify")
        except AccountError as e:
            flash(str(e), "danger")
            return redirect(url_for("authority.organisations"))
        db.session.commit()
        flash(f"已{'核验通过' if action == 'verify' else '驳回'}：{org.name}", "success")
    return redirect(url_for("authority.organisations"))


@bp.route("/members/<int:user_id>/<any(approve,refuse):action>", methods=["POST"])
@roles_required(Role.AUTHORITY)
def decide_member(user_id: int, action: str):
    """Approve or refuse a further account of an organisation in this jurisdiction."""
    member = db.session.get(User, user_id) or abort(404)
    if not can_approve_member(current_user, member):
        abort(403)
    if ConfirmForm().validate_on_submit():
        approve_member(member, actor=current_user._get_current_object(), approve=action == "approve")
        db.session.commit()
        flash("已批准该账户。" if action == "approve" else "已拒绝该账户。", "success")
    return redirect(url_for("authority.organisations"))
