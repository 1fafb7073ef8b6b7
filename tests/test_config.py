"""Configuration layering, the instance folder, production refusals, deployment and account commands,
security headers and cookie flags."""
from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import func, select

from evalsys import ConfigurationError, create_app
from evalsys.config import DEFAULT_SECRET_KEY
from evalsys.extensions import db
from evalsys.models import AuditRecord, Organisation, Role, SystemFlag, User
from tests.conftest import TEST_PASSWORD, csrf_token, login, make_test_config
from tests.factories import make_user

PROD_SECRET = "p" * 40


@pytest.fixture
def clean_env(monkeypatch):
    """No configuration from the surrounding environment leaks into these tests."""
    for key in list(os.environ):
        if key.startswith("EVALSYS_") or key in ("DATABASE_URL", "SECRET_KEY", "FLASK_DEBUG"):
            monkeypatch.delenv(key)
    return monkeypatch


# --- layering ------------------------------------------------------------------------------------

def test_layering_defaults_instance_environment_test_config(clean_env, tmp_path):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "config.py").write_text(
        "PAGE_SIZE = 7\nLOGIN_RATE_LIMIT = '1 per day'\nPROXY_HOPS = 3\nSECRET_KEY = 'from-instance'\n")
    clean_env.setenv("EVALSYS_INSTANCE_PATH", str(inst))

    app = create_app()
    assert app.config["LOCKOUT_THRESHOLD"] == 5                     # default
    assert app.config["PAGE_SIZE"] == 7                             # instance file
    assert app.config["SECRET_KEY"] == "from-instance"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{inst / 'evalsys.db'}"

    clean_env.setenv("EVALSYS_PAGE_SIZE", "9")
    clean_env.setenv("EVALSYS_LOGIN_RATE_LIMIT", "5 per minute")
    clean_env.setenv("SECRET_KEY", "from-environment")
    clean_env.setenv("DATABASE_URL", "postgresql://u@db.example/evalsys")
    app = create_app()
    assert app.config["PAGE_SIZE"] == 9 and app.config["LOGIN_RATE_LIMIT"] == "5 per minute"
    assert app.config["PROXY_HOPS"] == 3                            # instance value not overridden
    assert app.config["SECRET_KEY"] == "from-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/evalsys"

    app = create_app({"PAGE_SIZE": 11, "SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"})
    assert app.config["PAGE_SIZE"] == 11 and app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///x.db"
    assert app.config["SECRET_KEY"] == "from-environment"


def test_instance_path_moves_database_uploads_and_issued_files(clean_env, tmp_path):
    inst = tmp_path / "elsewhere" / "instance"
    clean_env.setenv("EVALSYS_INSTANCE_PATH", str(inst))
    app = create_app()
    assert app.instance_path == str(inst.resolve()) and inst.is_dir()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{inst.resolve() / 'evalsys.db'}"
    assert app.config["UPLOAD_DIR"] == str(inst.resolve() / "uploads")
    assert app.config["ISSUED_DIR"] == str(inst.resolve() / "issued")


def test_defaults_are_secure(clean_env, tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    c = app.config
    assert c["SESSION_COOKIE_HTTPONLY"] and c["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert c["SESSION_IDLE_TIMEOUT"].total_seconds() == 30 * 60
    assert c["SESSION_ABSOLUTE_TIMEOUT"].total_seconds() == 12 * 3600
    assert c["ARGON2_MEMORY_COST_KIB"] >= 19 * 1024 and c["ARGON2_TIME_COST"] >= 2
    assert not c["DEBUG"] and c["BABEL_DEFAULT_LOCALE"] == "zh"


# --- production refusals -------------------------------------------------------------------------

def _prod(tmp_path, **over):
    cfg = {"ENV_NAME": "production", "SECRET_KEY": PROD_SECRET, "AUDIT_HMAC_KEY": "audit-key-outside-db",
           "INSTANCE_PATH": str(tmp_path / "prod"), "SQLALCHEMY_DATABASE_URI": "postgresql://u@h/db"}
    cfg.update(over)
    return cfg


def test_production_starts_with_a_real_secret(clean_env, tmp_path):
    app = create_app(_prod(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["PREFERRED_URL_SCHEME"] == "https"


@pytest.mark.parametrize("override", [{"SECRET_KEY": DEFAULT_SECRET_KEY}, {"SECRET_KEY": ""},
                                      {"SECRET_KEY": "short-secret"}, {"DEBUG": True}, {"AUDIT_HMAC_KEY": None}])
def test_production_refuses_unsafe_settings(clean_env, tmp_path, override):
    with pytest.raises(ConfigurationError):
        create_app(_prod(tmp_path, **override))


def test_production_from_the_environment_refuses_the_default_secret(clean_env, tmp_path):
    clean_env.setenv("EVALSYS_ENV_NAME", "production")
    clean_env.setenv("EVALSYS_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()
    clean_env.setenv("SECRET_KEY", PROD_SECRET)
    clean_env.setenv("EVALSYS_AUDIT_HMAC_KEY", "k")
    clean_env.setenv("EVALSYS_DEBUG", "true")
    with pytest.raises(ConfigurationError, match="DEBUG"):
        create_app()
    clean_env.delenv("EVALSYS_DEBUG")
    assert create_app().config["SESSION_COOKIE_SECURE"] is True


# --- check-deploy and demo -----------------------------------------------------------------------

@pytest.fixture
def prod_app(db_url, tmp_path, make_app):
    return make_app(make_test_config(db_url, str(tmp_path / "prod"), ENV_NAME="production",
                                     SECRET_KEY=PROD_SECRET))


def test_check_deploy_passes_on_a_clean_migrated_production_database(prod_app):
    result = prod_app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_check_deploy_refuses_a_development_configuration(runner):
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 1 and "生产配置" in result.output


def test_check_deploy_refuses_demo_data(runner, prod_app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    result = prod_app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 1 and "演示数据" in result.output


def test_check_deploy_refuses_an_unmigrated_schema(template_db, tmp_path, make_app):
    url = template_db.create_empty()
    app = make_app(make_test_config(url, str(tmp_path / "p"), ENV_NAME="production", SECRET_KEY=PROD_SECRET))
    result = app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 1 and "db upgrade" in result.output


def test_check_deploy_refuses_a_schema_behind_the_head(app, prod_app):
    from flask_migrate import downgrade

    with app.app_context():
        downgrade(revision="-1")
        db.engine.dispose()
    result = prod_app.test_cli_runner().invoke(args=["check-deploy"])
    assert result.exit_code == 1 and "未迁移到最新版本" in result.output


def test_demo_refuses_under_production(prod_app):
    result = prod_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1 and "生产" in result.output
    with prod_app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0
        assert db.session.get(SystemFlag, "demo_data") is None


def test_demo_is_idempotent(app, runner):
    def counts():
        with app.app_context():
            return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Organisation,
                                                                                        AuditRecord))

    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0
    after_first = counts()
    assert re.search(rf"\b{after_first[0]} accounts\b", first.output)
    assert after_first[0] >= 112 and after_first[1] >= 60  # issue 2's accounts; later issues add more
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and re.search(r"\(0 accounts\b", second.output)
    assert counts() == after_first


# --- account commands ----------------------------------------------------------------------------

def test_create_user_reads_the_password_from_stdin(app, runner):
    result = runner.invoke(args=["create-user", "boss", "--role", "admin", "--password-stdin"],
                           input=TEST_PASSWORD + "\n")
    assert result.exit_code == 0 and "created boss (admin)" in result.output
    assert TEST_PASSWORD not in result.output
    result = runner.invoke(args=["create-user", "js-office", "--role", "authority", "--authority", "320000",
                                 "--password-stdin"], input=TEST_PASSWORD + "\n")
    assert result.exit_code == 0
    with app.app_context():
        boss = db.session.scalar(select(User).where(User.username == "boss"))
        assert boss.role == Role.ADMIN and not boss.demo_password
        assert db.session.scalar(select(User.authority_code).where(User.username == "js-office")) == "320000"
        rec = db.session.scalar(select(AuditRecord).where(AuditRecord.event == "user_created"))
        assert rec.user_id is None and rec.object_id == str(boss.id)
    assert login(app.test_client(), "boss").headers["Location"] == "/admin/"


@pytest.mark.parametrize("args, stdin, message", [
    (["weak", "--role", "admin"], "Password2015!\n", "常见"),
    (["nobind", "--role", "authority"], TEST_PASSWORD + "\n", "推荐单位"),
    (["someone", "--role", "applicant"], TEST_PASSWORD + "\n", "/auth/register"),
])
def test_create_user_refusals(app, runner, args, stdin, message):
    result = runner.invoke(args=["create-user", *args, "--password-stdin"], input=stdin)
    assert result.exit_code == 2 and message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_user_requires_password_stdin_and_unique_names(app, runner):
    assert runner.invoke(args=["create-user", "x1", "--role", "admin"], input=TEST_PASSWORD).exit_code == 2
    assert runner.invoke(args=["create-user", "x1", "--role", "admin", "--password-stdin"],
                         input=TEST_PASSWORD).exit_code == 0
    dup = runner.invoke(args=["create-user", "x1", "--role", "auditor", "--password-stdin"], input=TEST_PASSWORD)
    assert dup.exit_code == 2 and "已存在" in dup.output


def test_unlock_user(app, runner):
    from datetime import datetime, timedelta, timezone

    with app.app_context():
        user = make_user(Role.SECADMIN, username="locked-sec", commit=False)
        user.locked_until = datetime.now(timezone.utc) + timedelta(minutes=10)
        db.session.commit()
    c = app.test_client()
    assert login(c, "locked-sec").status_code == 200
    result = runner.invoke(args=["unlock-user", "locked-sec"])
    assert result.exit_code == 0 and "unlocked locked-sec" in result.output
    assert login(c, "locked-sec").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.event == "account_unlocked")) == 1
    assert runner.invoke(args=["unlock-user", "nobody"]).exit_code == 2


# --- headers and cookies -------------------------------------------------------------------------

def _cookie_header(response, name: str) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert found, response.headers.getlist("Set-Cookie")
    return found[-1]


def test_security_headers_on_every_page(app, client):
    r = client.get("/auth/login")
    csp = r.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    assert "Strict-Transport-Security" not in r.headers
    assert "no-store" not in r.headers.get("Cache-Control", "")
    assert client.get("/nope").headers["X-Content-Type-Options"] == "nosniff"  # error pages too


@pytest.mark.parametrize("role, home", [(Role.APPLICANT, "/applicant/"), (Role.SECADMIN, "/security/"),
                                        (Role.AUDITOR, "/audit/"), (Role.AUTHORITY, "/authority/")])
def test_authenticated_pages_are_not_stored_and_use_no_inline_code(app, client, role, home):
    with app.app_context():
        make_user(role, username="someone")
    login(client, "someone")
    for path in (home, "/auth/password"):
        r = client.get(path)
        assert r.status_code == 200 and "no-store" in r.headers["Cache-Control"]
        html = r.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handler"
        assert " style=" not in html, "inline style attribute"


def test_public_pages_use_no_inline_code(client):
    for path in ("/auth/login", "/auth/register", "/public/"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html, path


def test_session_cookie_flags_in_development(app, client):
    header = _cookie_header(client.get("/auth/login"), app.config["SESSION_COOKIE_NAME"])
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


def test_production_cookie_is_secure_and_hsts_is_sent(prod_app):
    client = prod_app.test_client()
    r = client.get("/auth/login", base_url="https://localhost")
    header = _cookie_header(r, prod_app.config["SESSION_COOKIE_NAME"])
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_language_cookie_flags(app, client):
    token = csrf_token(client)
    r = client.post("/public/lang/en", data={"csrf_token": token, "next": "/auth/login"})
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login"
    header = _cookie_header(r, "lang")
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert 'lang="en"' in client.get("/auth/login").get_data(as_text=True)
