"""/auth: login, logout, applicant registration, password change, notifications."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ...boundary import attempt
from ...extensions import limiter
from ...forms.auth import LoginForm, PasswordChangeForm, RegisterForm
from ...forms.base import name_options, options
from ...hooks import is_safe_next
from ...i18n import gettext, gettext as _
from ...models.types import utcnow
from ...listing import Filter, list_control
from ...pagination import paginate
from ...permissions import any_logged_in, public
from ...services import audit
from ...services.account_query import NOTIFICATION_SORTS, notifications_of
from ...services.accounts import Registration, authority_choices, change_password, default_authority, register_applicant
from ...services.auth import LOGIN_FAILED_MESSAGE, authenticate, end_session, start_session
from ...services.totp import needs_second_factor
from ..common.navigation import home_url
from .pending import begin_second_factor


REGISTERED_MESSAGE = ("注册申请已受理。如信息有效，您可以使用所设用户名和密码登录；"
                      "如该单位已有账户，新账户需经单位主账户或主管部门批准后方可使用。")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Log in; a new session (and token) every time, one message for every failure."""
    if current_user.is_authenticated:
        return redirect(home_url())
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(form.username.data, form.password.data, ip=request.remote_addr,
                              needs_second_factor=needs_second_factor)
        if result.user is None:
            flash(gettext(LOGIN_FAILED_MESSAGE), "danger")
            return render_template("auth/login.html", form=form), 200
        nxt = request.args.get("next")
        restored = session.get("stash_notice")
        if result.reason == "second_factor":  # not logged in until the code passes (auth/totp.py)
            return begin_second_factor(result.user, nxt, bool(restored))
        session.clear()
        start_session(result.user, ip=request.remote_addr)
        login_user(result.user)
        if restored:
            flash(gettext("会话超时前提交的表单内容已恢复，请核对后重新提交。"), "info")
        return redirect(nxt if is_safe_next(nxt) else home_url())
    return render_template("auth/login.html", form=form)


@any_logged_in
def logout():
    """End this session on the server: a copy of the cookie no longer works."""
    audit.record_security("logout", actor=current_user._get_current_object())
    end_session(current_user.get_id())
    logout_user()
    session.clear()
    flash(gettext("您已安全退出。"), "success")
    return redirect(url_for("auth.login"))


def _authority_choices():
    return [*options([("", gettext("按统一社会信用代码自动确定"))]), *name_options(authority_choices())]


@public
@limiter.limit(_login_limit, methods=["POST"])
def register():
    """Self-registration of an applicant; the answer never reveals existing usernames or USCCs."""
    form = RegisterForm()
    form.authority_code.choices = _authority_choices()
    if form.validate_on_submit():
        chosen = form.authority_code.data or None
        if chosen and chosen != default_authority(form.uscc.data) and not (form.authority_reason.data or "").strip():
            form.authority_reason.errors = ["所选主管部门与统一社会信用代码的登记地不一致，请说明理由"]
            return render_template("auth/register.html", form=form)
        refused = attempt(lambda: register_applicant(Registration(
            username=form.username.data, password=form.password.data, org_name=form.org_name.data.strip(),
            uscc=form.uscc.data, contact_name=form.contact_name.data.strip(), phone=form.phone.data.strip(),
            email=form.email.data.strip(), authority_code=chosen, authority_reason=form.authority_reason.data,
        )))
        if refused:
            form.authority_code.errors = refused.lines
            return render_template("auth/register.html", form=form)
        flash(REGISTERED_MESSAGE, "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@any_logged_in
def password():
    """Change one's own password; all sessions end, so the user logs in again."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        refused = attempt(lambda: change_password(current_user._get_current_object(), form.old_password.data,
                                                  form.password.data))
        if refused:
            form.password.errors = refused.lines
            return render_template("auth/password.html", form=form)
        logout_user()
        session.clear()
        flash(gettext("密码已修改，请使用新密码重新登录。"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form)


@any_logged_in
def notifications():
    """The user's in-app notifications, newest first; opening the page marks them read."""
    lst = list_control("auth.notifications", sorts=NOTIFICATION_SORTS, search=_("通知内容"),
                       filters=[Filter("read", _("状态"), [("unread", _("未读")), ("read", _("已读"))], _("全部"))])
    page = paginate(notifications_of(current_user.id, lst.query))
    unread = [n for n in page.items if n.read_at is None]
    for n in unread:  # committed with the page
        n.read_at = utcnow()
    return render_template("auth/notifications.html", page=page, lst=lst)
