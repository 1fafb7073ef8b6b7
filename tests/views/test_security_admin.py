"""The security admin: staff accounts, roles (sessions end), no self-management, disable/unlock, audited."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from evalsys.extensions import db
from evalsys.models import AccountState, Role, User
from tests.conftest import TEST_PASSWORD, audit_events, csrf_token, is_logged_in, login
from tests.factories import make_user

NEW_PASSWORD = "Nw8$tY3@kP5zQe"


@pytest.fixture
def sec(app):
    with app.app_context():
        user = make_user(Role.SECADMIN, username="sec")
    return user


@pytest.fixture
def sec_client(app, sec):
    c = app.test_client()
    assert login(c, "sec").status_code == 302
    c.token = csrf_token(c, "/security/")
    return c


def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def _create(c, **fields):
    data = {"csrf_token": c.token, "username": "staff", "display_name": "李静", "role": "reviewer",
            "authority_code": "", "email": "", "password": NEW_PASSWORD}
    data.update(fields)
    return c.post("/security/users/new", data=data)


@pytest.mark.parametrize("role, authority", [(Role.AUTHORITY, "440300"), (Role.REVIEWER, "320000"),
                                             (Role.REVIEWER, ""), (Role.ADMIN, ""), (Role.SECADMIN, ""),
                                             (Role.AUDITOR, "")])
def test_secadmin_creates_each_staff_role(app, sec, sec_client, role, authority):
    r = _create(sec_client, username=f"new-{role.value}", role=role.value, authority_code=authority)
    created = _user(app, f"new-{role.value}")
    assert created is not None, r.get_data(as_text=True)
    assert r.status_code == 302 and r.headers["Location"] == f"/security/users/{created.id}"
    assert created.role == role and created.state == AccountState.ACTIVE
    assert created.authority_code == (authority or None)
    assert created.password_hash != NEW_PASSWORD and not created.demo_password
    c = app.test_client()
    assert login(c, created.username, NEW_PASSWORD).status_code == 302
    [rec] = audit_events(app, event="user_created")
    assert (rec.user_id, rec.username, rec.role, rec.object_type, rec.object_id) == \
           (sec.id, "sec", "secadmin", "users", str(created.id))
    assert json.loads(rec.detail)["role"] == role.value
    assert NEW_PASSWORD not in (rec.detail or "")


def test_applicant_accounts_are_not_made_here(app, sec_client):
    r = _create(sec_client, username="appl", role="applicant")
    assert r.status_code == 200 and _user(app, "appl") is None


def test_authority_account_needs_an_authority(app, sec_client):
    r = _create(sec_client, username="auth-none", role="authority", authority_code="")
    assert r.status_code == 200 and "必须绑定一个推荐单位" in r.get_data(as_text=True)
    assert _user(app, "auth-none") is None
    r = _create(sec_client, username="admin-with-authority", role="admin", authority_code="320000")
    assert r.status_code == 200 and _user(app, "admin-with-authority") is None
    assert audit_events(app, event="user_created") == []


def test_weak_password_and_duplicate_username_are_refused(app, sec_client):
    assert _create(sec_client, username="weak", password="Password2015!").status_code == 200
    assert _user(app, "weak") is None
    assert _create(sec_client, username="sec").status_code == 200
    assert len(audit_events(app, event="user_created")) == 0


def test_role_change_ends_the_targets_sessions_and_is_audited(app, sec, sec_client):
    with app.app_context():
        target = make_user(Role.REVIEWER, username="target", authority_code="320000")
    victim = app.test_client()
    login(victim, "target")
    assert victim.get("/review/").status_code == 200
    r = sec_client.post(f"/security/users/{target.id}/role",
                        data={"csrf_token": sec_client.token, "role": "admin", "authority_code": ""})
    assert r.status_code == 302
    changed = _user(app, "target")
    assert changed.role == Role.ADMIN and changed.authority_code is None
    assert not is_logged_in(victim)
    login(victim, "target")
    assert victim.get("/admin/").status_code == 200 and victim.get("/review/").status_code == 403
    [rec] = audit_events(app, event="role_changed")
    assert rec.user_id == sec.id and rec.object_id == str(target.id)
    assert json.loads(rec.detail)["from"] == "reviewer" and json.loads(rec.detail)["to"] == "admin"


def test_role_change_to_authority_needs_an_authority(app, sec_client):
    with app.app_context():
        target = make_user(Role.REVIEWER, username="target")
    r = sec_client.post(f"/security/users/{target.id}/role",
                        data={"csrf_token": sec_client.token, "role": "authority", "authority_code": ""})
    assert r.status_code == 302
    assert _user(app, "target").role == Role.REVIEWER
    assert audit_events(app, event="role_changed") == []


def test_secadmin_cannot_change_its_own_role_or_state(app, sec, sec_client):
    for path, data in ((f"/security/users/{sec.id}/role", {"role": "admin", "authority_code": ""}),
                       (f"/security/users/{sec.id}/disable", {}), (f"/security/users/{sec.id}/unlock", {})):
        r = sec_client.post(path, data={"csrf_token": sec_client.token, **data})
        assert r.status_code == 403, path
    me = _user(app, "sec")
    assert me.role == Role.SECADMIN and me.state == AccountState.ACTIVE
    assert is_logged_in(sec_client)
    assert "不能修改自己的角色或状态" in sec_client.get(f"/security/users/{sec.id}").get_data(as_text=True)
    assert [e.object_id for e in audit_events(app, event="access_denied")] == [None] * 3


def test_one_secadmin_manages_another(app, sec, sec_client):
    with app.app_context():
        other = make_user(Role.SECADMIN, username="sec2")
    r = sec_client.post(f"/security/users/{other.id}/disable", data={"csrf_token": sec_client.token})
    assert r.status_code == 302 and _user(app, "sec2").state == AccountState.DISABLED


def test_disable_enable_and_unlock(app, sec, sec_client):
    with app.app_context():
        target = make_user(Role.AUDITOR, username="target", commit=False)
        target.locked_until = datetime.now(timezone.utc) + timedelta(minutes=10)
        db.session.commit()
        target_id = target.id
    c = app.test_client()
    assert login(c, "target").status_code == 200  # locked
    assert "解除锁定" in sec_client.get(f"/security/users/{target_id}").get_data(as_text=True)
    r = sec_client.post(f"/security/users/{target_id}/unlock", data={"csrf_token": sec_client.token})
    assert r.status_code == 302 and _user(app, "target").locked_until is None
    assert login(c, "target").status_code == 302

    r = sec_client.post(f"/security/users/{target_id}/disable", data={"csrf_token": sec_client.token})
    assert r.status_code == 302 and _user(app, "target").state == AccountState.DISABLED
    assert not is_logged_in(c)
    assert login(c, "target").status_code == 200
    r = sec_client.post(f"/security/users/{target_id}/enable", data={"csrf_token": sec_client.token})
    assert _user(app, "target").state == AccountState.ACTIVE
    assert login(c, "target").status_code == 302

    events = [(e.event, e.user_id, e.object_id) for e in audit_events(app) if e.object_type == "users"]
    assert events == [("account_unlocked", sec.id, str(target_id)),
                      ("account_state_changed", sec.id, str(target_id)),
                      ("account_state_changed", sec.id, str(target_id))]


def test_unsafe_requests_without_csrf_change_nothing(app, sec_client):
    with app.app_context():
        target = make_user(Role.AUDITOR, username="target")
    assert sec_client.post(f"/security/users/{target.id}/disable").status_code == 400
    assert _user(app, "target").state == AccountState.ACTIVE


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR, Role.AUTHORITY, Role.APPLICANT])
def test_other_roles_cannot_open_security(app, client, role):
    with app.app_context():
        make_user(role, username="other")
        target = make_user(Role.REVIEWER, username="target")
    login(client, "other")
    assert client.get("/security/").status_code == 403
    assert client.get("/security/users/new").status_code == 403
    token = csrf_token(client, "/auth/password")
    r = client.post(f"/security/users/{target.id}/role", data={"csrf_token": token, "role": role.value})
    assert r.status_code == 403 and _user(app, "target").role == Role.REVIEWER
    r = client.post("/security/users/new", data={"csrf_token": token, "username": "sneaky", "display_name": "x",
                                                 "role": "secadmin", "password": TEST_PASSWORD})
    assert r.status_code == 403 and _user(app, "sneaky") is None


def test_account_list_filters(app, sec_client):
    with app.app_context():
        make_user(Role.REVIEWER, username="expert-wang")
        make_user(Role.AUDITOR, username="aud-li")
    html = sec_client.get("/security/?role=reviewer").get_data(as_text=True)
    assert "expert-wang" in html and "aud-li" not in html
    html = sec_client.get("/security/?q=aud").get_data(as_text=True)
    assert "aud-li" in html and "expert-wang" not in html
