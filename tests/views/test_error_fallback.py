"""Error pages: a bare Chinese page when the layout itself fails, and addresses that cannot name a page."""
from __future__ import annotations

import pytest

from evalsys import views
from evalsys.views import NAV
from evalsys.models import Role
from tests.conftest import login
from tests.factories import make_user


@pytest.fixture
def broken_nav():
    """A navigation entry whose endpoint does not exist makes base.html fail to build its URL."""
    NAV[Role.ADMIN].append(("admin.no_such_page", "坏链接"))
    views._menus.clear()  # menus are built once per role and language: rebuild with the broken entry
    yield
    NAV[Role.ADMIN].pop()
    views._menus.clear()


def test_a_layout_failure_still_gives_a_bare_error_page(app, client, broken_nav):
    with app.app_context():
        make_user(Role.ADMIN, username="fallback-admin")
    login(client, "fallback-admin")
    r = client.get("/admin/")
    body = r.get_data(as_text=True)
    assert r.status_code == 500
    assert "系统内部错误" in body and "事件编号" in body
    assert "Traceback" not in body and "BuildError" not in body and "no_such_page" not in body


def test_a_missing_page_with_a_working_layout_uses_the_full_template(app, client):
    r = client.get("/public/no-such-page")
    body = r.get_data(as_text=True)
    assert r.status_code == 404 and "页面不存在" in body
    assert "<nav" in body  # the real layout, not the fallback


@pytest.mark.parametrize("path", ["/admin/evaluations/%00", "/admin/calls/%00/ranking", "/public/verify/%00",
                                  "/admin/calls/a%01b/decisions"])
def test_a_control_character_in_the_address_is_not_found_never_a_500(app, client, path):
    with app.app_context():
        make_user(Role.ADMIN, username="nul-admin")
    login(client, "nul-admin")
    r = client.get(path)
    assert r.status_code == 404 and "页面不存在" in r.get_data(as_text=True)
