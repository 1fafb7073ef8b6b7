"""Error pages: Chinese, an incident id, never a traceback or SQL; bad input is a form error, never a 500."""
from __future__ import annotations

import re
import uuid

import pytest
from flask import abort
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from evalsys.extensions import db
from evalsys.models import Role
from evalsys.permissions import public
from tests.conftest import audit_events, csrf_token, login
from tests.factories import make_user

INCIDENT_RE = re.compile(r"事件编号.*?<code>([0-9a-f-]{36})</code>", re.S)
LEAKS = ("Traceback", "traceback", "sqlalchemy", "SQLAlchemy", "psycopg", "sqlite3", "SELECT ", "File \"",
         "Werkzeug", "werkzeug", "secret-detail")


def assert_error_page(response, code: int, title: str, message: str | None = None) -> str:
    """The page is our Chinese error page with an incident id and nothing internal; returns the id."""
    assert response.status_code == code
    html = response.get_data(as_text=True)
    assert f"{code} · {title}" in html
    if message:
        assert message in html
    m = INCIDENT_RE.search(html)
    assert m, html[:2000]
    assert str(uuid.UUID(m.group(1))) == m.group(1)
    assert response.headers["X-Request-ID"] == m.group(1)
    for leak in LEAKS:
        assert leak not in html, leak
    return m.group(1)


@pytest.fixture
def broken_app(app):
    """Throwaway routes that fail in the ways the handlers must cover."""

    @public
    def stale():
        raise StaleDataError("UPDATE statement on table 'applications' expected to update 1 row(s); 0 were matched.")

    @public
    def crash():
        raise RuntimeError("secret-detail: password=hunter2")

    @public
    def bad_sql():
        db.session.execute(text("SELECT secret_column FROM no_such_table"))
        return "unreachable"

    @public
    def conflict():
        abort(409, description="该申报已提交，不能再修改")

    for name, view in (("stale", stale), ("crash", crash), ("bad_sql", bad_sql), ("conflict", conflict)):
        app.add_url_rule(f"/public/test-{name}", f"test_{name}", view, methods=["GET", "POST"])
    return app


def test_400_csrf_refusal_with_the_raw_client(app):
    raw = app.test_client()
    r = raw.post("/auth/login", data={"username": "x", "password": "y"})
    assert_error_page(r, 400, "请求无效", "页面已过期")
    r = raw.post("/auth/login", data={"username": "x", "password": "y", "csrf_token": "forged"})
    assert_error_page(r, 400, "请求无效")
    assert len(audit_events(app, event="csrf_failure")) == 2


def test_csrf_token_of_another_session_is_refused(app):
    a, b = app.test_client(), app.test_client()
    token = csrf_token(a)
    csrf_token(b)
    assert b.post("/auth/login", data={"username": "x", "password": "y", "csrf_token": token}).status_code == 400


def test_403(app, client):
    with app.app_context():
        make_user(Role.APPLICANT, username="appl")
    login(client, "appl")
    assert_error_page(client.get("/admin/"), 403, "无权访问")


def test_404(client):
    assert_error_page(client.get("/no/such/page"), 404, "页面不存在")


def test_405(client):
    assert_error_page(client.get("/auth/logout"), 405, "不支持的请求方式")


def test_409_stale_edit(broken_app):
    r = broken_app.test_client().get("/public/test-stale")
    assert_error_page(r, 409, "操作冲突", "数据已被他人修改，请刷新后重试")
    assert "applications" not in r.get_data(as_text=True)
    assert len(audit_events(broken_app, event="stale_edit")) == 1


def test_409_with_a_chinese_description(broken_app):
    assert_error_page(broken_app.test_client().get("/public/test-conflict"), 409, "操作冲突", "该申报已提交")


def test_413_body_above_the_limit(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit >= 20 * 1024 * 1024
    r = client.post("/auth/login", data=b"x" * (limit + 1), content_type="application/octet-stream")
    assert_error_page(r, 413, "上传内容过大")


class TestSmallLimit:
    @pytest.fixture
    def app_config(self):
        return {"MAX_CONTENT_LENGTH": 4096}

    def test_413_on_a_multipart_form(self, app, client):
        token = csrf_token(client)
        r = client.post("/auth/login", data={"username": "u" * 5000, "password": "p", "csrf_token": token})
        assert_error_page(r, 413, "上传内容过大")


class TestThrottled:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "1 per minute"}

    def test_429(self, app, client):
        token = csrf_token(client)
        client.post("/auth/login", data={"username": "a", "password": "b", "csrf_token": token})
        r = client.post("/auth/login", data={"username": "a", "password": "b", "csrf_token": token})
        assert_error_page(r, 429, "请求过于频繁")


def test_500_hides_the_exception(broken_app):
    r = broken_app.test_client().get("/public/test-crash")
    incident = assert_error_page(r, 500, "系统内部错误")
    assert "hunter2" not in r.get_data(as_text=True)
    assert incident


def test_500_hides_sql_errors_and_the_page_still_renders_for_a_logged_in_user(broken_app):
    with broken_app.app_context():
        make_user(Role.ADMIN, username="adm")
    client = broken_app.test_client()
    login(client, "adm")
    r = client.get("/public/test-bad_sql")
    assert_error_page(r, 500, "系统内部错误")
    html = r.get_data(as_text=True)
    assert "no_such_table" not in html and "secret_column" not in html
    assert "adm" not in html or "退出" in html  # navigation rendered normally


def test_incident_ids_differ_per_request(client):
    ids = {assert_error_page(client.get("/missing"), 404, "页面不存在") for _ in range(3)}
    assert len(ids) == 3


# --- hostile input -------------------------------------------------------------------------------

@pytest.mark.parametrize("username, password", [
    ("alice\x00", "Kx7#mQ2!vR9pLw"),
    ("alice", "Kx7#mQ2!\x00vR9pLw"),
    ("a" * 41, "Kx7#mQ2!vR9pLw"),
    ("alice", "p" * 257),
    ("\x1b[31m", "x"),
])
def test_login_with_hostile_input_is_a_form_error(app, client, username, password):
    token = csrf_token(client)
    r = client.post("/auth/login", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "控制字符" in html or "不能超过" in html
    assert audit_events(app, event="login_failure") == []  # refused before authentication


REG = {"org_name": "苏州云织电子商务有限公司", "uscc": "91350100M000100Y43", "authority_code": "",
       "authority_reason": "", "contact_name": "王敏", "phone": "0512-66889900", "email": "wm@example.com",
       "username": "yunzhi", "password": "Kx7#mQ2!vR9pLw", "password2": "Kx7#mQ2!vR9pLw"}


@pytest.mark.parametrize("field, value, message", [
    ("org_name", "云织\x00电商", "控制字符"),
    ("contact_name", "王\x00敏", "控制字符"),
    ("authority_reason", "理由\x00", "控制字符"),
    ("org_name", "长" * 101, "100"),
    ("authority_reason", "x" * 501, "500"),
    ("uscc", "91350100M000100Y4\x00", "统一社会信用代码"),
    ("email", "a\x00@example.com", "电子邮箱"),
    ("username", "yun\x00zhi", "用户名"),
])
def test_registration_with_hostile_input_is_a_form_error(app, client, field, value, message):
    data = dict(REG, **{field: value}, csrf_token=csrf_token(client, "/auth/register"))
    r = client.post("/auth/register", data=data)
    assert r.status_code == 200
    assert message in r.get_data(as_text=True)
    assert audit_events(app) == []


@pytest.mark.parametrize("query", ["q=%00", "q=" + "x" * 500, "role=%00", "page=%00", "page=-1"])
def test_account_search_with_hostile_input_is_not_a_500(app, client, query):
    with app.app_context():
        make_user(Role.SECADMIN, username="sec")
    login(client, "sec")
    assert client.get(f"/security/?{query}").status_code == 200


@pytest.mark.parametrize("query", ["username=%00", "event=%00", "object_id=%00", "start=%00", "page=%00"])
def test_audit_filters_with_hostile_input_are_not_a_500(app, client, query):
    with app.app_context():
        make_user(Role.AUDITOR, username="aud")
    login(client, "aud")
    assert client.get(f"/audit/?{query}").status_code == 200
    assert client.get(f"/audit/export.csv?{query}").status_code == 200


def test_next_with_a_nul_byte_is_harmless(app, client):
    r = client.get("/auth/login?next=/admin/%00")
    assert r.status_code == 200


@pytest.fixture
def refusing_app(app):
    """A route that changes a row and is then refused, the way a service refuses an action."""
    from evalsys.domain.errors import DomainError
    from evalsys.models import Authority

    @public
    def refuse():
        authority = db.session.get(Authority, "320000")
        authority.name = "已被改动"
        db.session.flush()
        raise DomainError("配额已满，不能再推荐", problems=["江苏省已推荐 8 家", "配额 8 家"])

    app.add_url_rule("/public/test-refuse", "test_refuse", refuse, methods=["GET", "POST"])
    return app


def _authority_name(app) -> str:
    from evalsys.models import Authority

    with app.app_context():
        return db.session.get(Authority, "320000").name


def test_a_refused_post_returns_to_its_page_with_every_problem_and_keeps_nothing(refusing_app):
    client = refusing_app.test_client()
    before = _authority_name(refusing_app)
    token = csrf_token(client)
    r = client.post("/public/test-refuse", data={"csrf_token": token},
                    headers={"Referer": "http://localhost/auth/login?next=%2Fadmin%2F"})
    assert r.status_code == 302 and r.headers["Location"] == "/auth/login?next=%2Fadmin%2F"
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    for line in ("配额已满，不能再推荐", "江苏省已推荐 8 家", "配额 8 家"):
        assert line in html
    assert _authority_name(refusing_app) == before


def test_a_refusal_without_a_safe_page_to_return_to_is_an_error_page(refusing_app):
    client = refusing_app.test_client()
    token = csrf_token(client)
    for referer in (None, "https://evil.example/form", "http://localhost/public/test-refuse"):
        headers = {"Referer": referer} if referer else {}
        r = client.post("/public/test-refuse", data={"csrf_token": token}, headers=headers)
        assert_error_page(r, 409, "操作冲突", "配额已满，不能再推荐；江苏省已推荐 8 家；配额 8 家")
    assert_error_page(client.get("/public/test-refuse"), 409, "操作冲突", "配额已满")
    assert _authority_name(refusing_app) != "已被改动"


def test_every_user_facing_refusal_is_a_domain_error():
    from evalsys.domain.errors import DomainError, InvalidInput
    from evalsys.domain.evaluation import EvaluationTransitionError
    from evalsys.domain.uploads import UploadRejected
    from evalsys.domain.workflow import TransitionError
    from evalsys.services.accounts import AccountError
    from evalsys.services.applications import ApplicationError
    from evalsys.services.decisions import DecisionError
    from evalsys.services.funds import FundsError
    from evalsys.services.review_sheets import SheetErrors
    from evalsys.services.runs import RunRefused

    for cls in (EvaluationTransitionError, TransitionError, AccountError, ApplicationError, DecisionError,
                FundsError, RunRefused, SheetErrors):
        assert issubclass(cls, DomainError), cls
    assert issubclass(UploadRejected, InvalidInput) and UploadRejected.status == 422
    e = RunRefused("不能排名", ["甲公司缺2份评分表", "乙公司缺1份评分表"])
    assert e.lines() == ["不能排名", "甲公司缺2份评分表", "乙公司缺1份评分表"] and e.status == 409
    sheet = SheetErrors({"innovation": "超过满分", "growth": "不是0.1的倍数"})
    assert sheet.problems == ["超过满分", "不是0.1的倍数"] and sheet.status == 422


# Exceptions that are not refusals shown to people, each with why: the pure core's own input errors (the
# services that call it turn them into refusals, or they guard data the system itself produced), a
# deployment fault, and the API's own problem document.
NOT_REFUSALS = {
    "evalsys.api.errors.ApiProblem": "the API's problem document, itself built from refusals",
    "evalsys.domain.criteria.CriteriaError": "a criteria file with problems: found when files are checked/deployed",
    "evalsys.domain.experts.MissingSheets": "pure core; run_readiness reports missing sheets as a RunRefused",
    "evalsys.domain.figures.FigureError": "pure parser; forms and importers show it as a field's error",
    "evalsys.domain.formula.FormulaError": "a criteria formula fault, found when criteria files are checked",
    "evalsys.domain.hashing.UnsupportedAlgorithm": "a stored hash of an unknown algorithm: data fault",
    "evalsys.domain.matrix.MatrixError": "pure core; the ranking service refuses before building a bad matrix",
    "evalsys.domain.ranking.RankingError": "pure core; the ranking service refuses before calling it",
    "evalsys.domain.scoring.ScoringInputError": "pure core; sheets are validated (SheetErrors) before scoring",
    "evalsys.domain.weights.WeightError": "pure core; services raise WeightSetError (a refusal) for people",
    "evalsys.domain.weights.InconsistentJudgements": "pure core; shown as WeightSetError with its CR",
    "evalsys.reporting.fonts.FontUnavailable": "a deployment fault (the CJK font is missing)",
    "evalsys.reporting.signing.SigningUnavailable": "a deployment fault (no signing key)",
    "evalsys.services.backup.BackupError": "an operator's command-line failure, not a page",
}


def test_every_exception_class_is_a_refusal_or_named_as_internal():
    """A new exception class must decide: a refusal (DomainError, shown where the action was taken) or an
    internal fault named above with its reason."""
    import importlib
    import inspect
    import pkgutil

    import evalsys
    from evalsys.domain.errors import DomainError
    from evalsys.domain.weight_sets import WeightSetError

    found = set()
    for info in pkgutil.walk_packages(evalsys.__path__, "evalsys."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__ \
                    and not issubclass(cls, DomainError):
                found.add(f"{cls.__module__}.{name}")
    assert found == set(NOT_REFUSALS)
    refused = WeightSetError({"": "权重不能全部为零", "a": "不是数字"})
    assert isinstance(refused, DomainError) and refused.status == 422
    assert refused.problems == ["权重不能全部为零", "不是数字"] and refused.by_field["a"] == "不是数字"
