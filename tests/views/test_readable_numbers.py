"""Readable numbers and names everywhere: no page of any role at demo scale, no PDF and no spreadsheet
it offers shows an internal key (snake_case, a bare state or type code), a number with more decimals
than its rounding, or scientific notation; and every data table scrolls inside its own container.

What is read is what a person sees: the text of the page without scripts, styles and hidden fields
(attribute values are not shown). Two exceptions, both named where they apply:
- the indicator system's own definition pages (`/admin/criteria…`) show each field id beside its
  name, because the formulas and gates written in the criteria file refer to fields by these ids;
- `<code>` holds a verbatim machine record shown as evidence (the audit detail of a record, whose
  bytes are what the hash chain covers); it is shown as recorded, not as a label.

The rounding (domain/formatting.py, domain/units.py): money, scores, percentages and unit-less
values 2 decimals; a value followed by its unit (元/元, 件/万笔…) at most 4; the scores of the
ranking methods other than the points total 6, on the ranking pages only.
"""
from __future__ import annotations

import enum
import importlib
import io
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html
import pytest
from werkzeug.exceptions import HTTPException

from tests.crawl import ACCOUNTS, HREF, login_demo, walk

TEMPLATES = Path(__file__).resolve().parents[2] / "evalsys" / "templates"

SNAKE = re.compile(r"(?<![\w.@/:#=-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/(-])")
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*\.(\d+)(?![\d.])([ \u00a0]?%|[ \u00a0]?[^\s\d\W]|[ \u00a0]?[/㎡²元])?")
# Python writes an exponent with its sign ("2.15e+04", "1e-05"); without the sign, "4e08" is a piece of
# a hexadecimal id, not a number.
EXPONENT = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[eE][+-]\d+(?![\w.])")
TYPE_CODE = re.compile(r"(?<![\w（(])(?:Q[+-])(?![\w)）])")
BARE_KEY = re.compile(r"[a-z]+(?:_[a-z0-9]+)*")  # not "v1" (a version) nor "fff37609" (a request id)
REQUEST_ID = re.compile(r"[0-9a-f]{8}")
CRITERIA = re.compile(r"^/admin/criteria(/|$)")
RANKING = re.compile(r"^admin\.ranking")
FILE_ENDPOINT = re.compile(r"\.(pdf|xlsx)$|/export|_export|_pdf|_report|_file|_download|_workbook|_receipt"
                           r"|_template|summary_download|publicity_pdf")


@dataclass
class Found:
    """What a role's walk found: its pages and one download per endpoint (PDF or XLSX bytes)."""

    pages: list = field(default_factory=list)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # endpoint -> (url, mimetype, bytes)


def visible_text(html: str) -> str:
    """The text a person sees: no script, style, hidden field or <code> record; one line per text node."""
    doc = lxml.html.fromstring(html)
    for el in doc.xpath("//script|//style|//input[@type='hidden']|//code|//template"):
        el.drop_tree()
    return "\n".join(t.strip() for t in doc.itertext() if t.strip())


def enum_values() -> set[str]:
    """Every string value of the enums of the models and the domain (states, roles, actions…)."""
    import evalsys.domain
    import evalsys.models

    values = set()
    for pkg in (evalsys.models, evalsys.domain):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if isinstance(obj, type) and issubclass(obj, enum.Enum) and obj.__module__ == module.__name__:
                    values |= {e.value for e in obj if isinstance(e.value, str) and e.value.isascii()}
    return values


def problems(text: str, *, places: int = 2, keys_allowed: bool = False, enum_words: re.Pattern | None = None,
             names: frozenset[str] = frozenset()) -> list[str]:
    """The unreadable pieces of a text: snake_case keys, numbers beyond their rounding, exponents,
    bare type codes, and (Chinese text) bare enum values. `names` are people's own words (usernames)."""
    found = []
    if not keys_allowed:
        found += [m.group(0) for m in SNAKE.finditer(text) if m.group(0) not in names]
    for m in NUMBER.finditer(text):
        decimals, unit = len(m.group(1)), (m.group(2) or "").strip()
        limit = 2 if unit in ("", "%") else 4
        if decimals > max(limit, places if unit != "%" else 2):
            found.append(m.group(0).strip())
    found += [m.group(0) for m in EXPONENT.finditer(text)]
    found += [m.group(0) for m in TYPE_CODE.finditer(text)]
    if enum_words is not None:
        found += [m.group(0) for m in enum_words.finditer(text) if m.group(0) not in names]
    return found


def enum_pattern(values: set[str]) -> re.Pattern:
    words = sorted(values, key=len, reverse=True)
    return re.compile(r"(?<![\w./@:#=-])(?:" + "|".join(map(re.escape, words)) + r")(?![\w/@(-])")


def page_problems(page, *, enum_words, names) -> list[str]:
    path = page.url.split("?")[0]
    text = visible_text(page.html)
    found = problems(text, places=6 if RANKING.match(page.endpoint) else 2,
                     keys_allowed=bool(CRITERIA.match(path)), enum_words=enum_words, names=names)
    doc = lxml.html.fromstring(page.html)
    for el in doc.xpath("//script|//style|//code"):
        el.drop_tree()
    cells = {(c.text_content() or "").strip() for c in doc.xpath("//td")}
    found += sorted(cells & {"E", "gate", "Q+", "Q-"})
    # A cell holding nothing but a lowercase key ("auto", "pending") shows a stored value, not its name.
    # (The audit trail's request ids are 8 hexadecimal digits, now and then all of them letters: "ddafabed".)
    found += sorted(c for c in cells if BARE_KEY.fullmatch(c) and c not in names and not REQUEST_ID.fullmatch(c))
    return found


def _walk_role(app, username) -> Found:
    """One walk of a role's pages (Chinese), keeping one PDF or spreadsheet per download endpoint."""
    client = app.test_client()
    if username:
        login_demo(client, username)
    starts = [ACCOUNTS[username]] + (["/auth/notifications"] if username else [])
    if username == "admin":
        starts.insert(0, "/admin/calls/enterprise-2015-2016/ranking")  # the call with stored ranking runs
    found = Found()
    adapter = app.url_map.bind("localhost")
    for page in walk(app, client, starts):
        found.pages.append(page)
        for href in HREF.findall(page.html):
            url = href.replace("&amp;", "&")
            path = url.split("?")[0]
            try:
                endpoint, _ = adapter.match(path, method="GET")
            except HTTPException:  # a link outside the app's GET routes
                continue
            if endpoint in found.files or not FILE_ENDPOINT.search(endpoint + " " + path) or "csv" in url:
                continue
            r = client.get(url)
            if r.status_code == 200 and r.mimetype in ("application/pdf", XLSX):
                found.files[endpoint] = (url, r.mimetype, r.get_data())
            r.close()
    return found


# The audit export holds the recorded values as they are (the chain and the filters use the keys);
# the columns "事件名称" and "对象名称" beside them carry the names.
AUDIT_VERBATIM = {"时间(UTC)", "事件", "对象类型", "请求编号", "详情"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def walked(demo_site) -> dict:
    return {username: _walk_role(demo_site, username) for username in ACCOUNTS}


@pytest.fixture(scope="module")
def usernames(demo_site) -> frozenset[str]:
    from sqlalchemy import select

    from evalsys.extensions import db
    from evalsys.models import User

    with demo_site.app_context():
        return frozenset(db.session.scalars(select(User.username)))


def summary(failures: list[tuple]) -> str:
    """The failures grouped, one line each with how often it occurs (the first 300 lines)."""
    counts: dict[tuple, int] = {}
    for f in failures:
        counts[f] = counts.get(f, 0) + 1
    lines = [" · ".join(map(str, f)) + (f" ×{n}" if n > 1 else "") for f, n in counts.items()]
    return f"{len(failures)} found:\n" + "\n".join(lines[:300])


# --- the checker itself ---------------------------------------------------------------------------------

def test_the_checker_finds_what_people_should_not_see():
    html = ("<html><body><script>var plan_budget = 1.234567;</script><input type=hidden value='a_b'>"
            "<p>plan_budget 1240000000</p><td>0.38290237467018473</td><td>2.15e+04</td><td>90.125%</td>"
            "<td>Q+</td><td>E</td><td>3.1234 元/元</td><td>3.12345 元/元</td><td>0.9000</td>"
            "<p>已提交 submitted</p><code>{\"from\": \"in_publicity\"}</code>"
            "<td>a1b2c3e4d5</td><td>127.0.0.1</td><td>90.00%</td><td>1,234.56 元</td></body></html>")
    text = visible_text(html)
    assert "var" not in text and "a_b" not in text and "in_publicity" not in text
    found = problems(text, enum_words=enum_pattern({"submitted"}))
    assert found == ["plan_budget", "0.38290237467018473", "90.125%", "3.12345 元", "0.9000", "2.15e+04", "Q+",
                     "submitted"]
    assert problems("1e-05 请求 4e08-9c1d") == ["1e-05"]
    assert problems("得分 0.382902", places=6) == [] and problems("得分 0.3829021", places=6) == ["0.3829021"]
    assert problems("楼堂馆所（X-BLD） 定量（越高越好）（Q+） admin@example.com /public/verify_x") == []


# --- pages --------------------------------------------------------------------------------------------

def test_no_page_of_any_role_shows_keys_long_floats_or_exponents(walked, usernames, demo_site):
    with demo_site.app_context():
        enum_words = enum_pattern(enum_values())
    failures = []
    for username, found in walked.items():
        assert found.pages, username
        for page in found.pages:
            failures += [(username, page.url, hit) for hit in page_problems(page, enum_words=enum_words,
                                                                             names=usernames)]
    assert not failures, summary(failures)


def test_every_data_table_on_every_page_scrolls_inside_its_container(walked):
    failures = []
    for username, found in walked.items():
        for page in found.pages:
            doc = lxml.html.fromstring(page.html)
            for table in doc.xpath("//table[contains(concat(' ', normalize-space(@class), ' '), ' table ')]"):
                if not table.xpath("ancestor::*[contains(concat(' ', normalize-space(@class), ' '),"
                                   " ' table-responsive ')]"):
                    failures.append((username, page.url, (table.xpath("string(.//th[1])") or "").strip()))
    assert not failures, summary(failures)


def test_every_table_in_the_templates_sits_in_a_scrolling_wrapper():
    """Also the tables of pages the demo walk does not reach: each `<table` directly follows an
    opening `<div class="table-responsive…">`."""
    failures = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<table\b", text):
            before = text[:m.start()].rstrip()
            if not re.search(r'<div class="table-responsive[^"]*">$', before):
                failures.append(f"{path.relative_to(TEMPLATES)}:{text.count(chr(10), 0, m.start()) + 1}")
    assert not failures, summary(failures)


# --- PDFs and spreadsheets ------------------------------------------------------------------------------

def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_pdfs_and_spreadsheets_read_like_the_pages(walked, usernames):
    from openpyxl import load_workbook

    files = {endpoint: v for found in walked.values() for endpoint, v in found.files.items()}
    kinds = {mimetype for _, mimetype, _ in files.values()}
    assert kinds == {"application/pdf", XLSX}, sorted(files)
    # The main ones must be among them: the evaluation report, the application form, funds and review exports.
    assert {"applicant.evaluation_report", "applicant.application_form_pdf", "admin.funds_export_summary",
            "admin.review_workbook"} <= set(files), sorted(files)
    failures = []
    for endpoint, (url, mimetype, data) in sorted(files.items()):
        if mimetype == "application/pdf":
            failures += [(url, hit) for hit in problems(_pdf_text(data), names=usernames)]
            continue
        book = load_workbook(io.BytesIO(data))
        for sheet in book.worksheets:
            verbatim = ({c.column for c in sheet[1] if c.value in AUDIT_VERBATIM}
                        if endpoint == "audit.export" else set())
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.column in verbatim:
                        continue
                    if isinstance(cell.value, str):
                        failures += [(url, sheet.title, cell.coordinate, hit)
                                     for hit in problems(cell.value, names=usernames)]
                    elif isinstance(cell.value, float) and cell.number_format == "General" \
                            and cell.value != round(cell.value, 2):
                        failures.append((url, sheet.title, cell.coordinate, repr(cell.value), "no number format"))
    assert not failures, summary(failures)
