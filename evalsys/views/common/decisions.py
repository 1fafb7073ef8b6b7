"""What the decision pages of several audiences share: loading a call, the control of a list of calls."""
from __future__ import annotations

from collections.abc import Iterable

from flask import abort
from flask_babel import gettext

from ...listing import Filter, ListControl, list_control, year_filter
from ...models import Call, CallKind
from ...services.application_query import call_years
from ...services.calls import find_call


def load_call(code: str) -> Call:
    return find_call(code) or abort(404)


def call_list_control(endpoint: str, sorts: Iterable[str]) -> ListControl:
    """The control of a list of calls: search by code, title or year, filter by kind and year."""
    return list_control(endpoint, sorts=sorts, search=gettext("批次代码、名称或年度"),
                        filters=[Filter("kind", gettext("类别"), [(k.value, gettext(k.label)) for k in CallKind],
                                        gettext("全部类别")), year_filter(call_years())])
