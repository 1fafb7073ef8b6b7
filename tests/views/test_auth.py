"""Login, lockout, sessions (rotation, idle and absolute timeouts, server-side revocation), redirects, throttle."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from evalsys.extensions import db
from evalsys.models import AccountState, FormStash, LoginFailure, Role, User, UserSession
from evalsys.services.auth import LOGIN_FAILED_MESSAGE
from tests.conftest import TEST_PASSWORD, audit_events, csrf_token, is_logged_in, login, post, session_cookie
from tests.factories import make_user

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
ALERT_RE = re.compile(r'<div class="alert alert-danger"[^>]*>(.*?)</div>', re.S)


def _alert(response) -> str:
    m = ALERT_RE.search(response.get_data(as_text=True))
    return m.group(1).strip() if m else ""


def _sessions(app, user_id: int) -> list[UserSession]:
    with app.app_context():
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)
                                  .order_by(UserSession.id)).all()
        db.session.expunge_all()
        return rows


def _user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


@pytest.fixture
def alice(app):
    with app.app_context():
        return make_user(Role.APPLICANT, username="alice")


# --- login ---------------------------------------------------------------------------------------

def test_login_starts_a_new_server_session_and_rotates_the_cookie(app, client, alice):
    csrf_token(client)
    before = session_cookie(app, client)
    assert "_user_id" not in before and "csrf_token" in before
    r = login(client, "alice")
    assert r.status_code == 302 and r.headers["Location"] == "/applicant/"
    after = session_cookie(app, client)
    assert after["_user_id"] and after["_user_id"] != str(alice.id)  # the cookie carries a token, not the id
    assert "csrf_token" not in after or after["csrf_token"] != before["csrf_token"]
    rows = _sessions(app, alice.id)
    assert len(rows) == 1 and rows[0].revoked_at is None
    assert is_logged_in(client)

    # A second login (another browser) gets another session; both stay valid.
    other = app.test_client()
    login(other, "alice")
    assert session_cookie(app, other)["_user_id"] != after["_user_id"]
    assert len(_sessions(app, alice.id)) == 2
    assert is_logged_in(client) and is_logged_in(other)
    assert [e.event for e in audit_events(app, event="login_success")] == ["login_success"] * 2


def test_wrong_password_unknown_user_locked_disabled_and_pending_all_answer_the_same(app, client):
    with app.app_context():
        make_user(Role.REVIEWER, username="rev")
        make_user(Role.REVIEWER, username="gone", state=AccountState.DISABLED)
        make_user(Role.REVIEWER, username="waiting", state=AccountState.PENDING)
        locked = make_user(Role.REVIEWER, username="locked", commit=False)
        locked.locked_until = datetime.now(timezone.utc) + timedelta(minutes=10)
        db.session.commit()
    answers = [
        login(client, "rev", "Wrong-password-1"),
        login(client, "nobody-here", "Wrong-password-1"),
        login(client, "locked", TEST_PASSWORD),  # even the right password
        login(client, "gone", TEST_PASSWORD),
        login(client, "waiting", TEST_PASSWORD),
    ]
    assert {r.status_code for r in answers} == {200}
    assert {_alert(r) for r in answers} == {LOGIN_FAILED_MESSAGE}
    assert not is_logged_in(client)
    reasons = [json.loads(e.detail or "{}").get("reason") for e in audit_events(app, event="login_failure")]
    assert reasons == ["bad_password", "unknown_user", "disabled", "pending"]
    assert len(audit_events(app, event="login_refused_locked")) == 1


def test_login_form_keeps_nothing_but_the_username(app, client, alice):
    r = login(client, "alice", "Wrong-password-1")
    html = r.get_data(as_text=True)
    assert 'value="alice"' in html and "Wrong-password-1" not in html


# --- lockout -------------------------------------------------------------------------------------

def _fail(client, username: str, times: int, traveller=None, step: timedelta = timedelta(0)) -> None:
    for _ in range(times):
        r = login(client, username, "Wrong-password-1")
        assert _alert(r) == LOGIN_FAILED_MESSAGE
        if traveller is not None:
            traveller.shift(step)


def _locked_until(app, username: str):
    return _user(app, username).locked_until


def test_four_failures_do_not_lock(app, client, alice):
    with time_machine.travel(T0, tick=False) as t:
        _fail(client, "alice", 4, t, timedelta(minutes=1))
        assert _locked_until(app, "alice") is None
        assert login(client, "alice").status_code == 302


def test_fifth_failure_within_fifteen_minutes_locks_for_fifteen_minutes(app, client, alice):
    with time_machine.travel(T0, tick=False) as t:
        _fail(client, "alice", 4, t, timedelta(minutes=3))
        t.move_to(T0 + timedelta(minutes=14, seconds=59))
        _fail(client, "alice", 1)
        assert _locked_until(app, "alice") == T0 + timedelta(minutes=29, seconds=59)
        assert [e.event for e in audit_events(app, event="account_locked")] == ["account_locked"]
        with app.app_context():
            assert db.session.scalar(select(func.count(LoginFailure.id))) == 5  # counted in the database

        # Refused while locked, even with the right password, with the same message.
        t.move_to(T0 + timedelta(minutes=29, seconds=58))
        r = login(client, "alice")
        assert r.status_code == 200 and _alert(r) == LOGIN_FAILED_MESSAGE
        assert not is_logged_in(client)

        # Fifteen minutes after the lock it ends, and the old failures no longer count.
        t.move_to(T0 + timedelta(minutes=29, seconds=59))
        _fail(client, "alice", 1)
        assert _locked_until(app, "alice") == T0 + timedelta(minutes=29, seconds=59)  # not re-locked
        assert login(client, "alice").status_code == 302


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(app, client, alice):
    with time_machine.travel(T0, tick=False) as t:
        _fail(client, "alice", 4, t, timedelta(minutes=3, seconds=46))
        t.move_to(T0 + timedelta(minutes=15, seconds=4))  # the 5th, 15:04 after the 1st
        _fail(client, "alice", 1)
        assert _locked_until(app, "alice") is None
        # A sixth failure a minute later has five in its window.
        t.shift(timedelta(minutes=1))
        _fail(client, "alice", 1)
        assert _locked_until(app, "alice") is not None


def test_lockout_survives_a_new_app_instance(app, client, alice, make_app):
    """Counted in the database: a second worker (a second app) sees the same lock."""
    _fail(client, "alice", 5)
    second = make_app(dict(app.config, INSTANCE_PATH=app.instance_path))
    r = login(second.test_client(), "alice")
    assert _alert(r) == LOGIN_FAILED_MESSAGE


def test_successful_login_clears_earlier_failures(app, client, alice):
    with time_machine.travel(T0, tick=False) as t:
        _fail(client, "alice", 4, t, timedelta(minutes=1))
        assert login(client, "alice").status_code == 302
        post(client, "/auth/logout", token_from="/auth/password")
        _fail(client, "alice", 4, t, timedelta(minutes=1))
        assert _locked_until(app, "alice") is None


# --- logout and revocation -----------------------------------------------------------------------

def _replay(app, cookie_value: str):
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie_value, domain="localhost")
    return thief


def test_logout_is_a_post_and_a_captured_cookie_stops_working(app, client, alice):
    login(client, "alice")
    captured = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert is_logged_in(_replay(app, captured))  # the replay itself works before logout

    assert client.get("/auth/logout").status_code == 405
    assert is_logged_in(client)
    r = post(client, "/auth/logout", token_from="/auth/password")
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login"
    assert not is_logged_in(client)
    assert not is_logged_in(_replay(app, captured))
    assert _sessions(app, alice.id)[0].revoked_at is not None
    assert len(audit_events(app, event="logout")) == 1


def test_password_change_ends_every_session(app, client, alice):
    login(client, "alice")
    other = app.test_client()
    login(other, "alice")
    new = "Nw8$tY3@kP5zQe"
    r = post(client, "/auth/password", {"old_password": TEST_PASSWORD, "password": new, "password2": new},
             token_from="/auth/password")
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login"
    assert not is_logged_in(client) and not is_logged_in(other)
    assert all(s.revoked_at is not None for s in _sessions(app, alice.id))
    assert _alert(login(client, "alice")) == LOGIN_FAILED_MESSAGE
    assert login(client, "alice", new).status_code == 302
    assert len(audit_events(app, event="password_changed")) == 1


def test_password_change_refuses_a_weak_password_and_keeps_the_session(app, client, alice):
    login(client, "alice")
    r = post(client, "/auth/password", {"old_password": TEST_PASSWORD, "password": "Password2015!",
                                        "password2": "Password2015!"}, token_from="/auth/password")
    assert r.status_code == 200 and "过于常见" in r.get_data(as_text=True)
    assert is_logged_in(client)
    assert audit_events(app, event="password_changed") == []


def test_disabling_by_the_security_admin_ends_the_sessions(app, client, alice):
    with app.app_context():
        make_user(Role.SECADMIN, username="sec")
    login(client, "alice")
    captured = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    admin = app.test_client()
    login(admin, "sec")
    token = csrf_token(admin, "/security/")
    assert admin.post(f"/security/users/{alice.id}/disable", data={"csrf_token": token}).status_code == 302
    assert not is_logged_in(client)
    # Enabling again does not revive the old session.
    assert admin.post(f"/security/users/{alice.id}/enable", data={"csrf_token": token}).status_code == 302
    assert not is_logged_in(_replay(app, captured))
    assert login(app.test_client(), "alice").status_code == 302


# --- timeouts ------------------------------------------------------------------------------------

def test_idle_timeout_is_thirty_minutes(app, client, alice):
    with time_machine.travel(T0, tick=False) as t:
        login(client, "alice")
        t.shift(timedelta(minutes=29, seconds=59))
        assert is_logged_in(client)
        t.shift(timedelta(minutes=29, seconds=59))  # activity restarted the idle clock
        assert is_logged_in(client)
        t.shift(timedelta(minutes=30, seconds=1))
        r = client.get("/applicant/")
        assert r.status_code == 302 and r.headers["Location"] == "/auth/login?next=/applicant/"
        t.shift(timedelta(seconds=1))
        assert not is_logged_in(client)  # and it stays expired


def test_absolute_timeout_is_twelve_hours_despite_activity(app, client, alice):
    with time_machine.travel(T0, tick=False) as t:
        login(client, "alice")
        for _ in range(35):  # 35 × 20 min = 11 h 40 min
            t.shift(timedelta(minutes=20))
            assert is_logged_in(client)
        t.move_to(T0 + timedelta(hours=11, minutes=59, seconds=59))
        assert is_logged_in(client)
        t.move_to(T0 + timedelta(hours=12, seconds=1))
        assert not is_logged_in(client)


# --- redirects and throttle ----------------------------------------------------------------------

@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com", "http:/evil.com",
                                    "javascript:alert(1)", "///evil.com"])
def test_next_never_leaves_the_site(app, client, alice, target):
    token = csrf_token(client)
    r = client.post("/auth/login", query_string={"next": target},
                    data={"username": "alice", "password": TEST_PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    assert r.headers["Location"] == "/applicant/"


def test_next_to_a_local_page_is_followed(app, client, alice):
    r = client.get("/auth/password")
    assert r.headers["Location"] == "/auth/login?next=/auth/password"
    token = csrf_token(client)
    r = client.post(r.headers["Location"], data={"username": "alice", "password": TEST_PASSWORD,
                                                 "csrf_token": token})
    assert r.headers["Location"] == "/auth/password"


class TestThrottle:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_per_ip_throttle_answers_429_in_chinese(self, app, client, alice):
        for _ in range(3):
            assert login(client, "alice", "Wrong-password-1").status_code == 200
        r = login(client, "alice")
        assert r.status_code == 429
        html = r.get_data(as_text=True)
        assert "请求过于频繁" in html and "Traceback" not in html
        # Another address is not affected, and GETs of the form are not counted.
        assert client.get("/auth/login").status_code == 200
        other = app.test_client()
        token = csrf_token(other)
        r = other.post("/auth/login", data={"username": "alice", "password": TEST_PASSWORD, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert r.status_code == 302
        assert len(audit_events(app, event="rate_limited")) == 1


class TestThrottleBehindProxy:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute", "PROXY_HOPS": 1}

    def test_client_address_comes_from_the_trusted_hop(self, app, client, alice):
        def attempt(addr):
            return client.post("/auth/login", data={"username": "alice", "password": "Wrong-password-1",
                                                    "csrf_token": csrf_token(client)},
                               headers={"X-Forwarded-For": addr})

        assert [attempt("203.0.113.5").status_code for _ in range(3)] == [200, 200, 429]
        assert attempt("203.0.113.6").status_code == 200
        rows = audit_events(app, event="login_failure")
        assert {r.ip for r in rows} == {"203.0.113.5", "203.0.113.6"}


# --- forms posted after expiry -------------------------------------------------------------------

def test_form_posted_after_idle_expiry_is_kept_and_restored_after_login(app, client):
    with app.app_context():
        sec = make_user(Role.SECADMIN, username="sec")
    with time_machine.travel(T0, tick=False) as t:
        login(client, "sec")
        token = csrf_token(client, "/security/users/new")
        t.shift(timedelta(minutes=31))
        r = client.post("/security/users/new", data={
            "csrf_token": token, "username": "newreviewer", "display_name": "王敏", "role": "reviewer",
            "authority_code": "", "email": "wm@example.com", "password": "Nw8$tY3@kP5zQe"})
        assert r.status_code == 302
        assert r.headers["Location"] == "/auth/login?next=/security/users/new"
        with app.app_context():
            stash = db.session.scalars(select(FormStash)).one()
            assert stash.user_id == sec.id and stash.path == "/security/users/new"
            assert "csrf_token" not in stash.data
            assert db.session.scalar(select(User).where(User.username == "newreviewer")) is None

        # Logging in again returns to the form with the input filled in, once.
        r = client.post(r.headers["Location"], data={"username": "sec", "password": TEST_PASSWORD,
                                                     "csrf_token": csrf_token(client)})
        assert r.headers["Location"] == "/security/users/new"
        html = client.get("/security/users/new").get_data(as_text=True)
        assert 'value="newreviewer"' in html and 'value="王敏"' in html and 'value="wm@example.com"' in html
        assert 'value="reviewer" selected' in html or "selected value=\"reviewer\"" in html
        assert "Nw8$tY3@kP5zQe" not in html  # password fields never re-render their value
        with app.app_context():
            assert db.session.scalar(select(func.count(FormStash.id))) == 0
        html = client.get("/security/users/new").get_data(as_text=True)
        assert 'value="newreviewer"' not in html


def test_stash_is_restored_only_for_the_same_user(app, client):
    with app.app_context():
        make_user(Role.SECADMIN, username="sec")
        make_user(Role.SECADMIN, username="sec2")
    with time_machine.travel(T0, tick=False) as t:
        login(client, "sec")
        token = csrf_token(client, "/security/users/new")
        t.shift(timedelta(minutes=31))
        client.post("/security/users/new", data={"csrf_token": token, "username": "leaky", "display_name": "x",
                                                 "role": "admin", "password": "x"})
        other = app.test_client()
        login(other, "sec2")
        assert 'value="leaky"' not in other.get("/security/users/new").get_data(as_text=True)
