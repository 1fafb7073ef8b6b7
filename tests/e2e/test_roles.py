"""Each role at work in a real browser on the demo, at 1440 px and at phone width (390 px), in Chinese and in
English: log in, find the work list (待办) on the home page, reach a page through the menu (behind the
toggler on a phone), and do one task from the work list.

What the task acts on is prepared through the services for each test (a locked account, an organisation to
verify, a draft, a sheet to score), so every test finds its own item and the tests do not depend on order."""
from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest

from tests.e2e.conftest import open_as

pytestmark = pytest.mark.e2e

HOMES = {"admin": "/admin/", "authority-320000": "/authority/", "reviewer01": "/review/",
         "applicant01": "/applicant/", "secadmin": "/security/", "auditor": "/audit/"}
_seq = itertools.count(1)


@pytest.fixture(scope="module")
def work(demo_server):
    """What the module's tasks share: an open enterprise call in which applicant01 has a draft, and a call
    in its review window in which reviewer01 has a sheet to fill."""
    from sqlalchemy import select

    from evalsys.domain.workflow import ApplicationState
    from evalsys.extensions import db
    from evalsys.models import Assignment, Organisation, ReviewerProfile, User
    from evalsys.services.applications import start_application
    from tests import reviewutil
    from tests.factories import make_call

    with demo_server.app.app_context():
        applicant = db.session.scalar(select(User).where(User.username == "applicant01"))
        call = make_call(title="浏览器测试申报批次")
        organisation = db.session.get(Organisation, applicant.organisation_id)
        draft = start_application(call, organisation, actor=applicant)
        review_call = reviewutil.make_call()
        review_call.title = "浏览器测试评审批次"
        (scored,) = reviewutil.make_applications(review_call, 1, state=ApplicationState.UNDER_REVIEW)
        profile = db.session.scalar(select(ReviewerProfile).join(User, User.id == ReviewerProfile.user_id)
                                    .where(User.username == "reviewer01"))
        assignment = Assignment(call_id=review_call.id, application_id=scored.id, reviewer_id=profile.id)
        db.session.add(assignment)
        db.session.commit()
        return {"draft": draft.id, "assignment": assignment.id, "review_call": review_call.title,
                "call": call.title}


def _in_app(server, fn):
    from evalsys.extensions import db

    with server.app.app_context():
        result = fn(db)
        db.session.commit()
        return result


def _open_menu_entry(page, width: int) -> None:
    """Reach the second menu entry: at phone width the menu is collapsed behind the toggler."""
    from playwright.sync_api import expect

    menu = page.locator("#main-nav")
    toggler = page.locator(".navbar-toggler")
    if width < 1200:
        expect(toggler).to_be_visible()
        expect(menu).to_be_hidden()
        toggler.click()
        expect(menu).to_be_visible()
        expect(toggler).to_have_attribute("aria-expanded", "true")
    else:
        expect(toggler).to_be_hidden()
        expect(menu).to_be_visible()
    entry = menu.locator("a.nav-link").nth(1)
    href = entry.get_attribute("href")
    entry.click()
    expect(page).to_have_url(re.compile(re.escape(href) + r"(\?.*)?$"))
    expect(page.locator("main h1").first).to_be_visible()


def _work_list(page, home: str, language: str):
    """The home page's work list: its heading in the interface language, and its items."""
    from playwright.sync_api import expect

    page.goto(home)
    expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-CN")
    todo = page.locator("section.todo")
    expect(todo).to_be_visible()
    expect(todo.locator("h2")).to_have_text("To do" if language == "en" else "待办")
    return todo


def _item(todo, href_part: str):
    """The work-list item whose link leads to `href_part`."""
    from playwright.sync_api import expect

    item = todo.locator(".todo-item", has=todo.page.locator(f'a[href*="{href_part}"]')).first
    expect(item).to_be_visible()
    return item


def _confirm(scope) -> None:
    """Press the action's button; when it asks to confirm (without JavaScript: a <details>), open it first."""
    details = scope.locator("details")
    if details.count():
        details.first.locator("summary").click()
        scope = details.first
    scope.locator('button[type="submit"]').click()


def _success(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".alert-success")).to_be_visible()


# --- one task per role ------------------------------------------------------------------------------------
def task_admin(page, server, work, language):
    """Open a formal check from the work list: the recommended applications of the call, then one of them
    with the decision form."""
    from playwright.sync_api import expect

    todo = _work_list(page, HOMES["admin"], language)
    item = _item(todo, "state=recommended")
    expect(item.locator(".todo-count")).to_have_text(re.compile(r"^\d+$"))
    item.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/admin/calls/[^/]+\?state=recommended$"))
    page.locator("main table a[href*='/applications/']").first.click()
    expect(page).to_have_url(re.compile(r"/admin/calls/[^/]+/applications/\d+$"))
    expect(page.locator('select[name="decision"]')).to_be_visible()


def task_authority(page, server, work, language):
    """Verify an organisation that registered in its jurisdiction, reached from the work list."""
    from playwright.sync_api import expect

    from evalsys.models import Organisation, OrganisationState
    from tests.factories import make_org

    name = f"浏览器测试核验单位{next(_seq)}有限公司"
    org_id = _in_app(server, lambda db: make_org(name=name, state=OrganisationState.UNVERIFIED).id)
    todo = _work_list(page, HOMES["authority-320000"], language)
    _item(todo, "/authority/organisations").locator("a").first.click()
    row = page.locator("tr", has_text=name)
    expect(row).to_be_visible()
    _confirm(row)
    _success(page)
    state = _in_app(server, lambda db: db.session.get(Organisation, org_id).state)
    assert state == OrganisationState.VERIFIED


def task_reviewer(page, server, work, language):
    """Open the score sheet from the work list, give the first indicator a score and save the draft."""
    from playwright.sync_api import expect

    from evalsys.models import ScoreSheet, SheetState

    todo = _work_list(page, HOMES["reviewer01"], language)
    item = _item(todo, f"/review/assignments/{work['assignment']}")
    expect(item).to_contain_text(work["review_call"])
    expect(item.locator("time")).to_have_count(1)  # the review window's end, in Beijing time
    item.locator("a").first.click()
    score = page.locator('input[name^="score_"]').first
    score.fill("1.5")
    page.locator('[name="save"]').click()
    _success(page)
    expect(page.locator('input[name^="score_"]').first).to_have_value("1.5")

    def saved(db):
        from sqlalchemy import select

        return db.session.scalar(select(ScoreSheet.state)
                                 .where(ScoreSheet.assignment_id == work["assignment"]))

    assert _in_app(server, saved) == SheetState.DRAFT


def task_applicant(page, server, work, language):
    """Open the draft from the work list, change a field and save the draft."""
    from playwright.sync_api import expect

    from evalsys.models import Application

    todo = _work_list(page, HOMES["applicant01"], language)
    item = _item(todo, f"/applicant/applications/{work['draft']}")
    expect(item).to_contain_text(work["call"])
    item.locator("a").first.click()
    page.locator(f'main a[href$="/applications/{work["draft"]}/edit"]').first.click()
    representative = f"陈刚{next(_seq)}"
    page.fill('[name="legal_representative"]', representative)
    page.locator('[name="save"]').click()
    _success(page)
    stored = _in_app(server, lambda db: db.session.get(Application, work["draft"]).legal_representative)
    assert stored == representative


def task_secadmin(page, server, work, language):
    """Unlock an account that a run of failed logins locked, found from the work list."""
    from playwright.sync_api import expect

    from evalsys.models import Role, User
    from evalsys.models.types import utcnow
    from tests.factories import make_user

    username = f"e2e-locked-{next(_seq)}"

    def lock(db):
        user = make_user(Role.AUDITOR, username=username, commit=False)
        user.locked_until = utcnow() + timedelta(hours=1)
        return user.id

    user_id = _in_app(server, lock)
    todo = _work_list(page, HOMES["secadmin"], language)
    item = _item(todo, "/security/")
    expect(item).to_have_class(re.compile(r"todo-warning"))
    item.locator("a").first.click()
    page.fill('main input[name="q"]', username)
    page.locator('main form[method="get"] button').click()
    page.locator("main table").get_by_role("link", name=username, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/security/users/{user_id}$"))
    _confirm(page.locator(f'main form[action$="/users/{user_id}/unlock"]'))
    _success(page)
    assert _in_app(server, lambda db: db.session.get(User, user_id).locked_until) is None


def task_auditor(page, server, work, language):
    """Check the chain status on the work list, then filter the audit trail by user."""
    from playwright.sync_api import expect

    todo = _work_list(page, HOMES["auditor"], language)
    expect(todo.locator(".todo-item")).to_have_count(2)  # the chain and the archive
    page.fill('main input[name="username"]', "admin")
    page.locator('main form[method="get"] button').click()
    expect(page).to_have_url(re.compile(r"[?&]username=admin(&|$)"))
    users = page.locator("main table tbody tr td:nth-child(3)")
    expect(users.first).to_have_text("admin")
    assert set(users.all_inner_texts()) <= {"admin", ""}  # detail rows carry no user cell text


TASKS = {"admin": task_admin, "authority-320000": task_authority, "reviewer01": task_reviewer,
         "applicant01": task_applicant, "secadmin": task_secadmin, "auditor": task_auditor}
# Each role at both widths and in both languages, the pairs alternating from role to role so that every
# width meets every language (four views per role would double the browser time for little more).
CASES = [(username, width, language)
         for i, username in enumerate(TASKS)
         for width, language in ([(1440, "zh"), (390, "en")] if i % 2 == 0 else [(1440, "en"), (390, "zh")])]


@pytest.mark.parametrize(("username", "width", "language"), CASES,
                         ids=[f"{u}-{w}px-{lang}" for u, w, lang in CASES])
def test_role_work_list_menu_and_task(browser, demo_server, work, username, width, language):
    page = open_as(browser, demo_server, username, width=width, language=language)
    try:
        page.goto(HOMES[username])
        for part in ("nav.navbar", "section.todo"):  # the menu and the work list fit the window
            box = page.locator(part).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (part, box, width)
        assert page.evaluate("document.querySelector('nav.navbar').scrollWidth") <= width
        _open_menu_entry(page, width)
        TASKS[username](page, demo_server, work, language)
    finally:
        page.context.close()
