"""/auth two-factor routes: the code step of login, enrolment, recovery codes; and the REQUIRE_TOTP gate.

Adds routes to the auth blueprint (imported in `views/__init__.py: register_blueprints`).
"""
from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from ...boundary import attempt, refusal_returns_to
from ...extensions import limiter
from ...forms.base import BaseForm
from ...forms.totp import LoginCodeForm, TotpCodeForm
from ...i18n import gettext
from ...models.types import utcnow
from ...permissions import PUBLIC, any_logged_in, declared_roles, is_token_view, public
from ...services import audit
from ...services.auth import LOGIN_FAILED_MESSAGE, complete_login, is_locked, start_session
from ...services.totp import (
    check_login_code,
    confirm_enrolment,
    credential_of,
    eligible,
    enrolment_required,
    needs_second_factor,
    pending_enrolment,
    qr_data_uri,
    recovery_codes_left,
    regenerate_recovery_codes,
    start_enrolment,
)
from ..common.navigation import home_url
from .login import _login_limit
from .pending import clear_pending, pending_state, pending_user


BAD_CODE_MESSAGE = "验证码不正确或已被使用，请输入验证器上新显示的验证码"


#: What an account that must enrol may still open (besides public pages).
ENROLMENT_ENDPOINTS = frozenset({"auth.totp", "auth.totp_start", "auth.totp_enrol", "auth.logout"})


def _no_store(response):
    """Pages showing a secret or recovery codes are never cached, logged in or not."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse(user, event: str):
    audit.record_security(event, actor=user, outcome="failure", detail={"step": "second_factor"})
    clear_pending()
    flash(gettext(LOGIN_FAILED_MESSAGE), "danger")
    return redirect(url_for("auth.login"))


@public
@limiter.limit(_login_limit, methods=["POST"])
def login_code():
    """The second login step: nobody is logged in until a fresh code or an unused recovery code passes."""
    if current_user.is_authenticated:
        return redirect(home_url())
    user = pending_user()
    if user is None or not needs_second_factor(user):  # expired, password changed, or factor reset meanwhile
        clear_pending()
        flash(gettext("登录验证已失效（超时或账户信息已变更），请重新输入用户名和密码。"), "warning")
        return redirect(url_for("auth.login"))
    if is_locked(user, utcnow()):
        return _refuse(user, "login_refused_locked")
    if not user.is_active:
        return _refuse(user, "login_failure")
    form = LoginCodeForm()
    if form.validate_on_submit():
        check = check_login_code(user, form.code.data, ip=request.remote_addr)
        if not check.ok:
            if check.locked:
                clear_pending()
                flash(gettext(LOGIN_FAILED_MESSAGE), "danger")
                return redirect(url_for("auth.login"))
            form.code.errors = [BAD_CODE_MESSAGE]
            return render_template("auth/login_code.html", form=form), 200
        state = pending_state() or {}
        complete_login(user, second_factor=check.method)
        session.clear()
        start_session(user, ip=request.remote_addr)
        login_user(user)
        if check.method == "recovery_code":
            flash(gettext("您已使用一个恢复码登录（每个恢复码只能使用一次），剩余 %(n)s 个。如手机丢失，请联系安全管理员重置两步验证。",
                          n=recovery_codes_left(user)), "warning")
        if state.get("restored"):
            flash(gettext("会话超时前提交的表单内容已恢复，请核对后重新提交。"), "info")
        nxt = state.get("next")
        return redirect(nxt or home_url())
    return render_template("auth/login_code.html", form=form)


@any_logged_in
def totp():
    """The account's two-factor status and what it can do about it."""
    user = current_user._get_current_object()
    cred = credential_of(user)
    return render_template("auth/totp.html", eligible=eligible(user), cred=cred,
                           codes_left=recovery_codes_left(user) if cred else 0,
                           required=enrolment_required(user), start_form=BaseForm(), code_form=TotpCodeForm())


@any_logged_in
def totp_start():
    """Create a fresh pending secret and go to the page showing it."""
    if not BaseForm().validate_on_submit():
        return redirect(url_for("auth.totp"))
    refusal_returns_to(url_for("auth.totp"))
    start_enrolment(current_user._get_current_object())
    return redirect(url_for("auth.totp_enrol"))


@any_logged_in
def totp_enrol():
    """Show the QR code and the secret (only while unconfirmed); a correct code confirms the
    enrolment and shows the recovery codes once."""
    user = current_user._get_current_object()
    refusal_returns_to(url_for("auth.totp"))
    pending = pending_enrolment(user)
    if pending is None:
        return redirect(url_for("auth.totp"))
    form = TotpCodeForm()
    if form.validate_on_submit():
        codes = []
        refused = attempt(lambda: codes.extend(confirm_enrolment(user, form.code.data)))
        if not refused:
            flash(gettext("两步验证已启用。今后登录时，除密码外还需输入验证器上的6位验证码。"), "success")
            return _no_store(render_template("auth/totp_codes.html", codes=codes))
        form.code.errors = refused.lines
    return _no_store(render_template("auth/totp_enrol.html", form=form, secret=pending.secret,
                                     qr=qr_data_uri(pending.uri)))


@any_logged_in
def totp_recovery():
    """New recovery codes after a fresh code; the old ones stop working."""
    form = TotpCodeForm()
    if not form.validate_on_submit():
        flash(gettext("请输入验证器上的6位验证码。"), "warning")
        return redirect(url_for("auth.totp"))
    refusal_returns_to(url_for("auth.totp"))
    codes = regenerate_recovery_codes(current_user._get_current_object(), form.code.data)
    flash(gettext("已生成新的恢复码，原有恢复码全部作废。"), "success")
    return _no_store(render_template("auth/totp_codes.html", codes=codes))


def require_enrolment():
    """With REQUIRE_TOTP, an admin, security admin, auditor or authority account without a confirmed
    second factor can open nothing but the enrolment pages and logout."""
    if not current_app.config.get("REQUIRE_TOTP"):
        return None
    endpoint = request.endpoint
    view = current_app.view_functions.get(endpoint) if endpoint else None
    if view is None or declared_roles(view) in (None, PUBLIC) or endpoint in ENROLMENT_ENDPOINTS \
            or is_token_view(view):
        return None
    if not current_user.is_authenticated or not enrolment_required(current_user._get_current_object()):
        return None
    flash(gettext("根据安全策略，您的账户须先启用两步验证，才能使用系统其他功能。"), "warning")
    return redirect(url_for("auth.totp"))
