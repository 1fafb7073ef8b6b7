"""Pages of a list: the one place every paginated list reads its page number and fetches its rows.

Every list page calls `paginate(stmt)` (or `page_number()` when it pages something that is not a
query). The rules live here so that they hold everywhere:

- `?page=` that is missing, not a number, zero or negative is page 1; a number beyond `MAX_PAGE`
  (e.g. 99999999999999999999, which no database accepts as an OFFSET) is capped;
- a page past the last one shows the last page (never an empty page, never a 500);
- the page size comes from the caller or the `PAGE_SIZE` setting, never from the request.

The list control (`evalsys/listing.py`: search, whitelisted sort keys, filters) extends the statement in
its query module before it reaches `paginate`; its footer (`_list.html`) carries the other query arguments
along and shows the row count of the filtered statement.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Select, func, literal, select

from .extensions import db

# A million pages of 25 is 25 million rows: far beyond any list here, and an OFFSET that every
# database accepts.
MAX_PAGE = 1_000_000

# A large list (`paginate(large=True)`) counts its rows up to this many and then says "more than".
COUNT_LIMIT = 10_000


def page_number(value: object = None) -> int:
    """The requested page: `value`, or else the request's `?page=`; always 1..MAX_PAGE."""
    if value is None:
        value = request.args.get("page")
    try:
        number = int(str(value).strip()) if value is not None else 1
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


class _CountedPage(SelectPagination):
    """A page whose rows carry the total (COUNT(*) OVER ()): the items and the count in one query.

    An empty first page means an empty list; only an empty later page (past the end) asks for the
    count separately, as Flask-SQLAlchemy always does."""

    _total: int | None = None

    def _query_items(self) -> list[Any]:
        stmt = self._query_args["select"].add_columns(func.count().over())
        rows = self._query_args["session"].execute(stmt.limit(self.per_page).offset(self._query_offset)).unique().all()
        if rows:
            self._total = rows[0][-1]
        elif self.page == 1:
            self._total = 0
        return [row[0] for row in rows]

    def _query_count(self) -> int:
        return self._total if self._total is not None else super()._query_count()


class _BoundedPage(SelectPagination):
    """A page of a list that can hold hundreds of thousands of rows: counted on its own, up to `COUNT_LIMIT`.

    Counting a whole audit trail reads every record on every page view; past the limit the list says "more
    than N" (`capped`) and pages up to the limit: whoever looks further narrows the list with its filters."""

    capped = False

    def _query_count(self) -> int:
        known = self._query_args.get("known_total")  # the caller counted the rows with other figures
        if known is not None:
            self.capped = known > COUNT_LIMIT
            return min(known, COUNT_LIMIT)
        stmt = (self._query_args["select"].order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
                .limit(COUNT_LIMIT + 1))
        n = self._query_args["session"].execute(select(func.count()).select_from(stmt.subquery())).scalar() or 0
        self.capped = n > COUNT_LIMIT
        return min(n, COUNT_LIMIT)


def _fetch(stmt: Select, number: int, size: int, *, large: bool = False, total: int | None = None) -> Pagination:
    # A window function is computed before DISTINCT: such a statement is counted on its own. So is a
    # large list, and only up to a limit: the window makes the database read every matching row before the
    # first page, where a bounded count stops at the limit and the page stops after its rows.
    if large:
        return _BoundedPage(select=stmt, session=db.session(), page=number, per_page=size, max_per_page=size,
                            error_out=False, known_total=total)
    cls = SelectPagination if stmt._distinct or stmt._distinct_on else _CountedPage
    return cls(select=stmt, session=db.session(), page=number, per_page=size, max_per_page=size, error_out=False)


def paginate(stmt: Select, *, page: object = None, per_page: int | None = None, large: bool = False,
             total: int | None = None) -> Pagination:
    """One page of `stmt` (which must be ordered); a page past the last gives the last page.

    `page` defaults to the request's `?page=` and `per_page` to the `PAGE_SIZE` setting. The rows
    and their total come in one query (a window count); only a page past the end costs a count and
    a second fetch. `large=True` (a list of hundreds of thousands of rows, e.g. the audit trail) counts
    in a query of its own, up to `COUNT_LIMIT` rows (`page.capped` tells when there are more), unless the caller
    gives the `total` it already counted.
    """
    number = page_number(page)
    size = per_page or current_app.config["PAGE_SIZE"]
    result = _fetch(stmt, number, size, large=large, total=total)
    last = max(result.pages, 1)
    if number > last:
        result = _fetch(stmt, last, size, large=large, total=total)
    return result
