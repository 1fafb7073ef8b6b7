"""The auditor browses, filters and exports the audit trail (formula-safe), and sees nothing else."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime, timezone

import pytest
import time_machine
from openpyxl import load_workbook

from evalsys.extensions import db
from evalsys.models import Role
from evalsys.services import audit
from evalsys.services.audit_query import EXPORT_HEADERS
from tests.conftest import csrf_token, login
from tests.factories import make_user

FORMULA_USER = '=HYPERLINK("http://evil.example","x")'
# Event and object cells show the name with the recorded key beside it in <code>.
CELL = r"((?:[^<]|<code[^>]*>[^<]*</code>)*)"
ROW_RE = re.compile(r"<tr>\s*<td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td><td>[^<]*</td>\s*<td>[^<]*</td>"
                    r"<td>" + CELL + r"</td><td>" + CELL + r"</td>")
KEY_RE = re.compile(r"<code[^>]*>([^<]*)</code>")


def _recorded(cell: str) -> str:
    """The recorded key of a cell (beside its name), then what follows it (an object id)."""
    m = KEY_RE.search(cell)
    return cell.strip() if m is None else (m.group(1) + " " + cell[m.end():]).strip()


@pytest.fixture
def trail(app):
    """A small trail at known times; returns the auditor's client and the ids involved."""
    with app.app_context():
        aud = make_user(Role.AUDITOR, username="aud")
        make_user(Role.SECADMIN, username="sec")
    anon, sec = app.test_client(), app.test_client()
    with time_machine.travel(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc), tick=False):  # 09:00 北京
        login(anon, FORMULA_USER, "Wrong-password-1")
    with time_machine.travel(datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc), tick=False):  # 11:00 北京
        login(sec, "sec")
        r = sec.post("/security/users/new", data={
            "csrf_token": csrf_token(sec, "/security/"), "username": "newrev", "display_name": "专家",
            "role": "reviewer", "authority_code": "", "email": "", "password": "Nw8$tY3@kP5zQe"})
        new_id = int(r.headers["Location"].rsplit("/", 1)[1])
    with time_machine.travel(datetime(2026, 3, 2, 5, 0, tzinfo=timezone.utc), tick=False):  # 13:00 北京
        with app.app_context():
            audit.record("+SUM(1,2)", object_type="test", object_id="@evil", detail={"k": "=1+1"})
            db.session.commit()
            audit.chain_pending()
    client = app.test_client()
    login(client, "aud")  # now (after the frozen times): the session must be fresh
    return client, aud, new_id


def _rows(client, query: str = "") -> list[tuple[str, str, str, str, str]]:
    r = client.get(f"/audit/{query}")
    assert r.status_code == 200
    return [(i, t, u, _recorded(e), _recorded(o)) for i, t, u, e, o in ROW_RE.findall(r.get_data(as_text=True))]


def test_browse_newest_first_in_beijing_time(trail):
    client, _, _ = trail
    rows = _rows(client)
    events = [r[3] for r in rows]
    assert events == ["login_success", "+SUM(1,2)", "user_created", "login_success", "login_failure"]
    assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True)
    assert rows[-1][1] == "2026-03-02 09:00:00" and rows[-1][2] == '=HYPERLINK(&#34;http://evil.example&#34;,&#34;x&#34;)'


@pytest.mark.parametrize("query, events", [
    ("?username=sec", ["user_created", "login_success"]),
    ("?event=login", ["login_success", "login_success", "login_failure"]),
    ("?event=user_created", ["user_created"]),
    ("?outcome=failure", ["login_failure"]),
    ("?start=2026-03-02T10:00&end=2026-03-02T14:00", ["+SUM(1,2)", "user_created", "login_success"]),
    ("?start=2026-03-02T13:00&end=2026-03-02T14:00", ["+SUM(1,2)"]),
    ("?start=2026-03-02T13:00", ["login_success", "+SUM(1,2)"]),
    ("?end=2026-03-02T09:00", []),
])
def test_filters(trail, query, events):
    client, _, _ = trail
    assert [r[3] for r in _rows(client, query)] == events


def test_filter_by_object(trail):
    client, _, new_id = trail
    rows = _rows(client, f"?object_type=users&object_id={new_id}")
    assert [(r[3], r[4].split()) for r in rows] == [("user_created", ["users", str(new_id)])]
    assert _rows(client, "?object_type=users&object_id=999999") == []


def test_invalid_filter_input_is_a_form_error_not_a_500(trail):
    client, _, _ = trail
    r = client.get("/audit/?start=yesterday&username=%00")
    assert r.status_code == 200 and "控制字符" in r.get_data(as_text=True)


def test_pagination(app, trail):
    client, _, _ = trail
    with app.app_context():
        for i in range(30):
            audit.record("bulk", object_type="test", object_id=str(i))
        db.session.commit()
    html = client.get("/audit/?event=bulk").get_data(as_text=True)
    assert len(ROW_RE.findall(html)) == app.config["PAGE_SIZE"]
    assert "page=2" in html
    assert len(ROW_RE.findall(client.get("/audit/?event=bulk&page=2").get_data(as_text=True))) == 5


def test_csv_export_is_formula_safe_and_filtered(trail):
    client, _, _ = trail
    r = client.get("/audit/export.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    text = r.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert tuple(rows[0]) == EXPORT_HEADERS
    body = rows[1:]
    assert len(body) == 5
    by_event = {row[5]: row for row in body}
    assert by_event["login_failure"][2] == "'" + FORMULA_USER
    assert by_event["'+SUM(1,2)"][7] == "'@evil"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in body for cell in row)
    assert by_event["login_failure"][1].startswith("2026-03-02T01:00:00")  # ISO 8601 UTC

    filtered = list(csv.reader(io.StringIO(client.get("/audit/export.csv?username=sec").data.decode()[1:])))
    assert [row[5] for row in filtered[1:]] == ["user_created", "login_success"]


def test_xlsx_export_keeps_text_as_text(trail):
    client, _, _ = trail
    r = client.get("/audit/export.xlsx")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(z.read(n).decode() for n in sheets)
    assert "<f>" not in xml and "<f " not in xml
    ws = load_workbook(io.BytesIO(r.data)).active
    values = {}
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                values[cell.value] = cell
    assert tuple(c.value for c in ws[1]) == EXPORT_HEADERS
    for text in (FORMULA_USER, "+SUM(1,2)", "@evil"):
        assert values[text].data_type == "s", text
    assert ws.max_row == 6


@pytest.mark.parametrize("path", ["/admin/", "/security/", "/security/users/new", "/applicant/", "/authority/",
                                  "/authority/organisations", "/review/"])
def test_the_auditor_sees_nothing_else(trail, path):
    client, _, _ = trail
    assert client.get(path).status_code == 403


def test_the_auditor_cannot_write(trail):
    client, _, _ = trail
    token = csrf_token(client, "/audit/")
    assert client.post("/audit/", data={"csrf_token": token}).status_code == 405
    assert client.post("/security/users/1/disable", data={"csrf_token": token}).status_code == 403


def test_only_the_auditor_reads_the_trail(app, client):
    with app.app_context():
        for role in Role:
            if role != Role.AUDITOR:
                make_user(role, username=f"x-{role.value}")
    for role in Role:
        if role == Role.AUDITOR:
            continue
        c = app.test_client()
        login(c, f"x-{role.value}")
        assert c.get("/audit/").status_code == 403
        assert c.get("/audit/export.csv").status_code == 403
        assert c.get("/audit/export.xlsx").status_code == 403
