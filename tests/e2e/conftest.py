"""Browser tests: the app on a fresh database behind a real HTTP server, driven by Debian's Chromium.

The pip package's own browser download does not work here, so Playwright launches
/usr/bin/chromium (installed by scripts/test.sh / .ci/run). A missing browser fails the test with
a message saying so: a browser test that silently skips proves nothing.
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.conftest import make_test_config

# EVALSYS_E2E_CHROMIUM exists to check that a missing browser fails the test.
CHROMIUM = os.environ.get("EVALSYS_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 20_000  # per action; the whole journey stays far below the suite's minute


@dataclass
class LiveServer:
    """The app being served: its base URL and the Flask app (for setting up data through services)."""

    url: str
    app: object


def _whole_bodies(app):
    """The app with every response body read whole (and its iterable closed) before any byte is sent.

    werkzeug's development server skips closing the body when the browser drops the connection
    halfway through it (its clean-up reads the socket first, and that read fails on a reset): a
    static file left open then warns at garbage collection, in whichever test runs next."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def _serve(app) -> Iterator[str]:
    """Serve `app` with werkzeug on 127.0.0.1 and a free port, in a thread; yields the base URL."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs) -> None:  # errors are still logged
            pass

    server = make_server("127.0.0.1", 0, _whole_bodies(app), threaded=True, request_handler=QuietHandler)  # port 0: the OS picks a free one
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(template_db, tmp_path_factory) -> Iterator[LiveServer]:
    """The app on its own cloned database, served by werkzeug on 127.0.0.1 and a free port."""
    from evalsys import create_app
    from evalsys.extensions import db

    url = template_db.clone()
    app = create_app(make_test_config(url, str(tmp_path_factory.mktemp("e2e") / "instance")))
    try:
        with _serve(app) as base_url:
            yield LiveServer(base_url, app)
    finally:
        with app.app_context():
            db.engine.dispose()
        template_db.drop(url)


@pytest.fixture(scope="session")
def demo_server(template_db, tmp_path_factory) -> Iterator[LiveServer]:
    """The demo loaded once per test process on its own database, served like `live_server`.

    Shared by the browser modules: a test may change what it works on (one draft, one score sheet),
    but must leave every page of every role reachable as the walk of tests/crawl.py finds it."""
    from evalsys import create_app
    from evalsys.demo import load_demo
    from evalsys.extensions import db
    from evalsys.services import audit

    url = template_db.clone()
    app = create_app(make_test_config(url, str(tmp_path_factory.mktemp("e2e-demo") / "instance")))
    try:
        with app.app_context():
            load_demo()
            db.session.commit()
            audit.chain_pending()
        with _serve(app) as base_url:
            yield LiveServer(base_url, app)
    finally:
        with app.app_context():
            db.engine.dispose()
        template_db.drop(url)


def _launch(pw):
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
                    "(scripts/test.sh does: apt-get install chromium). Browser tests cannot run without it.",
                    pytrace=False)
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser():
    """Launches Chromium through Playwright on first use, inside the test, so that a missing browser
    or Playwright makes the test FAIL with a message (a fixture error or a skip would hide it).

    One per module, stopped at its end: Playwright's synchronous API keeps an event loop running in
    the test process while it is started, and the tests of other modules that run after it in the same
    process call asyncio.run() (PDF signing), which refuses to run inside a running loop."""
    state: dict = {}

    def get():
        if "browser" not in state:
            try:
                from playwright.sync_api import sync_playwright
            except ImportError as exc:  # the test extra installs it
                pytest.fail(f"Playwright is not installed ({exc}): pip install -e .[test]", pytrace=False)
            state["playwright"] = sync_playwright().start()
            state["browser"] = _launch(state["playwright"])
        return state["browser"]

    yield get
    if "browser" in state:
        state["browser"].close()
    if "playwright" in state:
        state["playwright"].stop()


@pytest.fixture
def new_page(browser, live_server):
    """A factory of pages, each in its own browser context (its own cookies: one per person)."""
    contexts = []

    def make():
        context = browser().new_context(base_url=live_server.url, locale="zh-CN")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def open_as(browser, server: LiveServer, username: str | None, *, width: int = 1440, language: str = "zh",
            password: str | None = None, **context_options):
    """A page in a new browser context (`width` px wide, interface in `language`), logged in through the
    login form as `username` (a demo account unless `password` is given; None: a visitor).
    The caller closes `page.context`."""
    from playwright.sync_api import expect

    from tests.crawl import DEMO_PASSWORD

    context = browser().new_context(base_url=server.url, locale="zh-CN",
                                    viewport={"width": width, "height": 900}, **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    if language != "zh":
        context.add_cookies([{"name": "lang", "value": language, "url": server.url}])
    page = context.new_page()
    if username:
        page.goto("/auth/login")
        page.fill('input[name="username"]', username)
        page.fill('input[name="password"]', password or DEMO_PASSWORD)
        page.locator('main form button[type="submit"]').click()
        expect(page).not_to_have_url(re.compile(r"/auth/login"))
    return page
