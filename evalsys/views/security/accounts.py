"""/security: the security admin creates accounts, changes roles, disables and unlocks."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...boundary import attempt, refusal_returns_to
from ...extensions import db
from ...forms.base import name_options, options
from ...forms.security import ConfirmForm, RoleForm, UserCreateForm
from ...i18n import gettext, gettext as _
from ...models import AccountState, Role, User
from ...listing import Filter, list_control
from ...pagination import paginate
from ...permissions import can_manage_account, roles_required
from ...services import account_query
from ...services.todo_query import todo_for
from ...services.accounts import authority_choices, create_user, set_role, set_state, unlock_user
from ...services.auth import is_locked
from ..common.feedback import flash_form_errors
from ..common.states import state_options


def _authority_choices(blank: str):
    return [*options([("", blank)]), *name_options(authority_choices())]


def _load_target(user_id: int) -> User:
    user = db.session.get(User, user_id) or abort(404)
    if not can_manage_account(current_user, user):
        abort(403)
    return user




@roles_required(Role.SECADMIN)
def home():
    """Accounts: search by username, name, organisation or USCC, filter by role and state, sortable; paginated."""
    lst = list_control("security.home", sorts=account_query.ACCOUNT_SORTS, search=_("用户名、姓名、单位或统一社会信用代码"),
                       filters=[Filter("role", _("角色"), [(r.value, _(r.label)) for r in Role], _("全部角色")),
                                Filter("state", _("状态"), state_options(AccountState), _("全部状态"))])
    page = paginate(account_query.accounts(lst.query), large=True)  # every account of the programme
    return render_template("security/home.html", page=page, lst=lst, is_locked=is_locked, todos=todo_for(current_user))


@roles_required(Role.SECADMIN)
def create():
    """Create a staff account."""
    form = UserCreateForm()
    form.authority_code.choices = _authority_choices(gettext("（无）"))
    if form.validate_on_submit():
        made: list[User] = []
        refused = attempt(lambda: made.append(create_user(
            form.username.data, Role(form.role.data), form.password.data, actor=current_user._get_current_object(),
            display_name=form.display_name.data, authority_code=form.authority_code.data or None,
            email=form.email.data or None)))
        if refused:
            form.username.errors = refused.lines
            return render_template("security/create.html", form=form)
        flash(gettext("已创建账户 %(username)s", username=made[0].username), "success")
        return redirect(url_for("security.detail", user_id=made[0].id))
    return render_template("security/create.html", form=form)


@roles_required(Role.SECADMIN)
def detail(user_id: int):
    """One account: role, state, lockout, and the forms to change them."""
    user = db.session.get(User, user_id) or abort(404)
    form = RoleForm(role=user.role.value, authority_code=user.authority_code or "")
    form.authority_code.choices = _authority_choices(gettext("（无）"))
    return render_template("security/detail.html", user=user, form=form, confirm=ConfirmForm(),
                           locked=is_locked(user), own=user.id == current_user.id)


@roles_required(Role.SECADMIN)
def change_role(user_id: int):
    """Replace the account's role; nobody changes their own."""
    user = _load_target(user_id)
    form = RoleForm()
    form.authority_code.choices = _authority_choices(gettext("（无）"))
    refusal_returns_to(url_for("security.detail", user_id=user.id))
    if form.validate_on_submit():
        set_role(user, Role(form.role.data), actor=current_user._get_current_object(),
                 authority_code=form.authority_code.data or None)
        flash(gettext("角色已变更，该账户的现有会话已失效。"), "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("security.detail", user_id=user.id))


@roles_required(Role.SECADMIN)
def change_state(user_id: int, action: str):
    """Disable (sessions end at once) or re-enable an account."""
    user = _load_target(user_id)
    refusal_returns_to(url_for("security.detail", user_id=user.id))
    if ConfirmForm().validate_on_submit():
        set_state(user, AccountState.DISABLED if action == "disable" else AccountState.ACTIVE,
                  actor=current_user._get_current_object())
        flash(gettext("账户已停用，现有会话已失效。") if action == "disable" else gettext("账户已启用。"), "success")
    return redirect(url_for("security.detail", user_id=user.id))


@roles_required(Role.SECADMIN)
def unlock(user_id: int):
    """Lift a lockout."""
    user = _load_target(user_id)
    if ConfirmForm().validate_on_submit():
        unlock_user(user, actor=current_user._get_current_object())
        flash(gettext("账户已解锁。"), "success")
    return redirect(url_for("security.detail", user_id=user.id))


@roles_required(Role.SECADMIN)
def reviewers():
    """Expert profiles waiting for an account first, then the others; paginated."""
    lst = list_control("security.reviewers", sorts=account_query.PROFILE_SORTS, search=_("姓名、工作单位或统一社会信用代码"),
                       filters=[Filter("account", _("账户"), [("none", _("尚未启用")), ("some", _("已有账户"))],
                                       _("全部"))])
    page = paginate(account_query.reviewer_profiles(lst.query))
    return render_template("security/reviewers.html", page=page, lst=lst)


@roles_required(Role.SECADMIN)
def activate_reviewer(profile_id: int):
    """Create the reviewer account bound to an expert profile."""
    from ...forms.review import ActivateForm
    from ...models import ReviewerProfile
    from ...services.review_pool import activate_reviewer as activate

    profile = db.session.get(ReviewerProfile, profile_id) or abort(404)
    form = ActivateForm()
    if form.validate_on_submit():
        made = []
        refused = attempt(lambda: made.append(activate(profile, actor=current_user._get_current_object(),
                                                       username=form.username.data, password=form.password.data,
                                                       email=form.email.data or None)))
        if not refused:
            flash(gettext("已启用评审专家账户 %(username)s", username=made[0].username), "success")
            return redirect(url_for("security.reviewers"))
        form.username.errors = refused.lines
    return render_template("security/reviewer_activate.html", form=form, profile=profile)
