"""Shared fixtures: a migrated template database cloned per test, the app, clients, login helpers."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, settings

from tests.dbutil import TemplateDatabase

# Property tests check results, not speed: on a shared 2-core machine a single example can take
# longer than Hypothesis' default 200 ms deadline, which would fail a correct test at random.
settings.register_profile("evalsys", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("evalsys")

TEST_PASSWORD = "Kx7#mQ2!vR9pLw"


def _migrate_to_head(url: str, instance: str) -> None:
    from flask_migrate import upgrade

    from evalsys import create_app
    from evalsys.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """The migrated template every test database is cloned from."""
    workdir = tmp_path_factory.mktemp("db")
    tpl = TemplateDatabase(workdir)
    try:
        tpl.build(lambda url: _migrate_to_head(url, str(workdir / "instance")))
    except BaseException:
        tpl.destroy()  # a template that failed to build is not left on the server
        raise
    yield tpl
    tpl.destroy()


@pytest.fixture
def db_url(template_db):
    """A fresh database for this test."""
    url = template_db.clone()
    yield url
    template_db.drop(url)


def make_test_config(db_url: str, instance_path: str, **overrides) -> dict:
    """The configuration tests run with: real CSRF, real hashing, throttle off unless asked for."""
    cfg = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "INSTANCE_PATH": instance_path,
        "SECRET_KEY": "test-secret-key-0123456789abcdef",
        "AUDIT_HMAC_KEY": "test-audit-key",
        "RATELIMIT_ENABLED": False,
    }
    cfg.update(overrides)
    return cfg


@pytest.fixture
def app_config():
    """Per-test configuration overrides (tests may update the dict before using `app`)."""
    return {}


@pytest.fixture
def app(db_url, tmp_path, app_config):
    """The application bound to this test's fresh database.

    No app context stays pushed: a request made inside one would share its `g` and database
    session with the test. Tests wrap direct database work in `with app.app_context():`.
    """
    from evalsys import create_app
    from evalsys.extensions import db

    application = create_app(make_test_config(db_url, str(tmp_path / "instance"), **app_config))
    yield application
    _join_background_threads()
    with application.app_context():
        db.engine.dispose()


def _join_background_threads(timeout: float = 30.0) -> None:
    """Wait for the app's background work (batch issuing, reset mail) before its engine is disposed:
    a connection given back to a disposed pool would be left open and garbage-collected later, in
    whichever test happens to run then."""
    import threading

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.name.startswith(("batch-", "password-reset-mail")):
            thread.join(timeout)


@pytest.fixture
def client(app):
    """A test client (cookies kept)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/auth/login") -> str:
    """The CSRF token of the client's session, read from a page that renders a form."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    m = CSRF_RE.search(html)
    assert m, f"no csrf token on {path}"
    return m.group(1)


def login(client, username: str, password: str = TEST_PASSWORD, *, follow: bool = False):
    """Post the login form like a browser does."""
    token = csrf_token(client)
    return client.post("/auth/login", data={"username": username, "password": password, "csrf_token": token},
                       follow_redirects=follow)


def post(client, path: str, data: dict | None = None, *, token_from: str | None = None, **kwargs):
    """POST with the session's CSRF token (read from `token_from`, default the login page)."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", csrf_token(client, token_from or "/auth/login"))
    return client.post(path, data=payload, **kwargs)


def session_cookie(app, client) -> dict:
    """The client's decoded Flask session cookie (empty when it has none)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def is_logged_in(client) -> bool:
    """True when the client's session still opens a page every logged-in account may open."""
    r = client.get("/auth/password")
    if r.status_code == 200:
        return True
    assert r.status_code == 302 and r.headers["Location"].startswith("/auth/login"), r.status_code
    return False


def audit_events(app, **where) -> list:
    """Audit records (detached AuditRecord objects, in id order) matching column=value filters."""
    from sqlalchemy import select

    from evalsys.extensions import db
    from evalsys.models import AuditRecord

    with app.app_context():
        stmt = select(AuditRecord).order_by(AuditRecord.id)
        for column, value in where.items():
            stmt = stmt.where(getattr(AuditRecord, column) == value)
        rows = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return rows


@pytest.fixture
def make_app():
    """Build further apps (a second worker, a production configuration); their engines are disposed afterwards."""
    from evalsys import create_app
    from evalsys.extensions import db

    built = []

    def build(config: dict):
        application = create_app(config)
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def demo_site(template_db, tmp_path_factory):
    """The demo loaded once per test process (loading is the slow part), for checks that walk its pages.

    Shared: a test that walks it may log in and read, but must not change what other walks see."""
    from evalsys import create_app
    from evalsys.demo import load_demo
    from evalsys.extensions import db
    from evalsys.services import audit

    url = template_db.clone()
    app = create_app(make_test_config(url, str(tmp_path_factory.mktemp("demo-site") / "instance")))
    with app.app_context():
        load_demo()
        db.session.commit()
        audit.chain_pending()
    yield app
    with app.app_context():
        db.engine.dispose()
    template_db.drop(url)
