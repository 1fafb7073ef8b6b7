"""The English interface: in English mode no interface label of any role's page is Chinese, and English
text carries no full-width punctuation.

Interface labels are the texts a user reads to find their way: form labels, buttons, table headers,
headings (h1-h4), definition terms, legends, captions, badges, the options of a select, menu and
navigation links, links styled as buttons, flash messages, and the placeholder, title, aria-label and
alt attributes. Data is not a label: an organisation's or a person's name, a title a user typed, a notice's
document number. A template marks such a value where it sits inside a label with the standard attribute
`translate="no"` (content that is not to be translated), or with `lang="zh..."` where the text is Chinese
on purpose (the language switch). Text inside such an element is left out of the check; nothing else is.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.crawl import ACCOUNTS, role_pages

CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
FULL_WIDTH = re.compile(r"[（）：，；。！？【】、“”]")
LABEL_TAGS = {"label", "button", "th", "dt", "legend", "caption", "h1", "h2", "h3", "h4", "option", "summary"}
LABEL_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _classes(attrs: dict) -> set[str]:
    return set((attrs.get("class") or "").split())


class LabelCollector(HTMLParser):
    """Collects (element, text) for every interface label of a page, leaving out text marked as data."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.open_labels: list[tuple[str, list[str]]] = []  # (description, text parts), innermost last
        self.found: list[tuple[str, str]] = []

    # -- which elements are labels -------------------------------------------------------------
    def _is_data(self, attrs: dict) -> bool:
        return attrs.get("translate") == "no" or (attrs.get("lang") or "").startswith("zh")

    def _inside_data(self) -> bool:
        return any(self._is_data(a) for _, a in self.stack)

    def _inside(self, tag: str, cls: str | None = None) -> bool:
        return any(t == tag and (cls is None or cls in _classes(a)) for t, a in self.stack)

    def _label_kind(self, tag: str, attrs: dict) -> str | None:
        cls = _classes(attrs)
        if tag in LABEL_TAGS:
            return tag
        if tag == "a" and (self._inside("nav") or {"btn", "nav-link", "dropdown-item", "page-link"} & cls
                           or self._inside("div", "account-menu-items")):
            return "menu link" if self._inside("nav") or self._inside("details") else "button link"
        if tag == "div" and "alert" in cls and attrs.get("role") == "alert":
            return "flash"
        if tag == "span" and "badge" in cls:
            return "badge"
        return None

    # -- parsing -------------------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        data = self._inside_data() or self._is_data(attrs)
        if not data:
            for name in LABEL_ATTRIBUTES:
                if attrs.get(name):
                    self.found.append((f"{tag}[{name}]", attrs[name]))
            if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
                self.found.append(("input button", attrs["value"]))
        if tag in VOID:
            return
        self.stack.append((tag, attrs))
        kind = self._label_kind(tag, attrs)
        if kind:
            self.open_labels.append((kind, []))
        else:
            self.open_labels.append(("", []))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID or not any(t == tag for t, _ in self.stack):
            return
        while self.stack:  # close elements left open (lenient, like a browser)
            t, _ = self.stack.pop()
            kind, parts = self.open_labels.pop()
            if kind:
                text = " ".join(" ".join(parts).split())
                if text:
                    self.found.append((kind, text))
            if t == tag:
                break

    def handle_data(self, data):
        if self._inside_data() or not data.strip():
            return
        # The text belongs to the innermost label element (a button inside a th is a button, not a header).
        for kind, parts in reversed(self.open_labels):
            if kind:
                parts.append(data)
                break


def labels_of(html: str) -> list[tuple[str, str]]:
    """(element, text) of every interface label on a page."""
    collector = LabelCollector()
    collector.feed(html)
    collector.close()
    return collector.found


def not_english(text: str) -> str | None:
    """Why a label text is not English, or None."""
    if CHINESE.search(text):
        return "Chinese"
    if FULL_WIDTH.search(text):
        return "full-width punctuation"
    return None


# -- the collector itself --------------------------------------------------------------------------

def test_the_collector_finds_chinese_labels_and_leaves_marked_data_out():
    html = """<nav><a class="nav-link" href="/x">工作台</a></nav>
      <form><label for="u">用户名</label><input id="u" placeholder="请输入"><button>Sign in</button>
      <select><option>草稿</option></select></form>
      <table><tr><th>Organisation</th><th>Score（raw）</th></tr>
      <tr><td>某某公司</td></tr></table>
      <h2>Application <span translate="no">某某公司</span></h2>
      <button lang="zh-CN">简体中文</button>
      <div class="alert alert-info" role="alert">已保存</div>
      <p>正文段落不是标签</p>"""
    bad = {(kind, text, not_english(text)) for kind, text in labels_of(html) if not_english(text)}
    assert bad == {
        ("menu link", "工作台", "Chinese"), ("label", "用户名", "Chinese"), ("input[placeholder]", "请输入", "Chinese"),
        ("option", "草稿", "Chinese"), ("th", "Score（raw）", "full-width punctuation"), ("flash", "已保存", "Chinese"),
    }


# -- every page of every role ----------------------------------------------------------------------

@pytest.mark.parametrize("username", list(ACCOUNTS), ids=lambda u: u or "visitor")
def test_no_english_page_shows_chinese_in_an_interface_label(demo_site, username):
    pages = role_pages(demo_site, username, language="en")
    assert len(pages) >= 2, "the walk found no pages"
    problems = []
    for page in pages:
        assert '<html lang="en"' in page.html, page.url
        for kind, text in labels_of(page.html):
            why = not_english(text)
            if why:
                problems.append(f"{page.url} · {kind} · {why}: {text[:80]}")
    assert not problems, f"{len(problems)} labels not in English:\n" + "\n".join(sorted(set(problems)))


# -- flash messages --------------------------------------------------------------------------------

def _unmarked_flash_texts() -> list[str]:
    """Chinese text written in the code that reaches flash() without passing through gettext."""
    import ast
    from pathlib import Path

    marked = {"gettext", "_", "ngettext", "pgettext", "lazy_gettext"}
    root = Path(__file__).resolve().parents[2] / "evalsys"
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "flash" and call.args):
                continue
            stack = [call.args[0]]
            while stack:
                node = stack.pop()
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in marked:
                    continue
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and CHINESE.search(node.value):
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {node.value[:40]}")
                stack.extend(ast.iter_child_nodes(node))
    return found


def test_flash_messages_written_in_the_code_are_translated():
    """A confirmation the code writes (flash) is marked for the catalogue, so it is English in English mode.
    Refusal messages that come from the domain and services are marked templates, translated where they are
    shown (tests/views/test_english_refusals.py, tests/domain/test_error_messages.py)."""
    assert _unmarked_flash_texts() == []


def test_a_flash_message_is_english_in_english_mode(app, client):
    from tests.conftest import login, post
    from tests.factories import make_user

    with app.app_context():
        make_user(username="flash-en")
    client.set_cookie("lang", "en")
    assert login(client, "flash-en").status_code == 302
    r = post(client, "/auth/logout", token_from="/auth/password", follow_redirects=True)
    flashes = [t for kind, t in labels_of(r.get_data(as_text=True)) if kind == "flash"]
    assert "You have signed out." in flashes, flashes


# -- spreadsheets ------------------------------------------------------------------------------------
# The XLSX working tables follow the reader's language in their headers (the cells keep the data as it was
# entered). Left in Chinese by design: the import templates (the importers read their Chinese headers back),
# the ranking workbook of the review committee and the signed PDF reports and receipts (official paperwork
# of the ministry, in Chinese whatever the language of the page that asked for them).

def _header_row(data: bytes) -> list[str]:
    import io

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [str(c.value) for c in next(ws.iter_rows(max_row=1)) if c.value is not None]


def test_the_applications_workbook_has_english_headers_in_english_mode(demo_site):
    from tests.crawl import login_demo

    client = demo_site.test_client()
    login_demo(client, "admin")
    chinese = _header_row(client.get("/admin/calls/enterprise-2015-2016/export.xlsx").data)
    client.set_cookie("lang", "en")
    english = _header_row(client.get("/admin/calls/enterprise-2015-2016/export.xlsx").data)
    assert "单位名称" in chinese and len(english) == len(chinese) > 20
    assert "Organisation name" in english and "E-commerce revenue last year (yuan)" in english, english
    assert [h for h in english if not_english(h)] == []


def test_the_audit_export_has_english_headers_in_english_mode(app, client):
    from evalsys.models import Role
    from tests.conftest import login
    from tests.factories import make_user

    with app.app_context():
        make_user(Role.AUDITOR, username="aud-en")
    client.set_cookie("lang", "en")
    assert login(client, "aud-en").status_code == 302
    headers = _header_row(client.get("/audit/export.xlsx").data)
    assert headers[:3] == ["No.", "Time (UTC)", "User"] and [h for h in headers if not_english(h)] == []
    csv_header = client.get("/audit/export.csv").data.decode("utf-8-sig").splitlines()[0]
    assert csv_header.startswith("No.,Time (UTC),User,Role,IP,Event")


def test_the_application_form_is_english_in_english_mode(app, client):
    """The draft form (not reached by the demo walk: the demo has no draft) labels its figures and report
    sections with the indicator system's English titles."""
    from evalsys.extensions import db
    from tests.conftest import login
    from tests.factories import make_application, make_call, make_user

    with app.app_context():
        user = make_user(username="draft-en")
        call = make_call()
        app_id = make_application(call, user.organisation, complete=False).id
        db.session.commit()
    client.set_cookie("lang", "en")
    assert login(client, "draft-en").status_code == 302
    html = client.get(f"/applicant/applications/{app_id}/edit").get_data(as_text=True)
    found = dict((text, kind) for kind, text in labels_of(html))
    assert "E-commerce revenue last year" in found and "Company profile" in found, sorted(found)
    assert [(k, t) for t, k in found.items() if not_english(t)] == []


def test_a_refused_form_explains_in_english(app, client):
    """Validation messages of the forms are marked for the catalogue and shown translated beside the field."""
    from evalsys.models import Role
    from tests.conftest import login, post
    from tests.factories import make_user

    with app.app_context():
        make_user(Role.ADMIN, username="admin-en")
    client.set_cookie("lang", "en")
    assert login(client, "admin-en").status_code == 302
    r = post(client, "/admin/calls/new", {"code": "", "title": ""}, token_from="/admin/calls/new")
    html = r.get_data(as_text=True)
    assert "Please give the call code" in html and "请填写批次代码" not in html


def test_remembered_translations_follow_each_request_language(app):
    """Messages are looked up once per language and process: the next request in the other language still
    gets its own text, and arguments are filled in each time."""
    from flask_babel import gettext, lazy_gettext, pgettext

    from evalsys.i18n import RememberingDomain
    from flask_babel import get_domain

    seen = []
    for lang in ("en", "zh", "en", "zh"):
        with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
            assert isinstance(get_domain(), RememberingDomain)
            seen.append((gettext("退出"), str(lazy_gettext("退出")), pgettext("grade", "优"),
                         gettext("合计（%(n)s 个基地）", n=len(seen) + 1)))
    assert seen == [("Log out", "Log out", "Excellent", "Total (1 bases)"),
                    ("退出", "退出", "优", "合计（2 个基地）"),
                    ("Log out", "Log out", "Excellent", "Total (3 bases)"),
                    ("退出", "退出", "优", "合计（4 个基地）")]


def test_imported_macros_speak_the_language_of_each_page(app, client):
    """The list control and the pages under a list come from macros imported from other templates; after a page in
    Chinese, the next page in English shows them in English (and back)."""
    from evalsys.models import Role
    from tests.conftest import login
    from tests.factories import make_user

    with app.app_context():
        make_user(Role.ADMIN, username="macro-en")
    assert login(client, "macro-en").status_code == 302
    for lang, word, other in (("zh", "查询", ">Search<"), ("en", ">Search<", "查询"), ("zh", "查询", ">Search<")):
        client.set_cookie("lang", lang)
        html = client.get("/admin/review/reviewers").get_data(as_text=True)
        assert word in html and other not in html, lang
