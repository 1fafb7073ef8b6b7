"""/authority/accounts: the applicant accounts of the jurisdiction, and their password resets."""
from __future__ import annotations

import re

from flask import render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from ...models import Organisation, Role, User
from ...pagination import paginate
from ...permissions import roles_required
from ..common.resets import render_reset_page, perform, target


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


@roles_required(Role.AUTHORITY)
def account_reset_page(user_id: int):
    """Choose how to reset an applicant account's password."""
    user = target(user_id)
    return render_reset_page(user, "authority.account_reset_do", url_for("authority.accounts"))


@roles_required(Role.AUTHORITY)
def account_reset_do(user_id: int, method: str):
    """Reset an applicant account's password: email a link or set a temporary password; its sessions end."""
    user = target(user_id)
    return perform(user, method, "authority.account_reset_page", url_for("authority.accounts"))
