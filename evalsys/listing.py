"""The list control every growing list shares: search, filters and sorting read from the request, applied in SQL.

A list page builds one `ListControl` with `list_control(endpoint, ...)`. It reads `?q=` (the search text),
`?sort=` and `?dir=`, and the list's own filter arguments from the request:

- the search text loses control characters and is cut to `MAX_Q` characters;
- a sort key counts only when it is one of the list's whitelisted keys (the query module maps each key to its
  columns), so a column name or SQL typed into the URL changes nothing; an unknown key means the list's
  default order;
- a filter value counts only when it is one of the filter's options.

The query module receives `control.query` (a plain `ListQuery`) and applies it with `search()` and `ordered()`,
so the filtering, sorting and counting all happen in the database. The macros in `_list.html` render the
search box, the filter selects, the sortable headers and the footer with its count.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlencode
from typing import Any

from sqlalchemy import Select, or_

MAX_Q = 80
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def N_(message: str) -> str:
    """Marks a label for the translation catalogue; it is translated (gettext) where it is shown."""
    return message


def clean_text(raw: object) -> str:
    """Search text as a query may use it: control characters dropped (PostgreSQL refuses NUL), trimmed, short."""
    return _CONTROL.sub("", str(raw or "")).strip()[:MAX_Q]


@dataclass(frozen=True)
class ListQuery:
    """What a list was asked for: search text, a whitelisted sort key (or ""), its direction, filter values."""

    q: str = ""
    sort: str = ""
    descending: bool = False
    filters: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """The value of one filter ("" when not chosen)."""
        return self.filters.get(name, "")

    @property
    def narrowed(self) -> bool:
        """Whether a search or a filter narrows the list (else it holds every row it can show)."""
        return bool(self.q) or any(self.filters.values())


def is_year(q: str) -> bool:
    """Whether search text is a year (four digits): lists of yearly things also match it against their years."""
    return len(q) == 4 and q.isascii() and q.isdigit()


def by_number(q: str, column: Any) -> list[Any]:
    """`[column == q]` when the search text is a number (an id: an application's number), else `[]` (for `or_`)."""
    return [column == int(q)] if q.isascii() and q.isdigit() and len(q) < 10 else []


def yearly(stmt: Select, lq: ListQuery, year: Any, *texts: Any) -> Select:
    """`stmt` of a list of yearly things narrowed by the search (in `texts`, or `year` when the search is a year)
    and by the ?year= filter."""
    if lq.q:
        stmt = stmt.where(or_(*(t.icontains(lq.q, autoescape=True) for t in texts),
                              *([year == int(lq.q)] if is_year(lq.q) else [])))
    if lq.get("year"):
        stmt = stmt.where(year == int(lq.get("year")))
    return stmt


Sorts = Mapping[str, Sequence[Any]]  # key -> the column expressions it orders by


def search(stmt: Select, q: str, *columns: Any) -> Select:
    """`stmt` narrowed to rows where one of `columns` contains `q` (case-insensitive; % and _ match themselves)."""
    if not q:
        return stmt
    return stmt.where(or_(*(column.icontains(q, autoescape=True) for column in columns)))


def ordered(stmt: Select, lq: ListQuery, sorts: Sorts, default: Sequence[Any], tiebreak: Any) -> Select:
    """`stmt` ordered by the chosen whitelisted key (then `tiebreak`, so pages never overlap), else by `default`."""
    columns = sorts.get(lq.sort)
    if not columns:
        return stmt.order_by(*default)
    terms = [(c.desc() if lq.descending else c.asc()).nulls_last() for c in columns]
    return stmt.order_by(*terms, tiebreak.desc() if lq.descending else tiebreak.asc())


@dataclass(frozen=True)
class Filter:
    """One select of a list control: the argument's name, its label and its (value, label) options."""

    name: str
    label: str
    options: Sequence[tuple[str, str]]
    all_label: str | None = ""  # the label of the blank option ("all"); None: no blank option
    default: str = ""  # the value when the request does not name one
    names: bool = False  # the option labels are names (authorities, calls): shown as written in every language


def year_filter(years: Iterable[int]) -> Filter:
    """The ?year= select of a list of yearly things (calls, rounds, collections), latest year first."""
    from .i18n import gettext

    return Filter("year", gettext("年度"), [(str(y), str(y)) for y in years], gettext("全部年度"))


_QUERY_SAFE = "!$'()*,/:;?@"  # what werkzeug leaves unquoted in the query strings url_for builds


@dataclass
class ListControl:
    """A list's control as the page shows it: the query, where its links point and what it offers."""

    query: ListQuery
    endpoint: str
    fixed: dict[str, Any]
    search_label: str | None
    filters: list[Filter]
    sort_keys: frozenset[str]
    extra: dict[str, str] = field(default_factory=dict)
    extra_in_form: bool = False  # the page's own form fields render `extra` inside the control

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query arguments that reproduce this list (fixed route arguments included), with `changes`."""
        out: dict[str, Any] = dict(self.fixed)
        out.update({k: v for k, v in self.extra.items() if v})
        if self.query.q:
            out["q"] = self.query.q
        out.update({k: v for k, v in self.query.filters.items() if v})
        if self.query.sort:
            out["sort"] = self.query.sort
            out["dir"] = "desc" if self.query.descending else "asc"
        out.update(changes)
        return {k: v for k, v in out.items() if v not in (None, "")}

    @cached_property
    def path(self) -> str:
        """The list's URL without a query (its route built once per page; a fixed argument that is not part of
        the route is in its query already)."""
        from flask import url_for

        return url_for(self.endpoint, **self.fixed)

    def url(self, **changes: Any) -> str:
        """The list's URL with `changes`: what url_for gives, with the route built once per page rather than once
        per link (a list page has a dozen: its sortable headers and filters)."""
        if self.fixed.keys() & changes.keys():
            from flask import url_for

            return url_for(self.endpoint, **self.args(**changes))
        query = [(k, v) for k, v in self.args(**changes).items() if k not in self.fixed]
        if not query:
            return self.path
        return f"{self.path}{'&' if '?' in self.path else '?'}{urlencode(query, safe=_QUERY_SAFE)}"

    def sort_url(self, key: str) -> str:
        """The link of a sortable header: this key ascending, or the other way round when already chosen."""
        descending = self.query.sort == key and not self.query.descending
        return self.url(sort=key, dir="desc" if descending else "asc", page=None)

    def aria_sort(self, key: str) -> str:
        if self.query.sort != key:
            return "none"
        return "descending" if self.query.descending else "ascending"

    def hidden(self) -> dict[str, str]:
        """Arguments the search form carries along unchanged (sort order, extra arguments)."""
        out = {} if self.extra_in_form else {k: str(v) for k, v in self.extra.items() if v}
        if self.query.sort:
            out["sort"] = self.query.sort
            out["dir"] = "desc" if self.query.descending else "asc"
        return out

    @property
    def active(self) -> bool:
        """Whether a search or filter narrows the list (the page offers to clear them)."""
        return self.query.narrowed

    def clear_url(self) -> str:
        return self.path


def parse(args: Mapping[str, str], *, sorts: Iterable[str] = (), filters: Iterable[Filter] = (),
          default_sort: str = "", default_descending: bool = False) -> ListQuery:
    """The ListQuery of request arguments `args`: unknown sort keys and filter values are dropped."""
    keys = set(sorts)
    sort = args.get("sort", "")
    if sort in keys:
        descending = args.get("dir") == "desc"
    else:
        sort, descending = default_sort, default_descending
    chosen = {}
    for f in filters:
        value = args.get(f.name, f.default)
        if value in {v for v, _ in f.options}:
            chosen[f.name] = value
    return ListQuery(clean_text(args.get("q")), sort, descending, chosen)


def list_control(endpoint: str, *, sorts: Iterable[str] = (), search: str | None = None,
                 filters: Iterable[Filter] = (), fixed: Mapping[str, Any] | None = None,
                 extra: Mapping[str, str] | None = None, extra_in_form: bool = False, default_sort: str = "",
                 default_descending: bool = False) -> ListControl:
    """The control of the list at `endpoint` for the current request.

    `sorts` are the whitelisted sort keys, `search` the label of the search box (None: no search box),
    `filters` the selects, `fixed` the route arguments (e.g. a call's code), `extra` further arguments the page
    reads itself and its links carry along (`extra_in_form`: the page renders them as fields inside the control).
    """
    from flask import request

    filters = list(filters)
    query = parse(request.args, sorts=sorts, filters=filters, default_sort=default_sort,
                  default_descending=default_descending)
    return ListControl(query, endpoint, dict(fixed or {}), search, filters, frozenset(sorts), dict(extra or {}),
                       extra_in_form)
