"""Walking the pages of every role on the demo: one demo account per role, and a walk that follows the
links of each page to find one URL per GET endpoint.

Used by the page-wide checks (readable numbers, the English interface, pagination, accessibility in the
browser) and by bench/pages.py. Downloads and files are left out: they are not pages.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEMO_PASSWORD = "Demo@2015-evalsys"
# One demo account per role (two applicants: an enterprise and a base operator), and where its walk starts.
ACCOUNTS: dict[str | None, str] = {
    "admin": "/admin/", "secadmin": "/security/", "auditor": "/audit/", "reviewer01": "/review/",
    "authority-320000": "/authority/", "applicant01": "/applicant/", "baseop01": "/applicant/", None: "/public/",
}
SKIP = re.compile(r"\.(pdf|xlsx|csv|png|json|zip)$|/attachments/|/evidence/|/reports/\d|/voucher|/images/"
                  r"|/files/|/download|/logout|/reproduce|/static/")
HREF = re.compile(r'href="(/[^"#]*)"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def login_demo(client, username: str) -> None:
    """Log a test client in as a demo account (the demo password), or fail saying who could not."""
    html = client.get("/auth/login").get_data(as_text=True)
    token = CSRF.search(html).group(1)
    r = client.post("/auth/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 302, (username, r.status_code)


@dataclass
class Page:
    """One page found by the walk: its endpoint, the URL that stood for it, and its HTML."""

    endpoint: str
    url: str
    html: str = field(repr=False)


def walk(app, client, starts: list[str], *, fetch: Callable[[str], str] = lambda url: url) -> Iterator[Page]:
    """Yield one HTML page per GET endpoint reachable from `starts` by links and redirects.

    `fetch` turns the URL found into the URL requested (for instance adding a query argument)."""
    from werkzeug.exceptions import HTTPException

    adapter = app.url_map.bind("localhost")
    seen: set[str] = set()
    queue = list(starts)
    while queue:
        url = queue.pop(0).replace("&amp;", "&")
        path = urlsplit(url).path
        if SKIP.search(path):
            continue
        try:
            endpoint, _ = adapter.match(path, method="GET")
        except HTTPException:
            continue
        if endpoint in seen or endpoint.endswith("static") or endpoint == "auth.logout":
            continue
        r = client.get(fetch(url))
        if r.status_code == 302 and r.location.startswith("/"):
            queue.append(r.location)
        if r.status_code != 200:
            r.close()
            continue
        seen.add(endpoint)
        if r.mimetype == "text/html":
            html = r.get_data(as_text=True)
            queue.extend(HREF.findall(html))
            yield Page(endpoint, url, html)
        r.close()


def role_pages(app, username: str | None, *, language: str = "zh", first: tuple[str, ...] = ()) -> list[Page]:
    """Every page one demo account (None: a visitor) reaches, in one language."""
    client = app.test_client()
    if language != "zh":
        client.set_cookie("lang", language)
    if username:
        login_demo(client, username)
    starts = [*first, ACCOUNTS[username]] + (["/auth/notifications", "/auth/password"] if username else [])
    return list(walk(app, client, starts))
