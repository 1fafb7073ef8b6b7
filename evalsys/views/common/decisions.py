"""What the decision pages of several audiences share: loading a call, the control of a list of calls."""
from __future__ import annotations

from collections.abc import Iterable

from flask import abort

from ...i18n import gettext, in_language
from ...listing import Filter, ListControl, list_control, year_filter
from ...models import Call, CallKind
from ...services import decisions as dec
from ...services.application_query import call_years
from ...services.calls import find_call
from ...services.criteria import system_of


def load_call(code: str) -> Call:
    return find_call(code) or abort(404)


def call_list_control(endpoint: str, sorts: Iterable[str]) -> ListControl:
    """The control of a list of calls: search by code, title or year, filter by kind and year."""
    return list_control(endpoint, sorts=sorts, search=gettext("批次代码、名称或年度"),
                        filters=[Filter("kind", gettext("类别"), [(k.value, gettext(k.label)) for k in CallKind],
                                        gettext("全部类别")), year_filter(call_years())])


def publicity_rows(call: Call) -> list[tuple[str, str, str, str]]:
    """The publicity list's rows with the category labels and the period in the page's language."""
    labels = {"": "", **{c.code: in_language(c) for c in system_of(call).categories}}
    return dec.publicity_rows(call, labels=labels, period=gettext("%(first)s 至 %(last)s"))
