"""The ranking engine's modules stay pure and import scikit-criteria only when a method runs."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENGINE = ["criteria", "criteria_check", "formula", "scoring", "experts", "ranking", "robustness",
          "run", "matrix", "weights"]
FORBIDDEN = ("flask", "flask_sqlalchemy", "sqlalchemy", "evalsys.models", "evalsys.services",
             "evalsys.views", "evalsys.forms", "evalsys.cli")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("module", ENGINE)
def test_no_flask_sqlalchemy_or_upper_layers(module):
    imports = _imports(REPO / "evalsys" / "domain" / f"{module}.py")
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
