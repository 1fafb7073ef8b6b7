"""/security: the security admin resets an account's second factor (lost phone); shown on the account page.

Adds a route to the security blueprint (imported in `views/__init__.py: register_blueprints`).
"""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from ...forms.security import ConfirmForm
from ...i18n import gettext
from ...models import Role, User
from ...permissions import roles_required
from ...services.totp import credential_of, eligible, recovery_codes_left, reset_totp
from .accounts import _load_target


def totp_status(user: User) -> dict:
    """What the account page shows about a second factor (never the secret)."""
    cred = credential_of(user)
    return {"eligible": eligible(user), "enrolled": bool(cred and cred.is_confirmed),
            "pending": bool(cred and not cred.is_confirmed),
            "confirmed_at": cred.confirmed_at if cred else None,
            "codes_left": recovery_codes_left(user) if cred else 0}


@roles_required(Role.SECADMIN)
def reset_second_factor(user_id: int):
    """Remove the account's second factor and recovery codes; it enrols again at its next login."""
    user = _load_target(user_id)
    if ConfirmForm().validate_on_submit():
        if reset_totp(user, actor=current_user._get_current_object()):
            flash(gettext("已重置该账户的两步验证，原验证器和恢复码全部作废，该账户需重新设置。"), "success")
        else:
            flash(gettext("该账户未设置两步验证，无需重置。"), "info")
    return redirect(url_for("security.detail", user_id=user.id))
