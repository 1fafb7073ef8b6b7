"""The tiny, safe formula language of derived fields: parse with ``ast``, never ``eval``."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

# Only these two helpers exist; everything else is + - * / over field names and numbers.
FUNCTIONS = {"ratio": 2, "growth": 2}


class FormulaError(ValueError):
    """A formula that is not in the allowed language or cannot be evaluated."""


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its source text, the field ids it reads and its checked syntax tree."""

    source: str
    names: frozenset[str]
    tree: ast.Expression

    def evaluate(self, values: Mapping[str, float | None]) -> float | None:
        """Value of the formula, or None when an input is missing or a divisor is zero."""
        return _eval(self.tree.body, values)


def parse_formula(source: str) -> Formula:
    """Parse and check a formula; raise FormulaError naming the first construct not allowed."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula {source!r} is not valid syntax") from exc
    names: set[str] = set()
    _check(tree.body, names, source)
    return Formula(source=source, names=frozenset(names), tree=tree)


def _check(node: ast.AST, names: set[str], source: str) -> None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        _check(node.left, names, source)
        _check(node.right, names, source)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _check(node.operand, names, source)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        pass
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise FormulaError(f"formula {source!r}: {node.id} is a function, not a field")
        names.add(node.id)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        if node.keywords or len(node.args) != FUNCTIONS[node.func.id]:
            raise FormulaError(f"formula {source!r}: {node.func.id}() takes exactly 2 arguments")
        for arg in node.args:
            _check(arg, names, source)
    else:
        raise FormulaError(f"formula {source!r}: {type(node).__name__} is not allowed "
                           "(only + - * /, numbers, field names, ratio(a, b), growth(cur, prev))")


def _eval(node: ast.AST, values: Mapping[str, float | None]) -> float | None:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        return None if value is None else float(value)
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        return None if operand is None else -operand
    if isinstance(node, ast.Call):
        a, b = (_eval(arg, values) for arg in node.args)
        if a is None or b is None or b == 0:
            return None
        return a / b if node.func.id == "ratio" else a / b - 1.0  # type: ignore[attr-defined]
    assert isinstance(node, ast.BinOp)
    left, right = _eval(node.left, values), _eval(node.right, values)
    if left is None or right is None:
        return None
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    # A zero divisor makes the derived figure undefined rather than infinite.
    return None if right == 0 else left / right
