"""/admin/funds: the ministry's view of every first-batch base — allocations, tranches, the summary,
charts and exports, and reopening flags an authority resolved."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from ...boundary import attempt, refusal_returns_to
from ...domain import uscc
from ...extensions import db
from ...forms.funds import AllocationForm, FirstBatchBaseForm, OverrideForm, ReasonForm, TrancheForm
from ...forms.base import name_options
from ...i18n import gettext
from ...models import AllocationOverride, Role
from ...permissions import can_reopen_flag, roles_required
from ...services import funds, funds_flags as flag_rules, funds_ledger, sanctions
from ...services import admin_query
from ...services.authority_list import authority_rows
from ..common import funds as shared
from ..common.downloads import send_stored


ADMIN = Role.ADMIN


@roles_required(ADMIN)
def funds_home():
    """Every base: figures, sortable, with charts and the summary export."""
    return render_template("funds/dashboard.html", area="admin", **shared.dashboard_context())


@roles_required(ADMIN)
def funds_export_summary():
    """The ministry's summary of all bases as XLSX."""
    return shared.export_summary()


@roles_required(ADMIN)
def funds_chart(kind: str):
    """Execution by base or spending by category, PNG."""
    return shared.chart_response(kind)


@roles_required(ADMIN)
def funds_new_base():
    """Register a first-batch base; its operator must already be a registered organisation."""
    form = FirstBatchBaseForm()
    form.authority_code.choices = name_options((a.code, a.name) for a in authority_rows())
    if form.validate_on_submit():
        code = uscc.normalise(form.operator_uscc.data)
        org = admin_query.organisation_by_uscc(code)
        if org is None:
            form.operator_uscc.errors = ["未找到该统一社会信用代码的单位，请先由运营单位注册"]
        else:
            made = []
            refused = attempt(lambda: made.append(funds.create_base(
                code=form.code.data, name=form.name.data, city=form.city.data,
                authority_code=form.authority_code.data, organisation=org, actor=shared.user())))
            if not refused:
                flash(gettext("已登记基地 %(code)s", code=made[0].code), "success")
                return redirect(url_for("admin.funds_base", base_id=made[0].id))
            form.code.errors = refused.lines
    return render_template("funds/form.html", area="admin", form=form, title=gettext("登记首批示范基地"), base=None)


@roles_required(ADMIN)
def funds_base(base_id: int):
    """One base: allocations, tranches, figures, entries."""
    base = shared.get_base(base_id)
    return render_template("funds/base.html", area="admin", ban=sanctions.allocation_ban(base),
                           overrides=sanctions.overrides_of(base.id), override_form=OverrideForm(),
                           **shared.base_context(base))


@roles_required(ADMIN)
def funds_export_base(base_id: int):
    """XLSX of one base and year."""
    return shared.export_base_year(shared.get_base(base_id))


@roles_required(ADMIN)
def funds_new_allocation(base_id: int):
    """Allocate central funds to a base."""
    base = shared.get_base(base_id)
    form = AllocationForm()
    ban = sanctions.allocation_ban(base)
    if form.validate_on_submit() and ban and (form.override_reason.data or "").strip():
        # A banned base: the admin proposes an exception; another admin approves it on the base page.
        refused = attempt(lambda: sanctions.propose_override(base, sanctions.OverrideData(
            year=form.year.data, amount_fen=form.amount.fen, document_no=form.document_no.data,
            purpose=form.purpose.data or "", period_start=form.period_start.day, period_end=form.period_end.day),
            reason=form.override_reason.data, actor=shared.user()))
        if not refused:
            flash(gettext("例外下达申请已提交，须由另一位管理员批准后下达"), "success")
            return redirect(url_for("admin.funds_base", base_id=base.id))
        form.form_errors.extend(refused.lines)
    elif form.validate_on_submit():
        refused = attempt(lambda: funds.create_allocation(
            base, year=form.year.data, amount_fen=form.amount.fen, document_no=form.document_no.data,
            purpose=form.purpose.data or "", period_start=form.period_start.day, period_end=form.period_end.day,
            actor=shared.user()))
        if not refused:
            flash(gettext("资金下达已登记"), "success")
            return redirect(url_for("admin.funds_base", base_id=base.id))
        form.form_errors.extend(refused.lines)
    if ban and not form.form_errors:
        form.form_errors.append(ban + "。确需下达的，请填写例外下达理由，提交后由另一位管理员批准")
    return render_template("funds/form.html", area="admin", form=form, title=gettext("下达资金"), subject=[base.name],
                           base=base)


@roles_required(ADMIN)
def funds_override_decide(override_id: int, action: str):
    """Approve (a second admin; the allocation is made) or withdraw (with a reason) an exception."""
    item = db.session.get(AllocationOverride, override_id) or abort(404)
    back = url_for("admin.funds_base", base_id=item.base_id)
    refusal_returns_to(back)
    form = OverrideForm()
    if not form.validate_on_submit():
        abort(400)
    if action == "approve":
        sanctions.approve_override(item, actor=shared.user())
        flash(gettext("已批准并下达资金"), "success")
    else:
        sanctions.withdraw_override(item, reason=form.reason.data or "", actor=shared.user())
        flash(gettext("例外下达申请已撤回"), "success")
    return redirect(back)


@roles_required(ADMIN)
def funds_new_tranche(allocation_id: int):
    """Record funds received on an allocation."""
    allocation = shared.get_allocation(allocation_id)
    form = TrancheForm()
    if form.validate_on_submit():
        refused = attempt(lambda: funds_ledger.record_tranche(
            allocation, date=form.date.day, amount_fen=form.amount.fen, document_no=form.document_no.data or "",
            actor=shared.user()))
        if not refused:
            flash(gettext("到位资金已登记"), "success")
            return redirect(url_for("admin.funds_base", base_id=allocation.base_id))
        form.amount.errors = refused.lines
    title = gettext("登记到位资金：%(year)s年资金", year=allocation.year)
    return render_template("funds/form.html", area="admin", form=form, title=title,
                           subject=[allocation.base.name, allocation.document_no], base=allocation.base)


@roles_required(ADMIN)
def funds_entry(entry_id: int):
    """One entry with its flags and their history."""
    return shared.entry_page("admin", entry_id, reason=ReasonForm())


@roles_required(ADMIN)
def funds_voucher(entry_id: int):
    """Download the voucher scan."""
    entry = shared.get_entry(entry_id)
    return send_stored(entry.voucher_file) if entry.voucher_file else abort(404)


@roles_required(ADMIN)
def funds_flags():
    """Flags of every base, by state."""
    page, lst = shared.flags_page()
    return render_template("funds/flags.html", area="admin", page=page, lst=lst, reason=ReasonForm())


@roles_required(ADMIN)
def funds_reopen_flag(flag_id: int):
    """Reopen a resolved flag, with a reason (audited)."""
    flag = shared.get_flag(flag_id)
    if not can_reopen_flag(shared.user(), flag):
        abort(403)
    return shared.apply_with_reason(flag_rules.reopen_flag, flag, missing=gettext("请填写重新打开的理由"),
                                    done=gettext("已重新打开该提示"),
                                    back=url_for("admin.funds_entry", entry_id=flag.expenditure_id))
