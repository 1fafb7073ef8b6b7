"""Pieces the three fund audiences share (no routes here): loading with permission checks, the
dashboard and base pages' data, charts, exports. Each audience module keeps its views short."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request
from flask_login import current_user

from ...boundary import refusal_returns_to
from ...domain.funds import CATEGORY_LABELS, ExpenditureStatus
from ...extensions import db
from ...i18n import current_language, gettext as _
from ...models import Allocation, ComplianceFlag, Expenditure, FirstBatchBase, FlagState, Role
from ...listing import Filter, list_control, year_filter
from ...pagination import paginate
from ...permissions import can_view_base
from ...reporting import charts
from ...reporting import funds as funds_report
from ...services import funds_query, plan_targets
from ...services.accounts import authority_choices
from ...services.authority_list import authority_names
from .feedback import flash_form_errors
from .states import state_options


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def user():
    """The current user object (not the proxy), for services and audit."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def apply_with_reason(action, target, *, missing: str, done: str, back: str):
    """Run a fund service that takes a reason and the form's version; flash the outcome (a refusal is
    shown by the error handler on the page the form was posted from)."""
    from ...forms.funds import ReasonForm

    refusal_returns_to(back)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash_form_errors(form, missing)
        return redirect(back)
    action(target, reason=form.reason.data, actor=user(), expected_version=form.expected_version)
    flash(done, "success")
    return redirect(back)


def get_base(base_id: int) -> FirstBatchBase:
    """The base, 404 when absent, 403 when the user may not see it."""
    base = db.session.get(FirstBatchBase, base_id) or abort(404)
    if not can_view_base(current_user, base):
        abort(403)
    return base


def get_allocation(allocation_id: int) -> Allocation:
    """The allocation, with the same checks on its base."""
    allocation = db.session.get(Allocation, allocation_id) or abort(404)
    get_base(allocation.base_id)
    return allocation


def get_entry(entry_id: int) -> Expenditure:
    """The expenditure, with the same checks on its base."""
    entry = db.session.get(Expenditure, entry_id) or abort(404)
    get_base(entry.allocation.base_id)
    return entry


def get_flag(flag_id: int) -> ComplianceFlag:
    """The flag, with the same checks on its base."""
    flag = db.session.get(ComplianceFlag, flag_id) or abort(404)
    get_base(flag.expenditure.allocation.base_id)
    return flag


def entry_page(area: str, entry_id: int, **forms) -> str:
    """The entry page: the entry, its reversing entries (newest first) and the audience's forms."""
    entry = get_entry(entry_id)
    reversals = funds_query.reversals_of(entry)
    return render_template("funds/entry.html", area=area, entry=entry, reversals=reversals, **forms)


def year_arg() -> int | None:
    """The ?year= filter, ignored when not a plausible year."""
    year = request.args.get("year", type=int)
    return year if year is not None and 2000 <= year <= 2100 else None


# A page of the dashboard holds the whole first batch (34 bases) at once; later batches page.
DASHBOARD_PAGE = 50


def dashboard_context() -> dict:
    """The visible bases matching the search, ?authority= and ?year=, sorted by ?sort=&dir= in the database, one page;
    the totals cover every matching base."""
    filters = [year_filter(funds_query.available_years())]
    if current_user.role == Role.ADMIN:
        filters.append(Filter("authority", _("主管部门"), authority_choices(), _("全部主管部门"), names=True))
    lst = list_control(request.endpoint, sorts=funds_query.BASE_SORT_KEYS, filters=filters,
                       search=_("基地编号、名称、城市、运营单位或统一社会信用代码"))
    year = int(lst.query.get("year")) if lst.query.get("year") else None
    stmt = funds_query.dashboard_bases(current_user, lst.query, year)
    page = paginate(stmt, per_page=DASHBOARD_PAGE)
    totals, open_flags = funds_query.totals(stmt, year)
    return {"rows": funds_query.base_figures(list(page.items), year), "page": page, "lst": lst, "year": year,
            "totals": totals, "open_flags": open_flags, "authority_names": authority_names()}


def base_context(base: FirstBatchBase) -> dict:
    """Everything the base page shows: allocations, figures by year and category, entries (searched, filtered,
    sorted, paged)."""
    allocations = funds_query.base_allocations(base)
    years = funds_query.year_figures(base)
    lst = list_control(request.endpoint, fixed={"base_id": base.id}, sorts=funds_query.ENTRY_SORTS,
                       search=_("项目、收款单位、凭证号或类别"),
                       filters=[Filter("status", _("状态"), state_options(ExpenditureStatus),
                                       _("全部状态")), year_filter([y for y, _f in years])],
                       default_sort="date", default_descending=True)
    year = int(lst.query.get("year")) if lst.query.get("year") else None
    page = paginate(funds_query.base_entries(base, lst.query))
    categories = funds_query.category_spending([base.id], year)
    return {"base": base, "allocations": allocations, "years": years, "lst": lst,
            "categories": categories, "labels": CATEGORY_LABELS, "page": page, "year": year,
            "plan": plan_targets.plan_rows(base), "plan_lock": plan_targets.locking_round(base)}


def entries_control():
    """The list control of the authority's entries: pending by default ("all": every status)."""
    return list_control("authority.funds_entries", sorts=funds_query.ENTRY_SORTS, search=_("项目、收款单位、凭证号或类别"),
                        filters=[Filter("status", _("状态"), [*state_options(ExpenditureStatus),
                                                            ("all", _("全部状态"))], None, default="pending")])


def flags_page():
    """Flags of the visible bases matching the search and ?state= (default open; "all": every state), sortable,
    paged."""
    lst = list_control(request.endpoint, sorts=funds_query.FLAG_SORTS, search=_("基地、项目或收款单位"),
                       filters=[Filter("state", _("状态"), [*state_options(FlagState), ("all", _("全部"))], None,
                                       default="open")])
    return paginate(funds_query.visible_flags(current_user, lst.query)), lst


def chart_response(kind: str) -> Response:
    """PNG of execution by base, or of spending by category, over the visible bases (?year=)."""
    year = year_arg()
    bases = funds_query.visible_base_list(current_user)
    if kind == "execution":
        rows = funds_query.base_figures(bases, year)
        png = charts.execution_by_base_png([(f"{r.base.code} {r.base.city}", r.execution_bp) for r in rows])
    else:
        spent = funds_query.category_spending([b.id for b in bases], year)
        png = charts.spending_by_category_png([(f"{c} {CATEGORY_LABELS[c]}", fen) for c, fen in spent.items()])
    return Response(png, mimetype="image/png")


def xlsx_response(data: bytes, filename: str) -> Response:
    """An attachment with a UTF-8 file name (RFC 5987) and an ASCII fallback."""
    response = Response(data, mimetype=XLSX_MIME)
    response.headers["Content-Disposition"] = (f"attachment; filename=\"funds.xlsx\"; "
                                               f"filename*=UTF-8''{quote(filename)}")
    return response


def export_base_year(base: FirstBatchBase) -> Response:
    """XLSX of one base and allocation year (?year=, default the latest)."""
    years = funds_query.year_figures(base)
    year = year_arg() or (years[-1][0] if years else None)
    figures = dict(years).get(year) if year else None
    if figures is None:
        abort(404, description="该年度没有资金下达记录")
    entries = funds_query.base_year_entries(base, year)
    data = funds_report.base_year_xlsx(base, year, figures, entries, tr=_, lang=current_language())
    return xlsx_response(data, _("%(code)s-%(year)s-资金使用.xlsx", code=base.code, year=year))


def export_summary() -> Response:
    """The ministry's summary of the visible bases (?year=)."""
    year = year_arg()
    bases = funds_query.visible_base_list(current_user)
    rows = funds_query.base_figures(bases, year)
    by_category = {b.code: funds_query.category_spending([b.id], year) for b in bases}
    name = _("首批示范基地资金使用汇总-%(scope)s.xlsx", scope=year or _("全部年度"))
    return xlsx_response(funds_report.summary_xlsx(rows, by_category, year, tr=_, lang=current_language()), name)
