"""/authority/accounts: the applicant accounts of the jurisdiction, and their password resets."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user

from ...models import Role
from ...pagination import paginate
from ...permissions import roles_required
from ...services.account_query import AccountSearch, jurisdiction_accounts
from ..common.resets import render_reset_page, perform, target


@roles_required(Role.AUTHORITY)
def accounts():
    """Applicant accounts of the jurisdiction's organisations, searchable, paginated."""
    search = AccountSearch.parse(request.args.get("q"))
    page = paginate(jurisdiction_accounts(current_user.authority_code, search))
    return render_template("authority/accounts.html", page=page, q=search.q)


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
