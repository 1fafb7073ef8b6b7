"""/admin/calls: the ministry creates and edits calls, follows their applications and runs the formal check."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...boundary import attempt
from ...domain.timeutil import parse_beijing, to_beijing
from ...domain.workflow import ApplicationState
from ...extensions import db
from ...forms.applications import CheckForm
from ...forms.base import options
from ...forms.calls import CallForm, parse_places
from ...i18n import gettext, gettext as _, in_language
from ...models import Application, Call, CallKind, Role
from ...listing import Filter, list_control
from ...pagination import paginate
from ...permissions import roles_required
from ...services import application_query as query
from ...services import criteria as criteria_svc
from ...services.authority_list import authority_names, authority_rows
from ...services.calls import CallData, create_call, find_call, update_call
from ...services.recommendations import formal_check
from ..common.applications import detail_context, export_response, send_attachment
from ..common.decisions import call_list_control
from ..common.feedback import flash_form_errors

# The states the ministry filters a call's applications by (a draft is the applicant's own).
LISTED_STATES = [s for s in ApplicationState if s != ApplicationState.DRAFT]


def _load_call(code: str) -> Call:
    return find_call(code) or abort(404)


def _prepare(form: CallForm) -> None:
    systems = criteria_svc.available()
    form.criteria.choices = options((f"{s.id}:{s.version}", gettext("%(title)s（%(id)s v%(version)s）", title=in_language(s), id=s.id,
                                                                     version=s.version))
                                    for s in systems if s.kind in ("base", "enterprise"))
    cats = {c.code: in_language(c) for s in systems for c in s.categories}
    form.categories.choices = options(cats.items())


def _form_problems(form: CallForm) -> list[str]:
    """The banner above a refused form (the version is a hidden field: its error is shown here)."""
    if request.method != "POST":
        return []
    return ["表单有错误，请按提示修改（已填写的内容已保留）", *form.version.errors]


def _utc(value):
    return parse_beijing(value) if value else None


def _data(form: CallForm) -> CallData:
    system_id, _, version = form.criteria.data.partition(":")
    return CallData(
        code=form.code.data, kind=CallKind(form.kind.data), title=form.title.data.strip(),
        year_from=form.year_from.data, year_to=form.year_to.data, opens_at=_utc(form.opens_at.data),
        closes_at=_utc(form.closes_at.data), recommend_deadline=_utc(form.recommend_deadline.data),
        review_starts_at=_utc(form.review_starts_at.data), review_ends_at=_utc(form.review_ends_at.data),
        criteria_id=system_id, criteria_version=int(version or 0), quota_per_authority=form.quota_per_authority.data,
        places_total=form.places_total.data, places_by_category=parse_places(form.places_by_category.data) or None,
        reviewers_per_application=form.reviewers_per_application.data, blind=form.blind.data,
        publicity_days=form.publicity_days.data, categories=list(form.categories.data or []),
    )


def _form_data(call: Call) -> dict:
    local = {name: to_beijing(getattr(call, name)).replace(tzinfo=None) if getattr(call, name) else None
             for name in ("opens_at", "closes_at", "recommend_deadline", "review_starts_at", "review_ends_at")}
    places = "\n".join(f"{k}={v}" for k, v in call.places.items()) if call.places_by_category else ""
    return {"version": call.version_id, "code": call.code, "kind": call.kind.value, "title": call.title,
            "year_from": call.year_from, "year_to": call.year_to, "criteria": f"{call.criteria_id}:{call.criteria_version}",
            "quota_per_authority": call.quota_per_authority, "places_total": call.places_total,
            "categories": call.category_codes, "places_by_category": places,
            "reviewers_per_application": call.reviewers_per_application, "blind": call.blind,
            "publicity_days": call.publicity_days, **local}


@roles_required(Role.ADMIN)
def calls():
    """The calls with their number of applications: search by code, title or year, filter by kind and year,
    sortable; paginated."""
    lst = call_list_control("admin.calls", query.CALL_SORTS)
    page = paginate(query.calls(lst.query))
    return render_template("admin/calls.html", page=page, lst=lst, counts=query.application_counts(page.items))


@roles_required(Role.ADMIN)
def call_new():
    """Create a call."""
    form = CallForm()
    _prepare(form)
    if form.validate_on_submit():
        created: list[Call] = []
        refused = attempt(lambda: created.append(create_call(_data(form), actor=current_user._get_current_object())))
        if refused:
            return render_template("admin/call_form.html", form=form, errors=refused.lines, call=None)
        flash(gettext("已创建批次：%(title)s", title=created[0].title), "success")
        return redirect(url_for("admin.call_detail", code=created[0].code))
    return render_template("admin/call_form.html", form=form, errors=_form_problems(form), call=None)


@roles_required(Role.ADMIN)
def call_edit(code: str):
    """Edit a call; a form older than the last save is refused."""
    call = _load_call(code)
    form = CallForm(data=_form_data(call)) if request.method == "GET" else CallForm()
    _prepare(form)
    if form.validate_on_submit():
        refused = attempt(lambda: update_call(call, _data(form), actor=current_user._get_current_object(),
                                              expected_version=int(form.version.data or 0)), obj=call)
        if refused:  # shown on the form, the input kept
            status = 409 if refused.error is None else 200
            return render_template("admin/call_form.html", form=form, errors=refused.lines, call=call), status
        flash(gettext("批次已保存。"), "success")
        return redirect(url_for("admin.call_detail", code=call.code))
    return render_template("admin/call_form.html", form=form, errors=_form_problems(form), call=call)


@roles_required(Role.ADMIN)
def call_detail(code: str):
    """A call's applications (drafts excluded): search by name, USCC or number, filter by state and authority,
    sortable; paginated."""
    call = _load_call(code)
    lst = list_control("admin.call_detail", fixed={"code": call.code}, sorts=query.APPLICATION_SORTS,
                       search=_("单位名称、统一社会信用代码或申报编号"),
                       filters=[Filter("state", _("状态"), [(s.value, _(s.label)) for s in ApplicationState
                                                          if s != ApplicationState.DRAFT], _("全部状态")),
                                Filter("authority", _("推荐单位"), [(a.code, _(a.name)) for a in authority_rows()],
                                       _("全部推荐单位"))])
    by_state = query.state_counts(call)
    # Unnarrowed, the list holds every application but the drafts: counted already, by state.
    total = None if lst.query.narrowed else sum(by_state.get(s, 0) for s in LISTED_STATES)
    page = paginate(query.call_applications(call, lst.query), large=True, total=total)  # a call holds thousands
    return render_template("admin/call_detail.html", call=call, page=page, lst=lst, by_state=by_state,
                           states=LISTED_STATES, authority_names=authority_names())


def _call_application(code: str, app_id: int) -> Application:
    call = _load_call(code)
    app = db.session.get(Application, app_id)
    if app is None or app.call_id != call.id:
        abort(404)
    return app


@roles_required(Role.ADMIN)
def application_detail(code: str, app_id: int):
    """One application with the formal-check form when it is recommended."""
    app = _call_application(code, app_id)
    context = detail_context(app, staff=True, download_endpoint="admin.download_attachment", code=code)
    return render_template("admin/application.html", check_form=CheckForm(), **context)


@roles_required(Role.ADMIN)
def check(code: str, app_id: int):
    """The formal check: pass, or fail with a reason (illegal in the current state → 409)."""
    app = _call_application(code, app_id)
    form = CheckForm()
    if not form.validate_on_submit():
        flash_form_errors(form, gettext("请求无效"))
        return redirect(url_for("admin.application_detail", code=code, app_id=app.id))
    formal_check(app, actor=current_user._get_current_object(), passed=form.decision.data == "pass",
                 reason=form.reason.data)
    flash(gettext("形式审查：%(name)s → %(label)s",
                  name=app.organisation.name, label=gettext(app.state.label)), "success")
    return redirect(url_for("admin.application_detail", code=code, app_id=app.id))


@roles_required(Role.ADMIN)
def download_attachment(code: str, app_id: int, attachment_id: int):
    """Download an attachment of any application."""
    return send_attachment(_call_application(code, app_id), attachment_id)


@roles_required(Role.ADMIN)
def call_export(code: str):
    """Every application of the call as XLSX (every field and the state)."""
    return export_response(_load_call(code), authority_code=None)
