"""/applicant: an applicant's own organisation, its accounts and (later) its applications."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..forms.security import ConfirmForm
from ..models import AccountState, Role, User
from ..permissions import roles_required
from ..services.accounts import AccountError, approve_member, can_approve_member

bp = Blueprint("applicant", __name__, url_prefix="/applicant")


@bp.route("/")
@roles_required(Role.APPLICANT)
def home():
    """The organisation's verification state; for the main account, further accounts to approve."""
    pending = []
    if current_user.is_org_main:
        pending = db.session.scalars(select(User).where(
            User.organisation_id == current_user.organisation_id, User.state == AccountState.PENDING)).all()
    return render_template("applicant/home.html", org=current_user.organisation, pending=pending,
                           confirm=ConfirmForm())


@bp.route("/members/<int:user_id>/<any(approve,refuse):action>", methods=["POST"])
@roles_required(Role.APPLICANT)
def decide_member(user_id: int, action: str):
    """The main account approves or refuses a further account of its own organisation."""
    member = db.session.get(User, user_id) or abort(404)
    if not can_approve_member(current_user, member):
        abort(403)
    if ConfirmForm().validate_on_submit():
        try:
            approve_member(member, actor=current_user._get_current_object(), approve=action == "approve")
        except AccountError as e:
            flash(str(e), "danger")
            return redirect(url_for("applicant.home"))
        db.session.commit()
        flash("已批准该账户。" if action == "approve" else "已拒绝该账户。", "success")
    return redirect(url_for("applicant.home"))
