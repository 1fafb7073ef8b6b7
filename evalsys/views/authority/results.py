"""/authority/results: the jurisdiction's results of a call, once they were announced."""
from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user

from ...models import Role
from ...pagination import paginate
from ...permissions import roles_required
from ...services import decision_public_query
from ...services import decisions as dec
from ..common.decisions import call_list_control, load_call


@roles_required(Role.AUTHORITY)
def results_index():
    """The calls whose results were announced (the only ones whose results an authority sees): search by code,
    title or year, filter by kind and year, sortable; paginated."""
    lst = call_list_control("authority.results_index", decision_public_query.ANNOUNCED_SORTS)
    page = paginate(decision_public_query.announced_calls(lst.query))
    return render_template("authority/results_index.html", page=page, lst=lst,
                           announced=decision_public_query.announcement_times(page.items))


@roles_required(Role.AUTHORITY)
def call_results(code: str):
    """The jurisdiction's results of a call, only after the announcement."""
    call = load_call(code)
    if dec.announcement(call) is None:
        abort(404)
    rows = dec.authority_results(call, current_user.authority_code)
    return render_template("authority/results.html", call=call, rows=rows, labels=dec.category_labels(call))
