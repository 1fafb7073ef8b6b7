"""/auth/reset: forgotten password by a one-time emailed link; the must-change step after a temporary
password.

The request page gives one answer whether or not the account exists; the link puts its token into the
session and redirects, so the token leaves the address bar.
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from ...boundary import after_commit, attempt
from ...extensions import limiter
from ...forms.password_reset import ResetPasswordForm, ResetRequestForm
from ...i18n import gettext
from ...permissions import public
from ...services.password_reset import (
    REQUEST_ANSWER,
    complete_reset,
    dispatch,
    find_valid_token,
    link_enabled,
    request_reset,
)


SESSION_KEY = "password_reset_token"


def _request_limit() -> str:
    return current_app.config.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute;30 per hour")


def _confirm_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@public
@limiter.limit(_request_limit, methods=["POST"])
def reset_request():
    """Ask for a reset link: the same page and message whether or not the account exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        mail = request_reset(form.username.data, form.email.data, ip=request.remote_addr)
        after_commit(dispatch, mail)  # sent in the background once committed: the answer takes no longer
        return render_template("auth/reset_sent.html", message=REQUEST_ANSWER)
    return render_template("auth/reset_request.html", form=form, enabled=link_enabled())


@public
@limiter.limit(_confirm_limit)
def reset_link(token: str):
    """The emailed link: keep the token in the session and continue without it in the address."""
    if find_valid_token(token) is None:
        return render_template("auth/reset_invalid.html"), 404
    session[SESSION_KEY] = token
    return redirect(url_for("auth.reset_password"))


@public
@limiter.limit(_confirm_limit, methods=["POST"])
def reset_password():
    """Set the new password; the link is used up and every session of the account ends."""
    token = session.get(SESSION_KEY) or ""
    row = find_valid_token(token)
    if row is None:
        session.pop(SESSION_KEY, None)
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        refused = attempt(lambda: complete_reset(token, form.password.data))
        if refused:
            form.password.errors = refused.lines
            return render_template("auth/reset_password.html", form=form, username=row.user.username)
        if current_user.is_authenticated:
            logout_user()
        session.clear()
        flash(gettext("密码已重置，该账户原有的登录均已失效，请使用新密码登录。"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, username=row.user.username)


#: Besides the /auth area (password change, logout, login steps), what a temporary password may still open.
_EXEMPT_ENDPOINTS = frozenset({"static", "bootstrap.static"})


def require_password_change():
    """After a reset to a temporary password, every page outside /auth leads to the password change."""
    if request.endpoint is None or request.blueprint == "auth" or request.endpoint in _EXEMPT_ENDPOINTS:
        return None
    if request.path.startswith("/api/"):
        return None  # the JSON API ignores sessions and refuses such an account's tokens itself
    if current_user.is_authenticated and getattr(current_user, "must_change_password", False):
        flash(gettext("您的密码已被重置为临时密码，请先设置新密码。"), "warning")
        return redirect(url_for("auth.password"))
    return None
