"""Figures of an application: typed input → storage units (fen, basis points) → matrix units.

Storage keeps exact values: integer → int, money → int fen, ratio → int basis points,
decimal → Decimal text, boolean → bool, date → ISO date text. A ranking matrix uses yuan,
fractions and plain numbers (domain.md §7); only that last step produces floats.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from .criteria import CriteriaSystem, Field, compute_derived
from .money import MoneyError, fen_to_decimal, format_fen, parse_yuan
from .errors import N_, Message

TRUE_WORDS = {"yes", "true", "1", "是"}
FALSE_WORDS = {"no", "false", "0", "否"}
_MAX_INTEGER = 10**15


class FigureError(ValueError):
    """Input that is not a valid value of its field; the message is Chinese."""


def _decimal(text: str) -> Decimal:
    cleaned = text.strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise FigureError(N_("请填写数字")) from None
    if not value.is_finite() or "e" in cleaned.lower():
        raise FigureError(N_("请填写普通的十进制数字"))
    return value


def _check_bounds(field: Field, matrix_value: Decimal) -> None:
    if field.min is not None and matrix_value < Decimal(str(field.min)):
        raise FigureError(Message(N_("不能小于%(bound)s"), bound=_bound_text(field, field.min)))
    if field.max is not None and matrix_value > Decimal(str(field.max)):
        raise FigureError(Message(N_("不能大于%(bound)s"), bound=_bound_text(field, field.max)))


def _bound_text(field: Field, bound: float) -> str:
    if field.kind == "ratio":
        return f"{Decimal(str(bound)) * 100:f}%".replace(".0%", "%")
    return f"{Decimal(str(bound)):f}{field.unit}"


def parse_input(field: Field, text: str | None) -> Any:
    """Parse what a person typed for `field` into its storage value; None when left empty."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    text = str(text).strip()
    if field.kind == "boolean":
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise FigureError(N_("请选择“是”或“否”"))
    if field.kind == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise FigureError(N_("日期格式应为 年-月-日，例如 2013-05-01")) from None
    if field.kind == "money":
        try:
            fen = parse_yuan(text, allow_negative=field.min is not None and field.min < 0)
        except MoneyError as e:
            raise FigureError(str(e)) from None
        _check_bounds(field, fen_to_decimal(fen))
        return fen
    value = _decimal(text)
    if field.kind == "integer":
        if value != value.to_integral_value():
            raise FigureError(N_("请填写整数"))
        if abs(value) >= _MAX_INTEGER:
            raise FigureError(N_("数值过大"))
        _check_bounds(field, value)
        return int(value)
    if field.kind == "ratio":  # typed as a percentage with at most two decimals
        if value.as_tuple().exponent < -2:
            raise FigureError(N_("百分比最多保留两位小数"))
        _check_bounds(field, value / 100)
        return int(value * 100)
    if abs(value) >= _MAX_INTEGER:
        raise FigureError(N_("数值过大"))
    if value.as_tuple().exponent < -4:
        raise FigureError(N_("最多保留四位小数"))
    _check_bounds(field, value)
    return str(value)


def display(field: Field, stored: Any) -> str:
    """The stored value as a person would type it again (form prefill, exports)."""
    if stored is None:
        return ""
    if field.kind == "boolean":
        return "yes" if stored else "no"
    if field.kind == "money":
        return format_fen(int(stored), grouping=False)
    if field.kind == "ratio":
        return f"{Decimal(int(stored)) / 100:f}"
    return str(stored)


def display_human(field: Field, stored: Any, tr: Callable[[str], str] = str) -> str:
    """The stored value for reading: units, yes/no, thousands separators; `tr` gives the words (units, yes and
    no) in the reader's language, Chinese by default."""
    from .units import NUMERIC_KINDS, format_stored  # units builds on this module

    if stored is None:
        return "—"
    if field.kind == "boolean":
        return tr("是" if stored else "否")
    if field.kind in NUMERIC_KINDS:
        return format_stored(field, stored, tr)
    return f"{stored} {tr(field.unit) if field.unit else ''}".strip()


def export_value(field: Field, stored: Any) -> Any:
    """The stored value for a spreadsheet cell: numbers stay numbers (yuan, percent), yes/no in Chinese."""
    if stored is None:
        return None
    if field.kind == "boolean":
        return "是" if stored else "否"
    if field.kind == "money":
        return fen_to_decimal(int(stored))
    if field.kind == "ratio":
        return Decimal(int(stored)) / 100
    if field.kind == "integer":
        return int(stored)
    if field.kind == "decimal":
        return Decimal(str(stored))
    return str(stored)


def to_matrix(field: Field, stored: Any) -> float | bool | None:
    """The value in matrix units: yuan, fractions, plain numbers; booleans stay booleans."""
    if stored is None:
        return None
    if field.kind == "boolean":
        return bool(stored)
    if field.kind == "money":
        return float(fen_to_decimal(int(stored)))
    if field.kind == "ratio":
        return int(stored) / 10_000
    if field.kind == "date":
        return float(date.fromisoformat(stored).toordinal())
    return float(Decimal(str(stored)))


def add_years(start: date, years: int) -> date:
    """The same calendar day `years` later; 29 February falls on 28 February in a common year
    (the month's last day, as the Civil Code counts a period of years, art. 202)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February → a year without one
        return start.replace(year=start.year + years, day=28)


def completed_years(start: date, end: date) -> int:
    """Whole calendar years from `start` to `end`: n such that add_years(start, n) ≤ end."""
    if end < start:
        return 0
    n = end.year - start.year
    while n > 0 and add_years(start, n) > end:
        n -= 1
    return n


def years_between(start_iso: str | None, end: date) -> str | None:
    """Years from a start date to `end` as Decimal text with 2 decimals: the whole calendar years
    completed, plus the elapsed share of the current year, truncated (never rounded up).

    So "≥ 2" holds exactly when the second anniversary is on or before `end`: one day short gives
    1.99, not 2.00 (a gate compares this figure with a whole number of years).
    """
    if not start_iso:
        return None
    start = date.fromisoformat(start_iso)
    whole = completed_years(start, end)
    if end <= start:
        return "0.00"
    last, following = add_years(start, whole), add_years(start, whole + 1)
    share = Decimal((end - last).days) / Decimal((following - last).days)
    return str((Decimal(whole) + share).quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def matrix_values(system: CriteriaSystem, stored: dict[str, Any]) -> dict[str, float | bool | None]:
    """Every field in matrix units, derived fields computed from the others."""
    base = {f.id: to_matrix(f, stored.get(f.id)) for f in system.fields if not f.derived}
    return compute_derived(system, {k: v for k, v in base.items() if v is not None})


def missing_fields(system: CriteriaSystem, stored: dict[str, Any]) -> list[Field]:
    """Form fields left empty (derived and system fields are never asked)."""
    return [f for f in system.fields if f.source == "form" and not f.derived and stored.get(f.id) is None]
