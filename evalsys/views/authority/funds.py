"""/authority/funds: a local authority verifies or rejects the entries of the bases in its
jurisdiction, resolves their compliance flags, and follows execution on a dashboard."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...boundary import audit_refusal, refusal_returns_to
from ...forms.funds import ReasonForm, VersionedForm
from ...i18n import gettext
from ...models import Expenditure, Role
from ...pagination import paginate
from ...permissions import can_decide_expenditure, roles_required
from ...services import funds_flags as flag_rules, funds_ledger, funds_query
from ..common import funds as shared
from ..common.downloads import send_stored


AUTHORITY = Role.AUTHORITY


@roles_required(AUTHORITY)
def funds_home():
    """The jurisdiction's bases: figures, sortable, with charts."""
    return render_template("funds/dashboard.html", area="authority", **shared.dashboard_context())


@roles_required(AUTHORITY)
def funds_chart(kind: str):
    """Execution by base or spending by category over the jurisdiction, PNG."""
    return shared.chart_response(kind)


@roles_required(AUTHORITY)
def funds_export_summary():
    """The summary of the jurisdiction's bases as XLSX."""
    return shared.export_summary()


@roles_required(AUTHORITY)
def funds_base(base_id: int):
    """One base of the jurisdiction."""
    return render_template("funds/base.html", area="authority", **shared.base_context(shared.get_base(base_id)))


@roles_required(AUTHORITY)
def funds_export_base(base_id: int):
    """XLSX of one base and year."""
    return shared.export_base_year(shared.get_base(base_id))


@roles_required(AUTHORITY)
def funds_entries():
    """Entries of the jurisdiction awaiting a decision (or any status), searchable and sortable, oldest first, paged."""
    lst = shared.entries_control()
    page = paginate(funds_query.jurisdiction_entries(current_user.authority_code, lst.query))
    return render_template("funds/entries.html", area="authority", page=page, lst=lst)


@roles_required(AUTHORITY)
def funds_entry(entry_id: int):
    """One entry: verify or reject it, resolve its flags."""
    return shared.entry_page("authority", entry_id, confirm=VersionedForm(), reason=ReasonForm())


@roles_required(AUTHORITY)
def funds_voucher(entry_id: int):
    """Download the voucher scan."""
    entry = shared.get_entry(entry_id)
    return send_stored(entry.voucher_file) if entry.voucher_file else abort(404)


def _decidable(entry_id: int) -> Expenditure:
    entry = shared.get_entry(entry_id)
    if not can_decide_expenditure(current_user, entry):
        abort(403)
    return entry


@roles_required(AUTHORITY)
def funds_verify(entry_id: int):
    """Verify an entry (refused when it would take verified spending above the funds received)."""
    entry = _decidable(entry_id)
    form = VersionedForm()
    if form.validate_on_submit():
        refusal_returns_to(url_for("authority.funds_entry", entry_id=entry_id))
        audit_refusal("fund_verification_refused", object_type="fund_expenditures", object_id=entry_id)
        funds_ledger.verify_expenditure(entry, actor=shared.user(), expected_version=form.expected_version)
        flash(gettext("已核实该笔支出"), "success")
    else:
        shared.flash_form_errors(form, gettext("页面已过期，请刷新后重试"))
    return redirect(url_for("authority.funds_entry", entry_id=entry_id))


@roles_required(AUTHORITY)
def funds_reject(entry_id: int):
    """Reject an entry with a reason."""
    entry = _decidable(entry_id)
    return shared.apply_with_reason(funds_ledger.reject_expenditure, entry, missing=gettext("驳回必须说明理由"),
                                    done=gettext("已驳回该笔支出"), back=url_for("authority.funds_entry", entry_id=entry_id))


@roles_required(AUTHORITY)
def funds_flags():
    """Flags of the jurisdiction's bases, by state."""
    page, lst = shared.flags_page()
    return render_template("funds/flags.html", area="authority", page=page, lst=lst, reason=ReasonForm())


@roles_required(AUTHORITY)
def funds_resolve_flag(flag_id: int):
    """Resolve an open flag with a reason (audited)."""
    flag = shared.get_flag(flag_id)
    if not can_decide_expenditure(current_user, flag.expenditure):
        abort(403)
    return shared.apply_with_reason(flag_rules.resolve_flag, flag, missing=gettext("处理提示必须说明理由"),
                                    done=gettext("已处理该提示"),
                                    back=url_for("authority.funds_entry", entry_id=flag.expenditure_id))
