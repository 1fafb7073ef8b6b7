"""/security/users/<id>/reset: the security admin resets a staff account's password."""
from __future__ import annotations

from flask import url_for

from ...models import Role
from ...permissions import roles_required
from ..common.resets import render_reset_page, perform, target


@roles_required(Role.SECADMIN)
def reset_page(user_id: int):
    """Choose how to reset a staff account's password."""
    user = target(user_id)
    return render_reset_page(user, "security.reset_do", url_for("security.detail", user_id=user.id))


@roles_required(Role.SECADMIN)
def reset_do(user_id: int, method: str):
    """Reset a staff account's password: email a link or set a temporary password; its sessions end."""
    user = target(user_id)
    return perform(user, method, "security.reset_page", url_for("security.detail", user_id=user.id))
