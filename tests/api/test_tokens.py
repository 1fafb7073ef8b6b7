"""API tokens: shown once, stored as a hash, expiring, revocable, audited; refused for accounts that could
not use the web either; the CLI; the account page and the security admin's; rate limit per token."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import time_machine
from sqlalchemy import select, update

from evalsys.domain.api_tokens import MAX_DAYS
from evalsys.extensions import db
from evalsys.models import AccountState, ApiToken, Role, User
from evalsys.models.types import utcnow
from tests.api.conftest import bearer
from tests.conftest import audit_events, csrf_token, login, make_test_config, post
from tests.factories import make_user

PROBLEM = "application/problem+json"
SECRET_RE = re.compile(r'value="(evs_[A-Za-z0-9_-]+)"')


def _calls(client, secret: str):
    return client.get("/api/v1/calls", headers=bearer(secret))


def test_created_on_the_account_page_shown_once_stored_as_a_hash(app, client):
    with app.app_context():
        make_user(Role.AUTHORITY, username="tok-auth")
    login(client, "tok-auth")
    r = post(client, "/auth/tokens", {"name": "省厅系统", "days": "30"}, token_from="/auth/tokens")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    secret = SECRET_RE.search(r.get_data(as_text=True)).group(1)
    listing = client.get("/auth/tokens").get_data(as_text=True)
    assert "省厅系统" in listing and secret not in listing and secret[:10] in listing
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in row.token_hash
        assert timedelta(days=29, hours=23) < row.expires_at - row.created_at <= timedelta(days=30)
    anon = app.test_client()
    assert _calls(anon, secret).status_code == 200
    created = audit_events(app, event="api_token_created")
    assert len(created) == 1 and secret not in (created[0].detail or "")
    used = audit_events(app, event="api_token_used")
    assert len(used) == 1 and used[0].username == "tok-auth"
    _calls(anon, secret)  # use within the interval: last-used time kept, no further record
    assert len(audit_events(app, event="api_token_used")) == 1
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_default_lifetime_expiry_and_revocation(app, client):
    with app.app_context():
        make_user(Role.APPLICANT, username="tok-app")
    login(client, "tok-app")
    r = post(client, "/auth/tokens", {"name": "", "days": "90"}, token_from="/auth/tokens")
    secret = SECRET_RE.search(r.get_data(as_text=True)).group(1)
    anon = app.test_client()
    assert _calls(anon, secret).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=90, minutes=1)):
        r = _calls(anon, secret)
        assert r.status_code == 401 and r.mimetype == PROBLEM and r.get_json()["detail"] == "API令牌已过期"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    r = post(client, f"/auth/tokens/{token_id}/revoke", token_from="/auth/tokens")
    assert r.status_code == 302
    r = _calls(anon, secret)
    assert r.status_code == 401 and r.get_json()["detail"] == "API令牌已被撤销"
    assert [e.event for e in audit_events(app, object_type="api_tokens")][-2:] == ["api_token_revoked",
                                                                                   "api_token_refused"]


def test_the_revoke_button_is_offered_exactly_while_the_server_accepts_it(app, client):
    with app.app_context():
        user = make_user(Role.AUTHORITY, username="tok-btn")
        user_id = user.id
    login(client, "tok-btn")
    post(client, "/auth/tokens", {"name": "在用", "days": "30"}, token_from="/auth/tokens")
    post(client, "/auth/tokens", {"name": "过期", "days": "1"}, token_from="/auth/tokens")
    with app.app_context():
        ids = {t.name: t.id for t in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id))}
        db.session.execute(update(ApiToken).where(ApiToken.id == ids["过期"])
                           .values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    listing = client.get("/auth/tokens").get_data(as_text=True)
    assert f"/auth/tokens/{ids['在用']}/revoke" in listing and f"/auth/tokens/{ids['过期']}/revoke" not in listing
    assert "已过期" in listing and "有效" in listing
    # The server agrees: an expired token is not revoked (nothing to record), an active one is.
    post(client, f"/auth/tokens/{ids['过期']}/revoke", token_from="/auth/tokens")
    post(client, f"/auth/tokens/{ids['在用']}/revoke", token_from="/auth/tokens")
    with app.app_context():
        revoked = {t.name: t.revoked_at is not None for t in db.session.scalars(select(ApiToken))}
    assert revoked == {"在用": True, "过期": False}
    assert len(audit_events(app, event="api_token_revoked")) == 1
    listing = client.get("/auth/tokens").get_data(as_text=True)
    assert "/revoke" not in listing and "已撤销" in listing


def test_only_the_owner_revokes_on_the_account_page(app, client, world):
    with app.app_context():
        other = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == world.users["auth_b"]))
    login(client, "api-auth-a")
    assert post(client, f"/auth/tokens/{other}/revoke", token_from="/auth/tokens").status_code == 404
    assert _calls(app.test_client(), world.tokens["auth_b"]).status_code == 200


def test_missing_bad_and_session_only_requests_are_401(app, client, world):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"},
                    {"Authorization": "Bearer evs_wrong"}, {"Authorization": "Bearer " + "x" * 5000},
                    {"Authorization": "Bearer evs_\x7f"}):
        r = client.get("/api/v1/calls", headers=headers)
        assert r.status_code == 401 and r.mimetype == PROBLEM, headers
    # A logged-in browser session is not an API credential (and never a login redirect).
    login(client, "api-admin")
    r = client.get("/api/v1/calls")
    assert r.status_code == 401 and r.mimetype == PROBLEM
    r = client.post(f"/api/v1/applications/{world.apps_a[0]}/recommend", json={"order": 1})
    assert r.status_code == 401


def test_accounts_that_may_not_work_get_no_token(app, app_config, client, world):
    with app.app_context():
        db.session.execute(update(User).where(User.username == "api-auth-a").values(must_change_password=True))
        db.session.execute(update(User).where(User.username == "api-op-a").values(state=AccountState.DISABLED))
        db.session.execute(update(User).where(User.username == "api-admin")
                           .values(locked_until=utcnow() + timedelta(minutes=10)))
        db.session.commit()
    for name, detail in (("auth_a", "账户须先修改临时密码，才能使用API令牌"), ("op_a", "账户未启用或已停用，不能使用API令牌"),
                         ("admin", "账户已被临时锁定，不能使用API令牌")):
        r = _calls(client, world.tokens[name])
        assert r.status_code == 401 and r.get_json()["detail"] == detail, name
    assert _calls(client, world.tokens["auth_b"]).status_code == 200
    # No token can be created for them either (page and CLI).
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-token", "create", "api-auth-a"])
    assert result.exit_code == 1 and "修改临时密码" in result.output
    login(client, "api-auth-a")
    page = client.get("/auth/tokens", follow_redirects=True).get_data(as_text=True)
    assert "创建令牌" not in page or "修改临时密码" in page


def test_require_totp_refuses_tokens_of_accounts_without_a_second_factor(app, world, db_url, tmp_path, make_app):
    # Tokens made before the setting was switched on stop working for accounts that must enrol.
    fresh = make_app(make_test_config(db_url, str(tmp_path / "inst"), REQUIRE_TOTP=True))
    w = world
    c = fresh.test_client()
    r = _calls(c, w.tokens["auth_a"])
    assert r.status_code == 401 and "两步验证" in r.get_json()["detail"]
    assert _calls(c, w.tokens["op_a"]).status_code == 200  # applicants do not use a second factor
    result = fresh.test_cli_runner().invoke(args=["api-token", "create", "api-admin"])
    assert result.exit_code == 1 and "两步验证" in result.output


def test_cli_creates_a_token_printed_alone_on_the_last_line(app, runner):
    with app.app_context():
        make_user(Role.ADMIN, username="cli-admin")
    result = runner.invoke(args=["api-token", "create", "cli-admin", "--name", "财务统计", "--days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"evs_[A-Za-z0-9_-]{40,}", secret)
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.name == "财务统计" and row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert timedelta(days=6, hours=23) < row.expires_at - row.created_at <= timedelta(days=7)
    assert app.test_client().get("/api/v1/funds/summary", headers=bearer(secret)).status_code == 200
    assert runner.invoke(args=["api-token", "create", "nobody"]).exit_code == 2
    assert runner.invoke(args=["api-token", "create", "cli-admin", "--days", "0"]).exit_code == 2
    assert audit_events(app, event="api_token_created")[0].username == "cli"


def test_security_admin_creates_and_revokes_staff_tokens(app, client, world):
    login(client, "api-secadmin")
    staff, applicant = world.users["admin"], world.users["applicant"]
    page = client.get(f"/security/users/{staff}").get_data(as_text=True)
    assert "为该账户创建令牌" in page and "test admin" in page
    r = post(client, f"/security/users/{staff}/api-tokens", {"name": "统计", "days": "10"},
             token_from=f"/security/users/{staff}")
    secret = SECRET_RE.search(r.get_data(as_text=True)).group(1)
    assert _calls(app.test_client(), secret).status_code == 200
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "统计"))
        assert row.user_id == staff and row.created_by_id == world.users["secadmin"]
        row_id = row.id
    post(client, f"/security/users/{staff}/api-tokens/{row_id}/revoke", token_from=f"/security/users/{staff}")
    assert _calls(app.test_client(), secret).status_code == 401
    # Applicant accounts are not the security admin's: no section, and a crafted POST is refused.
    assert "为该账户创建令牌" not in client.get(f"/security/users/{applicant}").get_data(as_text=True)
    r = post(client, f"/security/users/{applicant}/api-tokens", {"name": "x", "days": "10"},
             token_from="/auth/tokens")
    assert r.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == applicant, ApiToken.name == "x")) is None


def test_a_refused_token_form_shows_each_problem_on_its_own_line(app, client, world):
    login(client, "api-secadmin")
    staff = world.users["admin"]
    r = post(client, f"/security/users/{staff}/api-tokens", {"name": "名" * 61, "days": "0"},
             token_from=f"/security/users/{staff}", follow_redirects=True)
    page = r.get_data(as_text=True)
    alerts = re.findall(r'class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', page, re.S)
    assert [a.strip() for a in alerts if "名称" in a or "有效天数" in a] == ["名称不超过60个字符", f"有效天数应为1至{MAX_DAYS}"]


def test_rate_limit_counts_per_token(db_url, tmp_path, make_app):
    fresh = make_app(make_test_config(db_url, str(tmp_path / "inst"), RATELIMIT_ENABLED=True,
                                      API_RATE_LIMIT="3 per minute"))
    from tests.api.conftest import build_world

    w = build_world(fresh, n_apps=1)
    c = fresh.test_client()
    assert [_calls(c, w.tokens["admin"]).status_code for _ in range(4)] == [200, 200, 200, 429]
    r = _calls(c, w.tokens["admin"])
    assert r.mimetype == PROBLEM and r.get_json()["detail"] == "请求过于频繁，请稍后再试。"
    assert _calls(c, w.tokens["auth_a"]).status_code == 200  # another token has its own budget


def test_refused_tokens_are_throttled_per_address(db_url, tmp_path, make_app):
    fresh = make_app(make_test_config(db_url, str(tmp_path / "inst"), RATELIMIT_ENABLED=True,
                                      API_AUTH_FAILURE_LIMIT="3 per minute"))
    c = fresh.test_client()
    codes = [_calls(c, f"evs_guess{i}").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert len(audit_events(fresh, event="api_token_refused")) == 3
