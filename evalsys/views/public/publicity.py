"""/public/publicity: the publicity of each call, open to anyone."""
from __future__ import annotations

from flask import render_template

from ...pagination import paginate
from ...permissions import public
from ...services import decision_public_query
from ...services import decisions as dec
from ..common.decisions import call_list_control, load_call


@public
def publicity(code: str):
    """The public publicity list: candidates with their authority, category and period."""
    call = load_call(code)
    return render_template("public/publicity.html", call=call, rows=dec.publicity_rows(call),
                           announced=dec.announcement(call))


@public
def publicity_index():
    """Calls whose candidates are (or were) in publicity: search by code, title or year, filter by kind and year,
    sortable; paginated."""
    lst = call_list_control("public.publicity_index", decision_public_query.PUBLICITY_SORTS)
    page = paginate(decision_public_query.publicity_calls(lst.query))
    return render_template("public/publicity_index.html", page=page, lst=lst,
                           periods=decision_public_query.publicity_periods(page.items))
