"""Password resets by others, shared by the security admin (staff accounts) and an authority (applicant
accounts of its own jurisdiction): the target check, the reset page and the reset itself."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...boundary import after_commit, refusal_returns_to
from ...extensions import db
from ...forms.password_reset import AdminResetForm
from ...i18n import gettext
from ...models import User
from ...permissions import can_reset_password
from ...services.password_reset import (
    dispatch,
    link_enabled,
    send_link_for,
    set_temporary_password,
)


def target(user_id: int) -> User:
    user = db.session.get(User, user_id) or abort(404)
    if not can_reset_password(current_user, user):
        abort(403)
    return user


def render_reset_page(user: User, action_endpoint: str, back_url: str):
    return render_template("auth/reset_admin.html", user=user, form=AdminResetForm(), enabled=link_enabled(),
                           action_endpoint=action_endpoint, back_url=back_url)


def perform(user: User, method: str, page_endpoint: str, back_url: str):
    """Send the link (then back to the page) or set a temporary password (shown once, in this response)."""
    if not AdminResetForm().validate_on_submit():
        abort(400, description="表单已过期，请刷新页面后重试")
    actor = current_user._get_current_object()
    refusal_returns_to(url_for(page_endpoint, user_id=user.id))
    if method == "link":
        after_commit(dispatch, send_link_for(user, actor=actor))  # mailed once the token is committed
        flash(gettext("已向该账户登记的邮箱发送重置链接（30分钟内有效），该账户原有的登录仍然有效，直到密码被重置。"), "success")
        return redirect(url_for(page_endpoint, user_id=user.id))
    password = set_temporary_password(user, actor=actor)
    # Rendered, never flashed: a flash would put the password into the (signed, not encrypted) cookie.
    return render_template("auth/reset_temporary.html", user=user, password=password, back_url=back_url)
