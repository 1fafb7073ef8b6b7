"""The views layout: one package per blueprint that owns its blueprint, URL table and menu; feature
modules hold view functions only; shared page helpers sit in views/common."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

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
            assert [ep for ep, _ in items] == endpoints + ["auth.notifications"]
            assert all(ep in app.view_functions for ep, _ in items)
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
