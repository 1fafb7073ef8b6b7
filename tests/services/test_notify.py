"""Every in-app notification is also emailed when SMTP is configured, only after the transaction commits."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import Notification, OutboundEmail, Role
from evalsys.services.notify import deliver_pending, notify
from tests.factories import make_user
from tests.mailsink import MailSink, free_port


@pytest.fixture
def sink():
    s = MailSink()
    s.start()
    yield s
    s.stop()


@pytest.fixture
def app_config(sink):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port, "MAIL_FROM": "evalsys@test"}


def test_committed_notification_is_emailed(app, sink):
    with app.app_context():
        user = make_user(Role.APPLICANT, username="mail-user")
        notify(db.session.merge(user), "您的申报状态变更为“已推荐”", link="/applicant/")
        db.session.commit()
        assert deliver_pending() == 1
        row = db.session.scalar(select(OutboundEmail))
        assert row.status == "sent" and row.sent_at is not None
    assert len(sink.messages) == 1
    msg = sink.messages[0]
    assert msg["To"] == user.email
    assert "已推荐" in msg.get_payload(decode=True).decode("utf-8")


def test_rolled_back_notification_sends_nothing(app, sink):
    with app.app_context():
        user = make_user(Role.APPLICANT, username="mail-user2")
        notify(db.session.merge(user), "不会发送")
        db.session.rollback()
        assert deliver_pending() == 0
        assert db.session.scalar(select(func.count(OutboundEmail.id))) == 0
        assert db.session.scalar(select(func.count(Notification.id))) == 0
    assert sink.messages == []


def test_request_commit_triggers_delivery(app, client, sink):
    """A state change through the web queues the email and the teardown sends it after the commit."""
    from tests.conftest import csrf_token, login

    with app.app_context():
        make_user(Role.ADMIN, username="mail-admin")
        authority = make_user(Role.AUTHORITY, username="mail-authority", authority_code="320000")
    login(client, "mail-admin")
    token = csrf_token(client, "/admin/summaries")
    assert sink.messages == []
    r = client.post("/admin/summaries", data={"csrf_token": token, "year": "2015", "due_date": "2015-11-10"})
    assert r.status_code == 302
    assert [m["To"] for m in sink.messages] == [authority.email]
    with app.app_context():
        assert db.session.scalar(select(OutboundEmail.status)) == "sent"


def test_without_smtp_nothing_is_queued(app_config, tmp_path, db_url, make_app):
    from tests.conftest import make_test_config

    app = make_app(make_test_config(db_url, str(tmp_path / "i")))  # its engine is disposed after the test
    with app.app_context():
        user = make_user(Role.APPLICANT, username="no-mail")
        notify(db.session.merge(user), "仅站内通知")
        db.session.commit()
        assert deliver_pending() == 0
        assert db.session.scalar(select(func.count(OutboundEmail.id))) == 0
        assert db.session.scalar(select(func.count(Notification.id))) == 1


def test_smtp_down_keeps_the_email_queued(app, sink):
    with app.app_context():
        user = make_user(Role.APPLICANT, username="mail-user3")
        notify(db.session.merge(user), "稍后重试")
        db.session.commit()
        app.config["MAIL_PORT"] = free_port()  # nothing listens there: the server is "down"
        assert deliver_pending() == 0
        row = db.session.scalar(select(OutboundEmail))
        assert row.status == "queued" and row.attempts == 1 and row.last_error
        app.config["MAIL_PORT"] = sink.port  # back up: the next run sends it
        assert deliver_pending() == 1
    assert len(sink.messages) == 1
