"""Every domain module stays pure (the import-linter contracts check the same, package-wide:
tests/test_architecture.py), and only the ranking engine imports scikit-criteria, lazily."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOMAIN = REPO / "evalsys" / "domain"
MODULES = sorted(p.stem for p in DOMAIN.glob("*.py"))
FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "werkzeug", "sqlalchemy", "evalsys.extensions",
             "evalsys.models", "evalsys.services", "evalsys.views", "evalsys.forms", "evalsys.cli")


def _imports(path: Path) -> list[str]:
    """Absolute names of everything a module imports (relative imports resolved against evalsys.domain)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(["evalsys", "domain"][: 3 - node.level] if node.level <= 2 else [])
                module = ".".join(p for p in (base, node.module or "") if p)
                names += [f"{module}.{a.name}" for a in node.names] if node.module is None else [module]
            elif node.module:
                names.append(node.module)
    return names


def test_every_domain_module_is_checked():
    assert len(MODULES) >= 26 and "__init__" in MODULES and "workflow" in MODULES


def test_relative_imports_are_resolved(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("from ..models import x\nfrom . import money\nfrom .timeutil import utc\n", encoding="utf-8")
    assert _imports(path) == ["evalsys.models", "evalsys.domain.money", "evalsys.domain.timeutil"]


@pytest.mark.parametrize("module", MODULES)
def test_no_flask_sqlalchemy_or_upper_layers(module):
    imports = _imports(DOMAIN / f"{module}.py")
    assert not [n for n in imports if n.startswith(FORBIDDEN)]
    if module != "ranking":
        assert not [n for n in imports if n.startswith("skcriteria")]


def test_scikit_criteria_is_imported_lazily():
    code = ("import sys; import evalsys.domain.run, evalsys.domain.matrix, evalsys.domain.weights; "
            "assert 'skcriteria' not in sys.modules; "
            "from evalsys.domain.ranking import evaluate; evaluate('topsis', [[0.1], [0.2]], [1]); "
            "assert 'skcriteria' in sys.modules")
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
