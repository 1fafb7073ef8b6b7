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

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from .extensions import db

# A million pages of 25 is 25 million rows: far beyond any list here, and an OFFSET that every
# database accepts.
MAX_PAGE = 1_000_000


def page_number(value: object = None) -> int:
    """The requested page: `value`, or else the request's `?page=`; always 1..MAX_PAGE."""
    if value is None:
        value = request.args.get("page")
    try:
        number = int(str(value).strip()) if value is not None else 1
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def paginate(stmt: Select, *, page: object = None, per_page: int | None = None) -> Pagination:
    """One page of `stmt` (which must be ordered); a page past the last gives the last page.

    `page` defaults to the request's `?page=` and `per_page` to the `PAGE_SIZE` setting. The row
    count is one COUNT query, as in Flask-SQLAlchemy; only a page past the end costs a second
    fetch.
    """
    number = page_number(page)
    size = per_page or current_app.config["PAGE_SIZE"]
    result = db.paginate(stmt, page=number, per_page=size, max_per_page=size, error_out=False)
    last = max(result.pages, 1)
    if number > last:
        result = db.paginate(stmt, page=last, per_page=size, max_per_page=size, error_out=False)
    return result
