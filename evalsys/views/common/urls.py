"""Addresses built once instead of once per use: a list's row links and the static assets of every page.

`url_for` walks the URL map each time (about 10 µs); a list of 50 rows with a link each, plus the
menu and the assets of the layout, spends more on it than on its own query. The results are the
same strings `url_for` gives.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import request, url_for

# An id no table reaches, replaced by each row's own; digits only, so no converter or quoting alters it.
_MARKER = 987654321987654321


def row_url(endpoint: str, key: str, **values) -> Callable[[int], str]:
    """A function giving, for an integer id, the address of `endpoint` with `key`=id and `values` fixed:
    `url_for` once for the list, string joins for its rows."""
    built = url_for(endpoint, **{key: _MARKER}, **values)
    head, found, tail = built.partition(str(_MARKER))
    if not found or str(_MARKER) in tail:  # the id is not a plain path or query part: ask each time
        return lambda ident: url_for(endpoint, **{key: ident}, **values)
    return lambda ident: f"{head}{int(ident)}{tail}"


_fixed: dict[tuple, str] = {}


def fixed_url(endpoint: str, **values: str) -> str:
    """The address of a page whose address depends on nothing of the request but the mount point (the home
    page, the account menu's pages, the language switch): `url_for` once per process and mount point."""
    key = (request.script_root, endpoint, *sorted(values.items()))
    found = _fixed.get(key)
    if found is None:
        found = _fixed[key] = url_for(endpoint, **values)
    return found


def asset_url(endpoint: str, filename: str) -> str:
    """The address of a static file (`static` or a blueprint's), built once per process and mount point."""
    return fixed_url(endpoint, filename=filename)
