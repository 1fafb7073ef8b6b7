"""Accessibility in the browser (GB/T 37668-2019, WCAG 2.1 AA) on the demo: axe-core finds no serious or
critical violation on any page of any role, and each role's home page works from the keyboard alone
(a skip link first, every control reached by Tab, a visible focus on each).

axe-core is vendored in tests/e2e/vendor (see its README): nothing is fetched at test time. The pages are
the ones the walk of tests/crawl.py finds, one per GET endpoint, opened in Chinese at 1440 px, and each home
page in English at 390 px with the menu open; axe runs the rules of WCAG 2.0/2.1 levels A and AA."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawl import ACCOUNTS, role_pages
from tests.e2e.conftest import open_as

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
ROLES = list(ACCOUNTS)
IDS = [name or "visitor" for name in ROLES]
# The API reference is one static page whatever the account: checked on the admin's walk only.
SAME_FOR_EVERY_ACCOUNT = {"api_docs.docs": "admin"}

RUN_AXE = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.map(n => n.target.join(' '))}));
}"""


def _ready(page, endpoint: str) -> None:
    """Wait for what a script renders after loading (Swagger UI draws the API reference)."""
    if endpoint == "api_docs.docs":
        page.wait_for_selector("#swagger-ui .opblock")
        page.wait_for_selector("#servers[aria-label]")


@pytest.mark.parametrize("username", ROLES, ids=IDS)
def test_no_serious_or_critical_axe_violation_on_any_page(browser, demo_server, username):
    pages = [p for p in role_pages(demo_server.app, username)
             if SAME_FOR_EVERY_ACCOUNT.get(p.endpoint, username) == username]
    assert len(pages) >= 3, f"the walk found too few pages for {username}: {[p.url for p in pages]}"
    page = open_as(browser, demo_server, username)
    page.context.add_init_script(path=str(AXE))  # into every page before its own scripts; no CSP applies
    problems = []
    try:
        for found in pages:
            response = page.goto(found.url)
            assert response is not None and response.ok, (found.url, response and response.status)
            _ready(page, found.endpoint)
            for v in page.evaluate(RUN_AXE):
                if v["impact"] in BLOCKING:
                    problems.append(f"{found.url} ({found.endpoint}): {v['id']} [{v['impact']}] {v['help']} "
                                    f"— {len(v['targets'])}× e.g. {v['targets'][:4]}")
    finally:
        page.context.close()
    who = username or "a visitor"
    assert not problems, f"{len(problems)} serious/critical axe violations for {who}:\n" + "\n".join(problems)



@pytest.mark.parametrize("username", ROLES, ids=IDS)
def test_home_page_in_english_at_phone_width_with_the_menu_open(browser, demo_server, username):
    """The other layout and language: the collapsed menu opened by its toggler, the English labels."""
    from playwright.sync_api import expect

    page = open_as(browser, demo_server, username, width=390, language="en")
    page.context.add_init_script(path=str(AXE))
    try:
        page.goto(ACCOUNTS[username])
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.locator(".navbar-toggler").click()
        expect(page.locator("#main-nav")).to_be_visible()
        problems = [f"{v['id']} [{v['impact']}] {v['help']} — {v['targets'][:4]}"
                    for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]
    finally:
        page.context.close()
    assert not problems, f"{ACCOUNTS[username]} in English at 390 px:\n" + "\n".join(problems)

# Every control a keyboard can reach: visible, enabled, not taken out of the tab order.
MARK_CONTROLS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
                   + '[tabindex]:not([tabindex="-1"])';
  const controls = [...document.querySelectorAll(selector)]
    .filter(e => !e.disabled && e.checkVisibility({visibilityProperty: true}));
  controls.forEach((e, i) => { e.dataset.kb = String(i); });
  return controls.map(e => [e.tagName.toLowerCase(), e.getAttribute('href') || e.name || '',
                            e.textContent.trim().slice(0, 30)].join(' '));
}"""
# The focused element, whether it is inside <main>, and whether the focus shows (ring, outline or shadow).
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  // a date or time field: the browser highlights the part being typed
  const segmented = e.tagName === 'INPUT' && /^(date|datetime-local|time|month|week)$/.test(e.type);
  return {kb: e.dataset.kb ?? null, tag: e.tagName.toLowerCase(),
          text: (e.textContent || e.name || '').trim().slice(0, 30),
          inMain: !!e.closest('main'), visible: ring || segmented, onScreen: r.width > 0 && r.height > 0,
          isSkip: e.classList.contains('skip-link')};
}"""


@pytest.mark.parametrize("username", ROLES, ids=IDS)
def test_home_page_works_from_the_keyboard(browser, demo_server, username):
    from playwright.sync_api import expect

    page = open_as(browser, demo_server, username, reduced_motion="reduce")
    try:
        page.goto(ACCOUNTS[username])
        # The first Tab reaches the skip link, shown while focused; Enter moves the focus into <main>.
        page.keyboard.press("Tab")
        first = page.evaluate(FOCUSED)
        assert first and first["isSkip"] and first["onScreen"] and first["visible"], first
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        after_skip = page.evaluate(FOCUSED)
        assert after_skip and after_skip["inMain"], f"Tab after the skip link left <main>: {after_skip}"

        # Tab through the whole page: every control is reached, each with a visible focus.
        page.goto(ACCOUNTS[username])
        controls = page.evaluate(MARK_CONTROLS)
        nav_links = page.locator("#main-nav a.nav-link")
        if username:
            expect(nav_links.first).to_be_visible()
        reached, hidden_focus = set(), []
        for _ in range(3 * len(controls) + 10):  # a date field takes a Tab per part
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused is None:
                continue
            if focused["kb"] is not None:
                reached.add(int(focused["kb"]))
            if not (focused["visible"] and focused["onScreen"]):
                hidden_focus.append(focused)
            if len(reached) == len(controls):
                break
        missing = [controls[i] for i in range(len(controls)) if i not in reached]
        assert not missing, f"not reached by Tab on {ACCOUNTS[username]}: {missing}"
        assert not hidden_focus, f"focus not visible on {ACCOUNTS[username]}: {hidden_focus}"
        if username:  # the navigation and the work list were among them
            assert nav_links.count() >= 2
            todo_links = page.locator("section.todo a")
            assert all(link.get_attribute("data-kb") is not None for link in todo_links.all())
    finally:
        page.context.close()
