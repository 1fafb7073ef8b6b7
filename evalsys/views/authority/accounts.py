"""/authority/accounts: the applicant accounts of the jurisdiction, and their password resets."""
from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user

from ...i18n import gettext as _
from ...models import AccountState, Role
from ...listing import Filter, list_control
from ...pagination import paginate
from ...permissions import roles_required
from ...services.account_query import JURISDICTION_ACCOUNT_SORTS, jurisdiction_accounts
from ..common.states import state_options
from ..common.resets import render_reset_page, perform, target


@roles_required(Role.AUTHORITY)
def accounts():
    """Applicant accounts of the jurisdiction's organisations, searchable, paginated."""
    lst = list_control("authority.accounts", sorts=JURISDICTION_ACCOUNT_SORTS,
                       search=_("用户名、单位、统一社会信用代码或联系人"),
                       filters=[Filter("state", _("状态"), state_options(AccountState), _("全部状态"))])
    page = paginate(jurisdiction_accounts(current_user.authority_code, lst.query))
    return render_template("authority/accounts.html", page=page, lst=lst)


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
