"""The views layout: one package per blueprint that owns its blueprint, URL table and menu; feature
modules hold view functions only; shared page helpers sit in views/common."""
from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from flask import url_for

import evalsys.views as views
from evalsys.models import Role

VIEWS = Path(views.__file__).parent
AUDIENCES = ("auth", "public", "applicant", "authority", "review", "admin", "security", "audit")
MODULES = sorted(VIEWS.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(VIEWS).as_posix()


def test_every_audience_is_a_package_owning_its_blueprint():
    packages = sorted(p.name for p in VIEWS.iterdir() if (p / "__init__.py").exists())
    assert packages == sorted(AUDIENCES + ("common",))
    assert [package.bp.name for package in views.BLUEPRINT_PACKAGES] == list(AUDIENCES)
    assert all(package.__name__ == f"evalsys.views.{package.bp.name}" for package in views.BLUEPRINT_PACKAGES)


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_only_package_inits_create_or_import_blueprints(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    creates = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Blueprint"]
    imports_bp = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                  and any(a.name == "bp" for a in n.names)]
    is_blueprint_init = path.name == "__init__.py" and path.parent.name in AUDIENCES
    assert (len(creates) == 1) if is_blueprint_init else not creates
    assert not imports_bp, "a feature module attaches nothing to a blueprint; the package __init__ lists its URLs"


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_no_redefined_handlers(path):
    text = path.read_text(encoding="utf-8")
    assert "noqa: F811" not in text
    tree = ast.parse(text)
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", [n for n in (p.stem for p in VIEWS.rglob("*.py")) if n != "__init__"])
def test_one_naming_style(name):
    """The package is the audience, the module the feature: no audience words in a module name."""
    assert not any(word in name.split("_") for word in AUDIENCES + ("totp",) if word != name)


def test_every_view_lives_in_its_blueprints_package_or_common(app):
    checked = 0
    for endpoint, view in app.view_functions.items():
        blueprint = endpoint.partition(".")[0] if "." in endpoint else None
        if blueprint not in AUDIENCES:
            continue
        module = inspect.unwrap(view).__module__
        assert module.startswith((f"evalsys.views.{blueprint}.", "evalsys.views.common.")), (endpoint, module)
        checked += 1
    assert checked > 150


def test_menus_are_declared_by_their_packages_in_this_order(app):
    """The menu of each role, in the order users know it; each entry an endpoint of the role's own blueprint."""
    expected = {
        Role.APPLICANT: ["applicant.home", "applicant.funds_home", "applicant.evaluations", "applicant.cases"],
        Role.AUTHORITY: ["authority.home", "authority.applications", "authority.organisations",
                         "authority.summaries", "authority.funds_home", "authority.evaluations",
                         "authority.results_index", "authority.cases", "authority.accounts"],
        Role.REVIEWER: ["review.home", "review.conflicts"],
        Role.ADMIN: ["admin.home", "admin.calls", "admin.review_calls", "admin.summaries", "admin.criteria",
                     "admin.funds_home", "admin.evaluation_rounds", "admin.cases"],
        Role.SECADMIN: ["security.home", "security.create", "security.reviewers"],
        Role.AUDITOR: ["audit.home"],
    }
    assert {role: [ep for ep, _ in menu] for role, menu in views.NAV.items()} == expected

    class Someone:
        def __init__(self, role):
            self.role = role

    with app.test_request_context():
        for role, endpoints in expected.items():
            items = views.nav_items(Someone(role))
            assert [ep for ep, _, _ in items] == endpoints + ["auth.notifications"]
            assert all(ep in app.view_functions for ep, _, _ in items)
            assert [href for _, _, href in items] == [url_for(ep) for ep in endpoints + ["auth.notifications"]]
            assert views.nav_items(Someone(role)) is items  # built once per role and language
    for package in views.BLUEPRINT_PACKAGES:
        assert all(ep.startswith(package.bp.name + ".") for ep, _ in getattr(package, "MENU", []))


def test_views_read_through_query_modules():
    """Views parse arguments and call a query; no SQL statement is built in a view module."""
    import re
    from pathlib import Path

    root = Path(views.__file__).parent
    built = {str(p.relative_to(root)): n for p in root.rglob("*.py")
             if (n := len(re.findall(r"\bselect\(", p.read_text(encoding="utf-8"))))}
    assert built == {}


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_views_leave_the_transaction_to_the_request(path):
    """The request commits once after a successful response (evalsys/boundary.py); a refusal rolls it back
    in the one error handler. No view module commits or rolls back itself."""
    text = path.read_text(encoding="utf-8")
    assert not re.findall(r"\.(?:commit|rollback)\(", text)
    # A refused state, quota, deadline or version is a DomainError, shown where the action was taken.
    assert not re.findall(r"abort\(\s*409", text)


TEMPLATES = sorted((VIEWS.parent / "templates").rglob("*.html"))
STATE = r"[\w.]*\b(?:state|status)(?:\.value)?"
STATE_STRING_CHOICES = [
    # obj.state == 'x', obj.status.value != "x", obj.state in ('x', 'y'), obj.state is not 'x'
    re.compile(STATE + r"\s*(?:==|!=|\bnot\s+in\b|\bin\b|\bis\b(?:\s+not)?)\s*['\"(\[]"),
    # 'x' == obj.state
    re.compile(r"['\"]\s*(?:==|!=)\s*" + STATE + r"\b"),
    # entries|selectattr('state.value', 'ne', 'x') and rejectattr
    re.compile(r"(?:select|reject)attr\(\s*['\"][\w.]*\b(?:state|status)\b"),
    # {'x': ..., 'y': ...}[obj.state.value] or [s.value]: a label or colour chosen by the state's string
    re.compile(r"\}\s*\[\s*(?:" + STATE + r"|[\w.]+\.value)\s*\]"),
]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(VIEWS.parent / "templates").as_posix())
def test_templates_do_not_choose_by_state_strings(path):
    """A button asks a `can_*` rule or an object's allowed actions; a badge, label or notice asks
    `look(state)` / a property of the object (views/common/states.py). No template compares a state."""
    text = path.read_text(encoding="utf-8")
    found = [m.group(0) for pattern in STATE_STRING_CHOICES for m in pattern.finditer(text)]
    assert found == []


def test_the_template_lint_sees_each_way_of_comparing_a_state():
    samples = ["{% if o.state.value == 'pending' %}", "{% if t.status == \"active\" %}",
               "{% if a.state in ('x', 'y') %}", "{% if 'open' != f.state.value %}",
               "{{ rows|selectattr('status.value', 'ne', 'rejected')|list }}",
               "{{ {'a': _('A')}[u.state.value] }}", "{{ {'pending': _('P')}[s.value] }}"]
    for sample in samples:
        assert any(p.search(sample) for p in STATE_STRING_CHOICES), sample
    for fine in ["{% if can_resolve_flag(current_user, f) %}", "{{ look(o.state).label }}", "{{ o.state.label }}",
                 "{% if f.is_open %}", "{{ area == 'admin' }}"]:
        assert not any(p.search(fine) for p in STATE_STRING_CHOICES), fine


def test_every_state_shown_by_look_has_one_look_in_both_languages(app):
    """Each member of each enum the pages show has its label (and badge) in views/common/states.py,
    and the label is translated when English is chosen."""
    from evalsys.views.common import states

    for enum_type, looks in states.LOOKS.items():
        assert set(looks) == set(enum_type), enum_type.__name__
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        from flask_babel import refresh

        refresh()
        shown = [states.look(member) for enum_type in states.LOOKS for member in enum_type]
        assert all(s.label and s.label.isascii() and (not s.note or s.note.isascii()) for s in shown)
        assert states.sheet_look(None).label == "Not started"


def test_row_and_asset_addresses_are_those_of_url_for(app):
    """A list's row links and the layout's assets are built once, and are exactly what url_for builds."""
    from evalsys.views.common.urls import asset_url, row_url

    with app.test_request_context():
        link = row_url("admin.funds_base", "base_id")
        assert [link(i) for i in (1, 7, 12345)] == [url_for("admin.funds_base", base_id=i) for i in (1, 7, 12345)]
        link = row_url("admin.application_detail", "app_id", code="enterprise-2015-2016")
        assert link(42) == url_for("admin.application_detail", app_id=42, code="enterprise-2015-2016")
        with_query = row_url("admin.funds_home", "page", year=2014)
        assert with_query(3) == url_for("admin.funds_home", page=3, year=2014)
        assert asset_url("static", "css/evalsys.css") == url_for("static", filename="css/evalsys.css")
    with app.test_request_context(environ_overrides={"SCRIPT_NAME": "/evalsys"}):  # mounted elsewhere
        assert asset_url("static", "css/evalsys.css") == url_for("static", filename="css/evalsys.css")
        assert asset_url("static", "css/evalsys.css").startswith("/evalsys/static/")
