"""Annual work summaries: collection, uploads, late marking at the Beijing-time boundary, reminders."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import time_machine
from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import AuditRecord, Notification, Role
from evalsys.models.summary import SummaryCollection, SummarySubmission
from evalsys.services import summaries as svc
from tests.conftest import csrf_token, login
from tests.factories import make_user, pdf_bytes

# 2015-11-10 is the due date: 24:00 Beijing that day is 2015-11-10 16:00 UTC.
BOUNDARY = datetime(2015, 11, 10, 16, 0, tzinfo=timezone.utc)


def _setup(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, username="sum-admin")
        js = make_user(Role.AUTHORITY, username="sum-js", authority_code="320000")
        zj = make_user(Role.AUTHORITY, username="sum-zj", authority_code="330000")
        c = svc.open_collection(2015, date(2015, 11, 10), title=None, actor=db.session.merge(admin))
        db.session.commit()
        return c.id, js, zj


def _upload(client, collection_id, name="工作总结.pdf", data=None):
    token = csrf_token(client, "/authority/summaries")
    return client.post(f"/authority/summaries/{collection_id}",
                       data={"csrf_token": token, "file": (io.BytesIO(data or pdf_bytes()), name)},
                       content_type="multipart/form-data")


def test_deadline_is_midnight_beijing(app):
    with app.app_context():
        c = SummaryCollection(year=2015, title="t", due_date=date(2015, 11, 10))
        assert svc.deadline_of(c) == BOUNDARY
        assert not svc.is_late(c, datetime(2015, 11, 10, 15, 59, 59, tzinfo=timezone.utc))
        assert svc.is_late(c, BOUNDARY)


def test_upload_on_time_and_late_at_the_boundary(app):
    cid, js, zj = _setup(app)
    c1, c2 = app.test_client(), app.test_client()
    # Log in inside the travelled time: a session cookie signed "in the future" is rejected.
    with time_machine.travel(datetime(2015, 11, 10, 15, 59, 59, tzinfo=timezone.utc), tick=False):
        login(c1, "sum-js")
        assert _upload(c1, cid).status_code == 302
    with time_machine.travel(BOUNDARY, tick=False):
        login(c2, "sum-zj")
        assert _upload(c2, cid).status_code == 302
    with app.app_context():
        rows = {r.authority_code: r for r in db.session.scalars(select(SummarySubmission))}
        assert rows["320000"].late is False
        assert rows["330000"].late is True
        assert db.session.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.event == "summary_submitted")) == 2
        table = {s.authority.code: s.state for s in svc.status_table(db.session.get(SummaryCollection, cid))}
        assert table["320000"] == "submitted" and table["330000"] == "late" and table["110000"] == "missing"
        assert sum(1 for v in table.values() if v == "missing") == 35


def test_non_pdf_summary_refused(app):
    cid, js, _ = _setup(app)
    client = app.test_client()
    login(client, "sum-js")
    r = _upload(client, cid, name="总结.pdf", data=b"MZ\x90\x00 not a pdf")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(SummarySubmission.id))) == 0


def test_ministry_sees_status_and_reminds_missing_only(app):
    cid, js, zj = _setup(app)
    c1 = app.test_client()
    login(c1, "sum-js")
    _upload(c1, cid)
    admin = app.test_client()
    login(admin, "sum-admin")
    page = admin.get(f"/admin/summaries/{cid}").get_data(as_text=True)
    assert "江苏省商务厅" in page and "未报送" in page
    with app.app_context():
        before = dict(db.session.execute(select(Notification.user_id, func.count()).group_by(Notification.user_id)).all())
    token = csrf_token(admin, f"/admin/summaries/{cid}")
    assert admin.post(f"/admin/summaries/{cid}/remind", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        after = dict(db.session.execute(select(Notification.user_id, func.count()).group_by(Notification.user_id)).all())
    assert after[zj.id] == before[zj.id] + 1  # 浙江 has not submitted: reminded
    assert after[js.id] == before[js.id]  # 江苏 submitted: not reminded


def test_authority_cannot_download_another_authoritys_summary(app):
    cid, js, zj = _setup(app)
    c1, c2 = app.test_client(), app.test_client()
    login(c1, "sum-js")
    _upload(c1, cid)
    with app.app_context():
        sub_id = db.session.scalar(select(SummarySubmission.id))
    login(c2, "sum-zj")
    assert c2.get(f"/authority/summaries/files/{sub_id}").status_code == 403
    r = c1.get(f"/authority/summaries/files/{sub_id}")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]


def test_second_collection_for_a_year_refused(app):
    cid, *_ = _setup(app)
    client = app.test_client()
    login(client, "sum-admin")
    token = csrf_token(client, "/admin/summaries")
    r = client.post("/admin/summaries", data={"csrf_token": token, "year": "2015", "due_date": "2015-12-01"})
    assert r.status_code == 200 and "已存在" in r.get_data(as_text=True)


def test_demo_collection_has_on_time_late_and_missing(app):
    from evalsys.demo.summaries import load_summaries_demo
    from evalsys.models import Authority

    with app.app_context():
        for code in db.session.scalars(select(Authority.code)).all():
            make_user(Role.AUTHORITY, username=f"authority-{code}", authority_code=code)
        created = load_summaries_demo()
        db.session.commit()
        assert load_summaries_demo() == 0  # idempotent
        c = db.session.scalar(select(SummaryCollection).where(SummaryCollection.year == 2015))
        assert c.due_date == date(2015, 11, 10)
        states = [s.state for s in svc.status_table(c)]
        assert created == states.count("submitted") + states.count("late")
        assert {"submitted", "late", "missing"} <= set(states)
        for row in db.session.scalars(select(SummarySubmission)):
            assert row.late == svc.is_late(c, row.submitted_at)
