"""The number of SQL queries of a page does not depend on the data size: every page of every role
is counted on the demo, and again after a national load (1/10) that multiplies the rows behind
them (audit records, notifications, expenditures, bases, organisations, reviewers). The pages of a
whole call at 20 and 200 applications are compared in test_review.py (the progress board)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event
from werkzeug.exceptions import HTTPException

from evalsys.extensions import db
from tests.conftest import login, make_test_config

DEMO_PASSWORD = "Demo@2015-evalsys"
ACCOUNTS = {"admin": "/admin/", "secadmin": "/security/", "auditor": "/audit/", "reviewer01": "/review/",
            "authority-320000": "/authority/", "applicant01": "/applicant/", "baseop01": "/applicant/",
            None: "/public/"}
SKIP = re.compile(r"\.(pdf|xlsx|csv|png|json|zip)$|/attachments/|/evidence/|/reports/\d|/voucher|/images/"
                  r"|/files/|/download|/logout|/reproduce")
HREF = re.compile(r'href="(/[^"#]*)"')
SCALE = 0.1  # 330 applications in one call (the demo's has 45), 6,000 more expenditures, 2,000 notifications
# The pages of the demo's enterprise call are reached first (one URL per endpoint).
FIRST = {"admin": ["/admin/calls/enterprise-2015-2016", "/admin/review/calls/enterprise-2015-2016",
                   "/admin/review/calls/enterprise-2015-2016/progress", "/admin/calls/enterprise-2015-2016/ranking"]}


@pytest.fixture(scope="module")
def grown(template_db, tmp_path_factory):
    """The demo, its pages found and counted; then the national load and the same pages counted."""
    from evalsys import create_app
    from evalsys.demo import load_demo
    from evalsys.demo.national import load_national

    url = template_db.clone()
    app = create_app(make_test_config(url, str(tmp_path_factory.mktemp("query-counts") / "instance")))
    with app.app_context():
        load_demo()
        db.session.commit()
        engine = db.engine
    pages = {user: _discover(app, user, home) for user, home in ACCOUNTS.items()}
    before = _count(app, engine, pages)
    with app.app_context():
        load_national(SCALE)
        db.session.commit()
    after = _count(app, engine, pages)
    yield before, after
    with app.app_context():
        db.engine.dispose()
    template_db.drop(url)


def _client(app, username):
    client = app.test_client()
    if username:
        assert login(client, username, DEMO_PASSWORD).status_code == 302
    return client


def _discover(app, username, home) -> dict[str, str]:
    client = _client(app, username)
    adapter = app.url_map.bind("localhost")
    seen: dict[str, str] = {}
    queue = [*FIRST.get(username, []), home, "/auth/notifications"] if username else [home]
    while queue:
        url = queue.pop(0).replace("&amp;", "&")
        path = urlsplit(url).path
        if SKIP.search(path):
            continue
        try:
            endpoint, _ = adapter.match(path, method="GET")
        except HTTPException:
            continue
        if endpoint in seen or endpoint.endswith("static"):
            continue
        r = client.get(url)
        if r.status_code == 302 and r.location.startswith("/"):
            queue.append(r.location)
        if r.status_code == 200:
            seen[endpoint] = url
            if r.mimetype == "text/html":
                queue.extend(HREF.findall(r.get_data(as_text=True)))
        r.close()
    return seen


def _count(app, engine, pages) -> dict[tuple, int]:
    counts = {}
    for username, found in pages.items():
        client = _client(app, username)
        for endpoint, url in found.items():
            statements = []

            def count(conn, cursor, statement, parameters, context, executemany):
                statements.append(statement)

            client.get(url).close()  # warm: first-request work (a session touch) is not the page's
            event.listen(engine, "before_cursor_execute", count)
            try:
                r = client.get(url)
                status = r.status_code
                r.close()
            finally:
                event.remove(engine, "before_cursor_execute", count)
            assert status == 200, url
            counts[(username, endpoint, url)] = len(statements)
    return counts


def test_list_pages_query_the_same_number_of_times_at_both_sizes(grown):
    before, after = grown
    assert len(before) >= 60  # the walk reached the pages of every role
    grew = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert grew == {}

