"""Two-factor login (TOTP): enrolment, the code step, replay refusal, recovery codes, lockout, the
REQUIRE_TOTP setting, the security admin's reset, and that the secret never shows after enrolment."""
from __future__ import annotations

import base64
import json
import logging
import re
import threading
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from evalsys.extensions import db
from evalsys.models import AuditRecord, LoginFailure, Role, User, UserSession
from evalsys.models.totp import RecoveryCode, TotpCredential
from evalsys.services.auth import LOGIN_FAILED_MESSAGE
from evalsys.services.totp import check_login_code, confirm_enrolment, pending_enrolment, start_enrolment
from tests.conftest import TEST_PASSWORD, audit_events, csrf_token, is_logged_in, login, post
from tests.factories import make_user

T0 = datetime(2026, 3, 2, 1, 0, 5, tzinfo=timezone.utc)  # 5 s into a 30 s time step
SECRET_RE = re.compile(r"<code[^>]*>([A-Z2-7]{16,})</code>")
QR_RE = re.compile(r'<img[^>]+src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')
CODES_RE = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def _enrol(app, username: str, at: datetime = T0 - timedelta(minutes=10)) -> tuple[str, list[str]]:
    """Enrol an account directly through the services; returns the secret and the recovery codes."""
    with time_machine.travel(at, tick=False), app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        start_enrolment(user)
        secret = pending_enrolment(user).secret
        codes = confirm_enrolment(user, _code(secret, at))
        db.session.commit()
    return secret, codes


def _code_step(client, code: str):
    return post(client, "/auth/login/code", {"code": code}, token_from="/auth/login/code")


def _reasons(app) -> list[str]:
    return [json.loads(e.detail or "{}").get("reason") for e in audit_events(app, event="login_failure")]


def _user(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


@pytest.fixture
def admin(app):
    with app.app_context():
        return make_user(Role.ADMIN, username="boss")


# --- enrolment ------------------------------------------------------------------------------------

def test_enrolment_shows_qr_and_secret_then_recovery_codes_once_and_the_secret_never_again(app, client, admin,
                                                                                          caplog):
    caplog.set_level(logging.DEBUG)
    with time_machine.travel(T0, tick=False):
        assert login(client, "boss").headers["Location"] == "/admin/"
        assert "/auth/totp" in client.get("/admin/").get_data(as_text=True)  # linked from every page
        page = client.get("/auth/totp").get_data(as_text=True)
        assert "开始设置两步验证" in page
        assert client.get("/auth/totp/enrol").headers["Location"] == "/auth/totp"  # nothing pending yet
        r = post(client, "/auth/totp/start", token_from="/auth/totp")
        assert r.headers["Location"] == "/auth/totp/enrol"
        r = client.get("/auth/totp/enrol")
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
        html = r.get_data(as_text=True)
        secret = SECRET_RE.search(html).group(1)
        svg = ET.fromstring(base64.b64decode(QR_RE.search(html).group(1)))  # a real SVG, made on the server
        assert svg.tag.endswith("svg") and len(list(svg.iter())) > 1
        assert 'src="http' not in html and "<script>" not in html  # no external service, no inline script

        # A wrong code confirms nothing.
        wrong = f"{(int(_code(secret, T0)) + 1) % 1_000_000:06d}"
        r = post(client, "/auth/totp/enrol", {"code": wrong}, token_from="/auth/totp/enrol")
        assert r.status_code == 200 and "验证码不正确" in r.get_data(as_text=True)
        with app.app_context():
            assert db.session.scalar(select(TotpCredential)).confirmed_at is None

        r = post(client, "/auth/totp/enrol", {"code": _code(secret, T0)}, token_from="/auth/totp/enrol")
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
        codes = CODES_RE.findall(r.get_data(as_text=True))
        assert len(codes) == 10 == len(set(codes))
        assert secret not in r.get_data(as_text=True)

        # From now on the secret is never shown again: not to the account, not to the security admin.
        assert client.get("/auth/totp/enrol").headers["Location"] == "/auth/totp"
        status = client.get("/auth/totp").get_data(as_text=True)
        assert "已启用两步验证" in status and "未使用的恢复码：10 个" in status
        pages = [status, client.get("/auth/totp", follow_redirects=True).get_data(as_text=True)]
        # Starting over is refused once confirmed (only the security admin resets).
        r = post(client, "/auth/totp/start", token_from="/auth/totp", follow_redirects=True)
        assert "已启用两步验证" in r.get_data(as_text=True)
        pages.append(r.get_data(as_text=True))
    with app.app_context():
        make_user(Role.SECADMIN, username="sec")
    sec_client = app.test_client()
    login(sec_client, "sec")
    detail = sec_client.get(f"/security/users/{admin.id}").get_data(as_text=True)
    assert "已启用" in detail and "重置两步验证" in detail
    pages.append(detail)
    pages.append(sec_client.get("/security/").get_data(as_text=True))
    for html in pages:
        assert secret not in html and codes[0] not in html

    with app.app_context():
        cred = db.session.scalar(select(TotpCredential))
        assert cred.confirmed_at is not None and secret not in cred.secret_encrypted
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(hashes) == 10 and not {c.replace("-", "") for c in codes} & set(hashes)
        rows = db.session.scalars(select(AuditRecord)).all()
        dumped = " ".join(f"{r.event} {r.object_id} {r.detail}" for r in rows)
    assert "totp_enrolment_started" in dumped and "totp_enrolled" in dumped
    assert secret not in dumped and not any(c in dumped or c.replace("-", "") in dumped for c in codes)
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert secret not in logged and not any(c in logged for c in codes)


def test_roles_without_a_second_factor_cannot_enrol(app, client):
    with app.app_context():
        make_user(Role.APPLICANT, username="firm")
    login(client, "firm")
    assert "/auth/totp\"" not in client.get("/applicant/").get_data(as_text=True)  # the menu offers none
    assert "不使用两步验证" in client.get("/auth/totp").get_data(as_text=True)
    r = post(client, "/auth/totp/start", token_from="/auth/password", follow_redirects=True)
    assert "该角色不使用两步验证" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TotpCredential)) is None


# --- login with a code ----------------------------------------------------------------------------

def test_login_needs_the_code_and_nobody_is_logged_in_before_it(app, client, admin):
    secret, _ = _enrol(app, "boss")
    with time_machine.travel(T0, tick=False):
        r = login(client, "boss")
        assert r.headers["Location"] == "/auth/login/code"
        assert not is_logged_in(client)
        assert client.get("/admin/").headers["Location"].startswith("/auth/login")
        assert _sessions_of(app, admin.id) == 0
        assert [e.event for e in audit_events(app, user_id=admin.id) if e.event.startswith("login")] == \
            ["login_password_ok"]
        r = _code_step(client, _code(secret, T0))
        assert r.status_code == 302 and r.headers["Location"] == "/admin/"
        assert is_logged_in(client) and _sessions_of(app, admin.id) == 1
    success = audit_events(app, event="login_success")
    assert len(success) == 1 and json.loads(success[0].detail) == {"second_factor": "totp"}


def test_next_page_is_kept_through_the_code_step(app, client, admin):
    secret, _ = _enrol(app, "boss")
    with time_machine.travel(T0, tick=False):
        token = csrf_token(client)
        r = client.post("/auth/login?next=/admin/calls", data={"username": "boss", "password": TEST_PASSWORD,
                                                               "csrf_token": token})
        assert r.headers["Location"] == "/auth/login/code"
        assert _code_step(client, _code(secret, T0)).headers["Location"] == "/admin/calls"


def test_a_code_reused_within_its_window_is_refused_and_audited(app, client, admin):
    secret, _ = _enrol(app, "boss")
    with time_machine.travel(T0, tick=False) as t:
        code = _code(secret, T0)
        login(client, "boss")
        assert _code_step(client, code).status_code == 302
        post(client, "/auth/logout", token_from="/auth/password")

        t.shift(timedelta(seconds=10))  # same time step: the code is still "valid" but used
        other = app.test_client()
        login(other, "boss")
        r = _code_step(other, code)
        assert r.status_code == 200 and "已被使用" in r.get_data(as_text=True)
        assert not is_logged_in(other)
        replays = audit_events(app, event="totp_replay_refused")
        assert len(replays) == 1 and replays[0].user_id == admin.id and replays[0].outcome == "failure"
        assert _reasons(app)[-1] == "totp_code_replayed"
        # The previous step's code is inside the drift window but older than the one used: refused too.
        assert _code_step(other, _code(secret, T0 - timedelta(seconds=30))).status_code == 200
        assert len(audit_events(app, event="totp_replay_refused")) == 2

        t.shift(timedelta(seconds=30))  # the next time step's code works
        assert _code_step(other, _code(secret, T0 + timedelta(seconds=40))).status_code == 302
        assert is_logged_in(other)
    with app.app_context():
        stored = db.session.scalar(select(TotpCredential.last_used_step))
    assert stored == int((T0 + timedelta(seconds=40)).timestamp()) // 30


def _check_in_thread(app, user_id: int, code: str, barrier: threading.Barrier, outcomes: list[str]) -> None:
    with app.test_request_context():
        try:
            barrier.wait()
            check = check_login_code(db.session.get(User, user_id), code, ip="10.0.0.1")
            db.session.commit()
            outcomes.append("ok" if check.ok else "refused")
        except Exception as exc:  # recorded, so the test fails with the reason
            db.session.rollback()
            outcomes.append(f"error {type(exc).__name__}: {exc}")
        finally:
            db.session.remove()


def test_the_same_code_sent_by_racing_requests_passes_once(app, admin):
    secret, _ = _enrol(app, "boss")
    with time_machine.travel(T0, tick=False):
        barrier = threading.Barrier(4)
        outcomes: list[str] = []
        threads = [threading.Thread(target=_check_in_thread, daemon=True,
                                    args=(app, admin.id, _code(secret, T0), barrier, outcomes)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert len(audit_events(app, event="totp_replay_refused")) == 3


def test_a_recovery_code_works_once(app, client, admin):
    secret, codes = _enrol(app, "boss")
    with time_machine.travel(T0, tick=False):
        login(client, "boss")
        r = _code_step(client, " " + codes[3].upper() + " ")  # typed loosely: spaces, capitals
        assert r.status_code == 302
        html = client.get("/auth/totp").get_data(as_text=True)
        assert "剩余 9 个" in html and "未使用的恢复码：9 个" in html  # the warning, then the status
        assert is_logged_in(client)
        post(client, "/auth/logout", token_from="/auth/password")

        again = app.test_client()
        login(again, "boss")
        r = _code_step(again, codes[3])
        assert r.status_code == 200 and not is_logged_in(again)
        assert _reasons(app)[-1] == "bad_recovery_code"
        assert _code_step(again, codes[4]).status_code == 302  # another one still works
    used = audit_events(app, event="totp_recovery_code_used")
    assert [json.loads(e.detail)["remaining"] for e in used] == [9, 8]
    with app.app_context():
        assert db.session.query(RecoveryCode).filter(RecoveryCode.used_at.isnot(None)).count() == 2


def test_new_recovery_codes_replace_the_old_ones(app, client, admin):
    secret, old = _enrol(app, "boss")
    with time_machine.travel(T0, tick=False) as t:
        login(client, "boss")
        _code_step(client, _code(secret, T0))
        t.shift(timedelta(seconds=30))
        r = post(client, "/auth/totp/recovery", {"code": _code(secret, T0 + timedelta(seconds=30))},
                 token_from="/auth/totp")
        new = CODES_RE.findall(r.get_data(as_text=True))
        assert len(new) == 10 and not set(new) & set(old)
        post(client, "/auth/logout", token_from="/auth/password")
        other = app.test_client()
        login(other, "boss")
        assert _code_step(other, old[0]).status_code == 200
        assert _code_step(other, new[0]).status_code == 302
    assert len(audit_events(app, event="totp_recovery_codes_regenerated")) == 1


def test_wrong_codes_count_towards_the_lockout_and_a_password_does_not_clear_them(app, client, admin):
    secret, _ = _enrol(app, "boss")
    with time_machine.travel(T0, tick=False):
        wrong = f"{(int(_code(secret, T0)) + 7) % 1_000_000:06d}"
        login(client, "boss")
        for _ in range(2):
            assert _code_step(client, wrong).status_code == 200
        # Entering the right password again must not wipe the count (else codes could be guessed forever).
        assert login(client, "boss").headers["Location"] == "/auth/login/code"
        for _ in range(2):
            assert _code_step(client, wrong).status_code == 200
        assert _user(app, "boss").locked_until is None
        r = _code_step(client, wrong)  # the 5th failure within 15 minutes
        assert r.status_code == 302 and r.headers["Location"] == "/auth/login"
        assert _user(app, "boss").locked_until == T0 + app.config["LOCKOUT_DURATION"]
        assert len(audit_events(app, event="account_locked")) == 1
        assert _reasons(app) == ["bad_totp_code"] * 5
        # Locked: the right password and the right code are refused with the one message.
        r = login(client, "boss")
        assert r.status_code == 200 and LOGIN_FAILED_MESSAGE in r.get_data(as_text=True)
        assert client.get("/auth/login/code").headers["Location"] == "/auth/login"
        assert not is_logged_in(client)
    with app.app_context():
        assert db.session.query(LoginFailure).count() == 5


def test_mixed_password_and_code_failures_lock_together(app, client, admin):
    secret, _ = _enrol(app, "boss")
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            login(client, "boss", "Wrong-password-1")
        login(client, "boss")
        _code_step(client, "000000" if _code(secret, T0) != "000000" else "111111")
        assert _user(app, "boss").locked_until is None
        r = _code_step(client, "abcde-fghjk")  # a wrong recovery code is the 5th failure
        assert r.headers["Location"] == "/auth/login"
        assert _user(app, "boss").locked_until is not None


def test_the_code_step_expires_and_needs_a_password_first(app, client, admin):
    secret, _ = _enrol(app, "boss")
    assert client.get("/auth/login/code").headers["Location"] == "/auth/login"
    with time_machine.travel(T0, tick=False) as t:
        login(client, "boss")
        token = csrf_token(client, "/auth/login/code")
        t.shift(app.config["TOTP_PENDING_TIMEOUT"] + timedelta(seconds=1))
        r = client.post("/auth/login/code", data={"code": _code(secret, T0 + timedelta(minutes=5, seconds=1)),
                                                  "csrf_token": token})
        assert r.headers["Location"] == "/auth/login" and not is_logged_in(client)


def test_a_password_reset_or_a_factor_reset_voids_a_pending_login(app, client, admin):
    from evalsys.services.passwords import hash_password
    from evalsys.services.totp import reset_totp

    secret, _ = _enrol(app, "boss")
    with time_machine.travel(T0, tick=False):
        login(client, "boss")
        with app.app_context():
            db.session.get(User, admin.id).password_hash = hash_password("Another#Passw0rd-9")
            db.session.commit()
        assert _code_step(client, _code(secret, T0)).headers["Location"] == "/auth/login"
        assert not is_logged_in(client)

        other = app.test_client()
        login(other, "boss", "Another#Passw0rd-9")
        with app.app_context():
            user = db.session.get(User, admin.id)
            reset_totp(user, actor=user)
            db.session.commit()
        assert _code_step(other, _code(secret, T0)).headers["Location"] == "/auth/login"
        assert not is_logged_in(other)
    assert "bad_totp_code" not in _reasons(app)  # not counted as guesses


# --- the REQUIRE_TOTP setting ---------------------------------------------------------------------

@pytest.mark.parametrize("required", [True, False])
def test_the_setting_forces_enrolment_before_anything_else(app, app_config, client, required):
    app.config["REQUIRE_TOTP"] = required
    with app.app_context():
        make_user(Role.AUTHORITY, username="prov")
        make_user(Role.APPLICANT, username="firm")
    with time_machine.travel(T0, tick=False):
        login(client, "prov")
        r = client.get("/authority/")
        if not required:
            assert r.status_code == 200
            return
        assert r.status_code == 302 and r.headers["Location"] == "/auth/totp"
        for path in ("/authority/applications", "/auth/password", "/auth/notifications"):
            assert client.get(path).headers["Location"] == "/auth/totp", path
        r = client.post("/auth/password", data={"csrf_token": csrf_token(client, "/auth/totp")})
        assert r.headers["Location"] == "/auth/totp"
        assert "须先启用两步验证" in client.get("/auth/totp").get_data(as_text=True)

        post(client, "/auth/totp/start", token_from="/auth/totp")
        secret = SECRET_RE.search(client.get("/auth/totp/enrol").get_data(as_text=True)).group(1)
        r = post(client, "/auth/totp/enrol", {"code": _code(secret, T0)}, token_from="/auth/totp/enrol")
        assert len(CODES_RE.findall(r.get_data(as_text=True))) == 10
        assert client.get("/authority/").status_code == 200

    # Roles without a second factor are not held up.
    firm = app.test_client()
    login(firm, "firm")
    assert firm.get("/applicant/").status_code == 200


# --- reset by the security admin ------------------------------------------------------------------

def test_security_admin_resets_a_second_factor_audited(app, client, admin):
    secret, codes = _enrol(app, "boss")
    with app.app_context():
        make_user(Role.SECADMIN, username="sec")
    sec = app.test_client()
    login(sec, "sec")
    token = csrf_token(sec, f"/security/users/{admin.id}")
    sec_id = _user(app, "sec").id
    assert sec.post(f"/security/users/{sec_id}/totp/reset", data={"csrf_token": token}).status_code == 403
    r = sec.post(f"/security/users/{admin.id}/totp/reset", data={"csrf_token": token})
    assert r.headers["Location"] == f"/security/users/{admin.id}"
    resets = audit_events(app, event="totp_reset")
    assert len(resets) == 1 and resets[0].username == "sec" and resets[0].object_id == str(admin.id)
    assert secret not in (resets[0].detail or "")
    with app.app_context():
        assert db.session.scalar(select(TotpCredential)) is None
        assert db.session.query(RecoveryCode).count() == 0
    # The account logs in with its password alone again, and may enrol anew.
    with time_machine.travel(T0, tick=False):
        assert login(client, "boss").headers["Location"] == "/admin/"
        assert "开始设置两步验证" in client.get("/auth/totp").get_data(as_text=True)
    # Nothing left to reset: no second audit record.
    sec.post(f"/security/users/{admin.id}/totp/reset", data={"csrf_token": token})
    assert len(audit_events(app, event="totp_reset")) == 1


def _sessions_of(app, user_id: int) -> int:
    with app.app_context():
        return db.session.query(UserSession).filter(UserSession.user_id == user_id).count()


class TestCodeStepThrottle:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_the_code_step_has_the_per_ip_throttle_of_the_login_form(self, app, client, admin):
        secret, _ = _enrol(app, "boss")
        login(client, "boss")
        token = csrf_token(client, "/auth/login/code")
        wrong = "000000" if _code(secret, datetime.now(timezone.utc)) != "000000" else "111111"
        answers = [client.post("/auth/login/code", data={"code": wrong, "csrf_token": token}).status_code
                   for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        assert "请求过于频繁" in client.post("/auth/login/code", data={"code": wrong, "csrf_token": token}) \
            .get_data(as_text=True)
        assert _reasons(app) == ["bad_totp_code"] * 3  # throttled attempts never reach the check
