"""Password reset: emailed one-time link (30 minutes, single use, hash only), no enumeration, sessions end,
temporary passwords by the security admin (staff) and by an authority (its own jurisdiction's applicants)."""
from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import AccountState, OutboundEmail, PasswordResetToken, Role, User, UserSession
from evalsys.services.password_reset import REQUEST_ANSWER, wait_for_deliveries
from tests.conftest import TEST_PASSWORD, audit_events, csrf_token, is_logged_in, login, post
from tests.factories import make_org, make_user
from tests.mailsink import MailSink

BASE = "https://evalsys.test"
LINK_RE = re.compile(re.escape(BASE) + r"(/auth/reset/([A-Za-z0-9_-]+))")
NEW_PASSWORD = "Neu#Passw0rt-2026x"
CSRF_VALUE_RE = re.compile(r'(name="csrf_token" value=")[^"]+"')
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def sink():
    s = MailSink()
    s.start()
    yield s
    s.stop()


@pytest.fixture
def app_config(sink):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port, "MAIL_FROM": "evalsys@test",
            "PUBLIC_BASE_URL": BASE}


@pytest.fixture
def alice(app):
    with app.app_context():
        return make_user(Role.APPLICANT, username="alice")


def _request(client, username: str, email: str):
    r = post(client, "/auth/reset", {"username": username, "email": email}, token_from="/auth/reset")
    wait_for_deliveries()
    return r


def _links(sink) -> list[tuple[str, str]]:
    """(path, token) of every reset link mailed so far."""
    found = []
    for msg in sink.messages:
        found += LINK_RE.findall(msg.get_payload(decode=True).decode("utf-8"))
    return found


def _set_password(client, path: str, password: str = NEW_PASSWORD, password2: str | None = None):
    r = client.get(path)
    if r.status_code != 302:
        return r
    assert r.headers["Location"] == "/auth/reset/new"
    return post(client, "/auth/reset/new", {"password": password, "password2": password2 or password},
                token_from="/auth/reset/new")


def _user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


# --- self-service link ---------------------------------------------------------------------------------

def test_link_resets_password_once_and_ends_existing_sessions(app, client, sink, alice):
    assert login(client, "alice").status_code == 302  # a cookie from before the reset
    assert is_logged_in(client)
    other = app.test_client()
    r = _request(other, "alice", alice.email.upper())
    assert r.status_code == 200 and REQUEST_ANSWER in r.get_data(as_text=True)
    assert [m["To"] for m in sink.messages] == [alice.email]
    [(path, token)] = _links(sink)

    with app.app_context():
        row = db.session.scalar(select(PasswordResetToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        mail = db.session.scalar(select(OutboundEmail))
        assert mail.status == "sent" and token not in mail.body and token not in row.token_hash

    r = _set_password(other, path)
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login"
    assert not is_logged_in(client)  # the old cookie no longer works
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id)).where(
            UserSession.user_id == alice.id, UserSession.revoked_at.is_(None))) == 0
    assert login(app.test_client(), "alice").status_code == 200  # old password refused
    assert login(app.test_client(), "alice", NEW_PASSWORD).status_code == 302
    [event] = audit_events(app, event="password_reset")
    assert event.object_id == str(alice.id) and json.loads(event.detail)["via"] == "link"

    # Single use: the same link, opened again, is refused.
    again = app.test_client()
    r = again.get(path)
    assert r.status_code == 404 and "已使用或已过期" in r.get_data(as_text=True)


def test_link_is_valid_for_thirty_minutes(app, sink, alice):
    with time_machine.travel(T0, tick=False) as t:
        _request(app.test_client(), "alice", alice.email)
        [(path, _token)] = _links(sink)
        t.move_to(T0 + timedelta(minutes=29, seconds=59))
        assert app.test_client().get(path).status_code == 302
        t.move_to(T0 + timedelta(minutes=30))
        assert app.test_client().get(path).status_code == 404

        # Opened in time but submitted after the expiry: refused, the password stays.
        t.move_to(T0 + timedelta(minutes=29))
        late = app.test_client()
        assert late.get(path).status_code == 302
        token = csrf_token(late, "/auth/reset/new")
        t.move_to(T0 + timedelta(minutes=30, seconds=1))
        r = late.post("/auth/reset/new", data={"csrf_token": token, "password": NEW_PASSWORD,
                                               "password2": NEW_PASSWORD})
        assert r.status_code == 404
    assert login(app.test_client(), "alice").status_code == 302  # old password still valid
    assert audit_events(app, event="password_reset") == []


def test_request_answers_the_same_whether_or_not_the_account_exists(app, sink, alice):
    with app.app_context():
        make_user(Role.ADMIN, username="bob")

    def answer(username, email):
        # Each client has its own CSRF token (in the language switch); everything else must be identical.
        r = _request(app.test_client(), username, email)
        body = CSRF_VALUE_RE.sub(r'\1x"', r.get_data(as_text=True))
        return r.status_code, body, sorted(k for k in r.headers.keys() if k != "X-Request-ID")

    existing = answer("alice", alice.email)
    wrong_email = answer("bob", "nobody@example.com")
    unknown = answer("nobody", "nobody@example.com")
    assert existing == wrong_email == unknown
    assert existing[0] == 200 and REQUEST_ANSWER in existing[1]
    assert [m["To"] for m in sink.messages] == [alice.email]  # only the matching account got mail
    reasons = [json.loads(e.detail)["reason"] for e in audit_events(app, event="password_reset_requested")]
    assert len(reasons) == 3 and sorted(reasons) == ["link_sent", "no_match", "no_match"]


def test_answer_does_not_wait_for_the_mail_server(app, sink, alice, monkeypatch):
    """The mail goes out in the background, so a slow SMTP server cannot reveal that the account exists."""
    from evalsys.services import password_reset

    started, release = threading.Event(), threading.Event()
    real_send = password_reset._send

    def slow_send(row):
        started.set()
        release.wait(5)
        real_send(row)

    monkeypatch.setattr(password_reset, "_send", slow_send)
    client = app.test_client()
    r = post(client, "/auth/reset", {"username": "alice", "email": alice.email}, token_from="/auth/reset")
    assert r.status_code == 200 and REQUEST_ANSWER in r.get_data(as_text=True)
    assert started.wait(5)
    assert sink.messages == []  # answered while the mail server was still busy
    release.set()
    wait_for_deliveries()
    assert [m["To"] for m in sink.messages] == [alice.email]


def test_second_request_within_five_minutes_sends_nothing_new(app, sink, alice):
    with time_machine.travel(T0, tick=False) as t:
        _request(app.test_client(), "alice", alice.email)
        t.move_to(T0 + timedelta(minutes=4))
        _request(app.test_client(), "alice", alice.email)
        assert len(sink.messages) == 1
        t.move_to(T0 + timedelta(minutes=6))
        _request(app.test_client(), "alice", alice.email)
        assert len(sink.messages) == 2
        first, second = _links(sink)
        assert app.test_client().get(first[0]).status_code == 404  # superseded by the newer link
        assert app.test_client().get(second[0]).status_code == 302


def test_new_password_must_follow_the_policy(app, client, sink, alice):
    _request(client, "alice", alice.email)
    [(path, _token)] = _links(sink)
    r = _set_password(client, path, "password12345")
    assert r.status_code == 200 and "密码过于常见" in r.get_data(as_text=True)
    r = _set_password(client, path, TEST_PASSWORD)
    assert r.status_code == 200 and "新密码不能与原密码相同" in r.get_data(as_text=True)
    r = _set_password(client, path, NEW_PASSWORD, "Different#Passw0rd1")
    assert r.status_code == 200 and "两次输入的密码不一致" in r.get_data(as_text=True)
    assert _set_password(client, path).status_code == 302  # the link survived the refusals


def test_garbage_links_are_refused_without_error(client):
    for path in ("/auth/reset/x", "/auth/reset/" + "a" * 300, "/auth/reset/new"):
        r = client.get(path)
        assert r.status_code == 404 and "已使用或已过期" in r.get_data(as_text=True)


def test_without_mail_settings_the_page_says_whom_to_ask(make_app, db_url, tmp_path):
    from tests.conftest import make_test_config

    app = make_app(make_test_config(db_url, str(tmp_path / "i")))
    html = app.test_client().get("/auth/reset").get_data(as_text=True)
    assert "未启用邮件找回密码" in html and 'name="email"' not in html


class TestThrottle:
    @pytest.fixture
    def app_config(self, sink):
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port, "PUBLIC_BASE_URL": BASE,
                "RATELIMIT_ENABLED": True, "PASSWORD_RESET_RATE_LIMIT": "2 per minute"}

    def test_requests_are_rate_limited_per_address(self, app, client):
        codes = [_request(client, "nobody", "n@example.com").status_code for _ in range(3)]
        assert codes == [200, 200, 429]


# --- security admin ------------------------------------------------------------------------------------

@pytest.fixture
def staff(app):
    with app.app_context():
        return {"sec": make_user(Role.SECADMIN, username="sec"),
                "admin": make_user(Role.ADMIN, username="adm"),
                "applicant": make_user(Role.APPLICANT, username="appl")}


def _temporary_password(response) -> str:
    m = re.search(r'font-monospace user-select-all">([^<]+)</p>', response.get_data(as_text=True))
    assert m, response.get_data(as_text=True)
    return m.group(1)


def test_secadmin_sets_temporary_password_that_must_be_changed(app, client, staff):
    victim = app.test_client()
    assert login(victim, "adm").status_code == 302
    login(client, "sec")
    r = post(client, f"/security/users/{staff['admin'].id}/reset/temporary",
             token_from=f"/security/users/{staff['admin'].id}/reset")
    assert r.status_code == 200
    temporary = _temporary_password(r)
    assert not is_logged_in(victim)
    [event] = audit_events(app, event="password_reset")
    assert event.user_id == staff["sec"].id and json.loads(event.detail)["via"] == "temporary"

    user = app.test_client()
    assert login(user, "adm").status_code == 200  # the old password is gone
    assert login(user, "adm", temporary).status_code == 302
    r = user.get("/admin/")
    assert r.status_code == 302 and r.headers["Location"] == "/auth/password"
    r = post(user, "/auth/password", {"old_password": temporary, "password": NEW_PASSWORD,
                                      "password2": NEW_PASSWORD}, token_from="/auth/password")
    assert r.status_code == 302
    assert not _user(app, "adm").must_change_password
    login(user, "adm", NEW_PASSWORD)
    assert user.get("/admin/").status_code == 200


def test_secadmin_sends_link_to_staff_account(app, client, sink, staff):
    login(client, "sec")
    r = post(client, f"/security/users/{staff['admin'].id}/reset/link",
             token_from=f"/security/users/{staff['admin'].id}/reset")
    wait_for_deliveries()
    assert r.status_code == 302
    assert [m["To"] for m in sink.messages] == [staff["admin"].email]
    [(path, _token)] = _links(sink)
    assert _set_password(app.test_client(), path).status_code == 302
    assert login(app.test_client(), "adm", NEW_PASSWORD).status_code == 302
    assert [e.user_id for e in audit_events(app, event="password_reset_link_sent")] == [staff["sec"].id]


def test_link_is_not_sent_to_a_disabled_account(app, client, sink, staff):
    with app.app_context():
        db.session.get(User, staff["admin"].id).state = AccountState.DISABLED
        db.session.commit()
    login(client, "sec")
    page = f"/security/users/{staff['admin'].id}/reset"
    r = post(client, page + "/link", token_from=page, follow_redirects=True)
    wait_for_deliveries()
    assert "已停用" in r.get_data(as_text=True) and sink.messages == []
    with app.app_context():
        assert db.session.scalar(select(func.count(PasswordResetToken.id))) == 0


def test_secadmin_cannot_reset_applicants_or_itself(app, client, staff):
    login(client, "sec")
    token = csrf_token(client, f"/security/users/{staff['admin'].id}/reset")
    for target in (staff["applicant"], staff["sec"]):
        assert client.get(f"/security/users/{target.id}/reset").status_code == 403
        for method in ("temporary", "link"):
            r = client.post(f"/security/users/{target.id}/reset/{method}", data={"csrf_token": token})
            assert r.status_code == 403
    assert login(app.test_client(), "appl").status_code == 302  # password unchanged
    assert audit_events(app, event="password_reset") == []


# --- authority ------------------------------------------------------------------------------------------

@pytest.fixture
def jurisdiction(app):
    with app.app_context():
        own_org = make_org(authority_code="320000", name="本辖区单位")
        other_org = make_org(authority_code="110000", region="110105", name="外辖区单位")
        return {
            "authority": make_user(Role.AUTHORITY, username="js", authority_code="320000"),
            "own": make_user(Role.APPLICANT, username="own", organisation=own_org),
            "other": make_user(Role.APPLICANT, username="other", organisation=other_org),
            "other_authority": make_user(Role.AUTHORITY, username="bj", authority_code="110000"),
            "staff": make_user(Role.ADMIN, username="adm2"),
        }


def test_authority_resets_applicant_of_its_jurisdiction(app, client, jurisdiction):
    victim = app.test_client()
    login(victim, "own")
    login(client, "js")
    html = client.get("/authority/accounts").get_data(as_text=True)
    assert "own" in html and "本辖区单位" in html and "外辖区单位" not in html
    uid = jurisdiction["own"].id
    page = f"/authority/accounts/{uid}/reset"
    r = post(client, page + "/temporary", token_from=page)
    temporary = _temporary_password(r)
    assert not is_logged_in(victim)
    assert login(app.test_client(), "own", temporary).status_code == 302
    assert [e.user_id for e in audit_events(app, event="password_reset")] == [jurisdiction["authority"].id]


def test_authority_cannot_reset_other_jurisdiction_or_staff(app, client, jurisdiction):
    login(client, "js")
    token = csrf_token(client, "/authority/accounts")
    for key in ("other", "other_authority", "staff", "authority"):
        uid = jurisdiction[key].id
        assert client.get(f"/authority/accounts/{uid}/reset").status_code == 403, key
        for method in ("temporary", "link"):
            r = client.post(f"/authority/accounts/{uid}/reset/{method}", data={"csrf_token": token})
            assert r.status_code == 403, (key, method)
    assert client.get("/authority/accounts/999999/reset").status_code == 404
    for name in ("other", "bj", "adm2"):
        assert login(app.test_client(), name).status_code == 302  # passwords unchanged
    assert audit_events(app, event="password_reset") == []


def test_reset_pages_are_closed_to_other_roles(app, client, jurisdiction):
    uid = jurisdiction["own"].id
    assert client.get(f"/authority/accounts/{uid}/reset").status_code == 302  # anonymous → login
    login(client, "own")
    assert client.get(f"/authority/accounts/{uid}/reset").status_code == 403
    assert client.get(f"/security/users/{jurisdiction['staff'].id}/reset").status_code == 403
