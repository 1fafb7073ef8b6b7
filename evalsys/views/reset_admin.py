"""Password resets by others: the security admin for staff accounts (/security), an authority for the
applicant accounts of its own jurisdiction (/authority). Routes are added to those two blueprints."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from ..extensions import db
from ..forms.password_reset import AdminResetForm
from ..models import Organisation, Role, User
from ..pagination import paginate
from ..permissions import can_reset_password, roles_required
from ..services.password_reset import (
    ResetError,
    dispatch,
    link_enabled,
    send_link_for,
    set_temporary_password,
)
from .authority import bp as authority_bp
from .security import bp as security_bp


def _target(user_id: int) -> User:
    user = db.session.get(User, user_id) or abort(404)
    if not can_reset_password(current_user, user):
        abort(403)
    return user


def _reset_page(user: User, action_endpoint: str, back_url: str):
    return render_template("auth/reset_admin.html", user=user, form=AdminResetForm(), enabled=link_enabled(),
                           action_endpoint=action_endpoint, back_url=back_url)


def _perform(user: User, method: str, page_endpoint: str, back_url: str):
    """Send the link (then back to the page) or set a temporary password (shown once, in this response)."""
    if not AdminResetForm().validate_on_submit():
        abort(400, description="表单已过期，请刷新页面后重试")
    actor = current_user._get_current_object()
    try:
        if method == "link":
            mail = send_link_for(user, actor=actor)
        else:
            password = set_temporary_password(user, actor=actor)
    except ResetError as e:
        db.session.rollback()
        flash(str(e), "danger")
        return redirect(url_for(page_endpoint, user_id=user.id))
    db.session.commit()
    if method == "link":
        dispatch(mail)
        flash("已向该账户登记的邮箱发送重置链接（30分钟内有效），该账户原有的登录仍然有效，直到密码被重置。", "success")
        return redirect(url_for(page_endpoint, user_id=user.id))
    # Rendered, never flashed: a flash would put the password into the (signed, not encrypted) cookie.
    return render_template("auth/reset_temporary.html", user=user, password=password, back_url=back_url)


# --- security admin: staff accounts -------------------------------------------------------------------

@security_bp.route("/users/<int:user_id>/reset")
@roles_required(Role.SECADMIN)
def reset_page(user_id: int):
    """Choose how to reset a staff account's password."""
    user = _target(user_id)
    return _reset_page(user, "security.reset_do", url_for("security.detail", user_id=user.id))


@security_bp.route("/users/<int:user_id>/reset/<any(link,temporary):method>", methods=["POST"])
@roles_required(Role.SECADMIN)
def reset_do(user_id: int, method: str):
    """Reset a staff account's password: email a link or set a temporary password; its sessions end."""
    user = _target(user_id)
    return _perform(user, method, "security.reset_page", url_for("security.detail", user_id=user.id))


# --- authority: applicant accounts of its jurisdiction ------------------------------------------------

@authority_bp.route("/accounts")
@roles_required(Role.AUTHORITY)
def accounts():
    """Applicant accounts of the jurisdiction's organisations, searchable, paginated."""
    q = re.sub(r"[\x00-\x1f\x7f]", "", request.args.get("q") or "").strip()[:40]
    stmt = (select(User).join(Organisation, User.organisation_id == Organisation.id)
            .where(User.role == Role.APPLICANT, Organisation.authority_code == current_user.authority_code)
            .order_by(Organisation.name, User.username))
    if q:
        stmt = stmt.where(or_(User.username.contains(q), Organisation.name.contains(q),
                              User.display_name.contains(q)))
    page = paginate(stmt)
    return render_template("authority/accounts.html", page=page, q=q)


@authority_bp.route("/accounts/<int:user_id>/reset")
@roles_required(Role.AUTHORITY)
def account_reset_page(user_id: int):
    """Choose how to reset an applicant account's password."""
    user = _target(user_id)
    return _reset_page(user, "authority.account_reset_do", url_for("authority.accounts"))


@authority_bp.route("/accounts/<int:user_id>/reset/<any(link,temporary):method>", methods=["POST"])
@roles_required(Role.AUTHORITY)
def account_reset_do(user_id: int, method: str):
    """Reset an applicant account's password: email a link or set a temporary password; its sessions end."""
    user = _target(user_id)
    return _perform(user, method, "authority.account_reset_page", url_for("authority.accounts"))
