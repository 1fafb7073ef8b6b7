"""Bad page numbers: every paginated list, for every role, answers ?page=<huge>, negative, zero and
non-numeric with a page (the last one for a number past the end), never a 500."""
from __future__ import annotations

import re
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode, urlsplit

from flask import request
from werkzeug.exceptions import HTTPException

from evalsys import pagination
from evalsys.pagination import MAX_PAGE, page_number, paginate
from tests.conftest import login
from tests.crawl import ACCOUNTS, DEMO_PASSWORD, HREF, SKIP

HUGE = "99999999999999999999"
FOOTER = re.compile(r"第 (\d+) / (\d+) 页")

# Every list that pages through the shared helper; the walk must reach each of them.
PAGINATED = {
    "admin.call_detail", "admin.reviewers", "admin.reviewer_detail", "admin.review_call", "admin.review_progress",
    "admin.cases", "admin.funds_base", "authority.organisations", "authority.applications", "authority.accounts",
    "authority.funds_entries", "authority.cases",
    "admin.funds_flags", "authority.funds_flags", "authority.funds_base", "applicant.cases", "applicant.funds_base",
    "auth.notifications", "review.home", "security.home", "security.reviewers", "audit.home", "public.cases",
    "admin.calls", "admin.review_calls", "admin.evaluation_rounds", "admin.summaries", "authority.summaries",
    "applicant.home", "applicant.evaluations", "authority.evaluations", "authority.results_index",
    "public.publicity_index",
}


def test_page_number_is_always_a_usable_page(app):
    with app.test_request_context("/?page=" + HUGE):
        assert page_number() == MAX_PAGE
    for raw, expected in [("-3", 1), ("0", 1), ("abc", 1), ("", 1), ("2.5", 1), (" 7 ", 7), ("\x00", 1)]:
        with app.test_request_context("/?" + urlencode({"page": raw})):
            assert page_number() == expected, raw
    with app.test_request_context("/"):
        assert page_number() == 1
        assert page_number(3) == 3


def test_a_page_past_the_end_is_the_last_page(app):
    from sqlalchemy import select

    from evalsys.models import Role, User
    from tests.factories import make_user

    with app.app_context():
        for i in range(3):
            make_user(Role.REVIEWER, username=f"p{i}")
        stmt = select(User).order_by(User.id)
        with app.test_request_context("/?page=" + HUGE):
            result = paginate(stmt, per_page=1)
        assert result.page == result.pages == 3 and [u.username for u in result.items] == ["p2"]
        with app.test_request_context("/?page=2"):
            assert [u.username for u in paginate(stmt, per_page=1).items] == ["p1"]


def test_a_page_and_its_total_come_in_one_query(app):
    from sqlalchemy import event, func, select

    from evalsys.extensions import db
    from evalsys.models import Role, User
    from tests.factories import make_user

    with app.app_context():
        for i in range(5):
            make_user(Role.REVIEWER, username=f"c{i}")
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        with app.test_request_context("/?page=2"):
            result = paginate(select(User).where(User.username.like("c%")).order_by(User.id), per_page=2)
            assert [u.username for u in result.items] == ["c2", "c3"]
            assert (result.total, result.pages, len(statements)) == (5, 3, 1)
            empty = paginate(select(User).where(User.username == "nobody").order_by(User.id), page=1, per_page=2)
            assert (empty.items, empty.total, empty.pages, len(statements)) == ([], 0, 0, 2)
            # DISTINCT is applied after a window function: such a list is counted on its own.
            roles = paginate(select(User.role).distinct().order_by(User.role), per_page=10)
            assert roles.total == len(roles.items) == len({u.role for u in db.session.scalars(select(User))})
            # A large list (the audit trail) counts in a query of its own, without a window over every row.
            before = len(statements)
            large = paginate(select(User).where(User.username.like("c%")).order_by(User.id), page=3, per_page=2,
                             large=True)
            assert ([u.username for u in large.items], large.total, large.pages) == (["c4"], 5, 3)
            assert len(statements) - before == 2 and not any("OVER (" in s.upper() for s in statements[before:])
            assert not large.capped
            everyone = paginate(select(User).order_by(User.id), per_page=2, large=True)  # no WHERE: FROM kept
            assert everyone.total == db.session.scalar(select(func.count()).select_from(User)) >= 5
            # ... and only up to a limit: past it the list says "more than" and pages up to the limit.
            with mock.patch("evalsys.pagination.COUNT_LIMIT", 3):
                bounded = paginate(select(User).where(User.username.like("c%")).order_by(User.id), page=9,
                                   per_page=2, large=True)
            assert (bounded.capped, bounded.total, bounded.pages, [u.username for u in bounded.items]) == \
                (True, 3, 2, ["c2", "c3"])
            assert "LIMIT" in statements[-2].upper()  # the count stops at the limit


def test_a_capped_list_says_more_than(app, client):
    """The audit trail past the count limit says "more than N" in its footer; below it, the exact count."""
    from evalsys.extensions import db
    from evalsys.models import Role
    from evalsys.services import audit
    from tests.factories import make_user

    with app.app_context():
        make_user(Role.AUDITOR, username="trail-reader")
        for i in range(3):
            audit.record("test_event", object_type="test", object_id=str(i))
        db.session.commit()
    login(client, "trail-reader")
    exact = client.get("/audit/?event=test_event").get_data(as_text=True)
    assert "超过" not in exact and 'data-list-count="3"' in exact
    with mock.patch("evalsys.pagination.COUNT_LIMIT", 2):
        capped = client.get("/audit/?event=test_event").get_data(as_text=True)
    assert 'data-list-count="2"' in capped and "超过 2 条（请用筛选缩小范围）" in capped


def test_no_list_calls_flask_sqlalchemy_paginate_directly():
    """Every list goes through evalsys.pagination, so its rules hold everywhere."""
    root = Path(__file__).resolve().parents[2] / "evalsys"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "pagination.py" and "db.paginate(" in p.read_text(encoding="utf-8")]
    assert offenders == []


def _walk(app, client, start: str, seen: dict[str, str]) -> list[str]:
    """Open one URL per endpoint reachable from `start` by links, each with ?page=<huge>; remember
    which URL stood for each endpoint in `seen`."""
    adapter = app.url_map.bind("localhost")
    queue, failures = [start], []
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if SKIP.search(parts.path):
            continue
        try:
            endpoint, _ = adapter.match(parts.path, method="GET")
        except HTTPException:
            continue
        if endpoint in seen or endpoint.endswith("static"):
            continue
        seen[endpoint] = _with_page(url, HUGE)
        r = client.get(seen[endpoint])
        if r.status_code not in (200, 302, 404):
            failures.append(f"{seen[endpoint]}: {r.status_code}")
        if r.status_code == 200 and r.mimetype == "text/html":
            html = r.get_data(as_text=True)
            footer = FOOTER.search(html)
            if footer and footer.group(1) != footer.group(2):
                failures.append(f"{seen[endpoint]}: page {footer.group(1)} of {footer.group(2)}, not the last")
            queue.extend(HREF.findall(html.replace("&amp;", "&")))
        if r.status_code == 302 and r.location.startswith("/"):
            queue.append(r.location)
        r.close()
    return failures


def _with_page(url: str, page: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("page="))
    return f"{parts.path}?{query + '&' if query else ''}page={page}"


def test_every_paginated_list_of_every_role_survives_bad_page_numbers(demo_site, monkeypatch):
    """One walk per role with the huge number (each list shows its last page), then the other bad
    numbers on every list found (each shows its first page)."""
    paged: dict[str, tuple[int, int]] = {}
    original = pagination._fetch

    def recording(*args, **kwargs):
        result = original(*args, **kwargs)
        paged[request.endpoint] = (result.page, result.pages)
        return result

    monkeypatch.setattr(pagination, "_fetch", recording)
    failures: list[str] = []
    clients = {}
    for username, home in ACCOUNTS.items():
        client = clients[username] = demo_site.test_client()
        if username:
            assert login(client, username, DEMO_PASSWORD).status_code == 302, username
        seen: dict[str, str] = {}
        failures += _walk(demo_site, client, home, seen)
        if username:
            failures += _walk(demo_site, client, "/auth/notifications", seen)
        last = {ep: v for ep, v in paged.items() if ep in seen}
        failures += [f"{username} {seen[ep]}: page {p} of {n}" for ep, (p, n) in last.items() if p != max(n, 1)]
        for endpoint in set(last):
            for bad in ("-1", "x"):  # (zero and the rest: test_page_number_is_always_a_usable_page)
                paged.pop(endpoint)
                r = client.get(_with_page(seen[endpoint], bad))
                if r.status_code != 200 or paged.get(endpoint, (0, 0))[0] != 1:
                    failures.append(f"{username} {_with_page(seen[endpoint], bad)}: {r.status_code}")
                r.close()
    assert failures == []
    assert PAGINATED <= set(paged), sorted(PAGINATED - set(paged))
