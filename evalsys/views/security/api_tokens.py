"""/security: the security admin creates and revokes API tokens of staff accounts (account detail page)."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from ...boundary import refusal_returns_to
from ...extensions import db
from ...forms.api_tokens import ApiTokenForm
from ...forms.security import ConfirmForm
from ...i18n import gettext
from ...models import ApiToken, Role, User
from ...permissions import can_manage_tokens_of, can_revoke_token, roles_required
from ...services.api_tokens import create_token, refusal, revoke_token, tokens_of
from ..auth.api_tokens import shown_once
from ..common.feedback import flash_form_errors
from .accounts import _load_target


def api_token_status(user: User) -> dict:
    """What the account detail page shows about API tokens (never a secret)."""
    return {"manageable": can_manage_tokens_of(current_user, user), "tokens": tokens_of(user),
            "refused": refusal(user), "form": ApiTokenForm()}


def _staff_target(user_id: int) -> User:
    user = _load_target(user_id)
    if not can_manage_tokens_of(current_user, user):
        abort(403)
    return user


@roles_required(Role.SECADMIN)
def create_api_token(user_id: int):
    """Create a token for a staff account; its secret is shown once, to be handed over securely."""
    user = _staff_target(user_id)
    form = ApiTokenForm()
    if not form.validate_on_submit():
        flash_form_errors(form, gettext("请求无效"))
        return redirect(url_for("security.detail", user_id=user.id))
    refusal_returns_to(url_for("security.detail", user_id=user.id))
    new = create_token(user, actor=current_user._get_current_object(), name=form.name.data or "",
                       days=form.days.data)
    return shown_once(new, url_for("security.detail", user_id=user.id), user)


@roles_required(Role.SECADMIN)
def revoke_api_token(user_id: int, token_id: int):
    """Revoke a token of a staff account."""
    user = _staff_target(user_id)
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        abort(404)
    if ConfirmForm().validate_on_submit() and can_revoke_token(current_user, row):
        revoke_token(row, actor=current_user._get_current_object())
        flash(gettext("令牌已撤销。"), "success")
    return redirect(url_for("security.detail", user_id=user.id))
