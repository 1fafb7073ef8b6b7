"""The unit convention of numeric figures, one per field kind of a criteria file: how a value is
entered, stored, scored and printed. Every page, import, score and report goes through here, so a
number typed in is the number printed.

- money (unit 元): typed in yuan with ≤ 2 decimals; stored as int fen; scored as float yuan;
  printed "1,234.56 元".
- ratio (unit "", shown as %): typed in percent with ≤ 2 decimals; stored as int basis points;
  scored as a fraction; printed "95.00%".
- integer (人, 项, 人次, 家, 个…): typed as a whole number; stored as int; printed "1,500 人".
- decimal (元/元, m²…): typed with ≤ 4 decimals; stored as Decimal text in figures and as int
  ten-thousandths in plan targets; scored as float; printed "3.1 元/元" (up to 4 decimals).

A plan target lives in an integer column, so every kind has an integer scale there
(`PLAN_SCALE`); `plan_to_stored` turns it into the figure storage value the scoring reads, and
that is the only place the scale is applied. Pure Python; no floats are stored.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .criteria import Field
from .figures import FigureError, parse_input
from .marking import N_
from .money import fen_to_decimal

NUMERIC_KINDS = ("money", "ratio", "integer", "decimal")
# Integer storage of a plan target per kind: units of 1/scale of the value people write
# (fen per yuan, basis points per 1 i.e. 100 per percent point, 1 per count, 10000 per 元/元).
PLAN_SCALE = {"money": 100, "ratio": 10_000, "integer": 1, "decimal": 10_000}
# Decimals kept when printing a value in the units people write (ratio: percent points).
PRINT_PLACES = {"money": 2, "ratio": 2, "integer": 0, "decimal": 4}


# The units the criteria files use, for the translation catalogue (the English interface shows them translated).
UNIT_NAMES = (N_("元"), N_("人"), N_("人次"), N_("个"), N_("件"), N_("件/万笔"), N_("件/百家"), N_("元/元"), N_("家"),
              N_("笔"), N_("项"))


def unit_label(field: Field) -> str:
    """The unit a person types and reads: % for ratios, else the file's unit (元, 人, 元/元…)."""
    return "%" if field.kind == "ratio" else field.unit


# --- entered ↔ stored -----------------------------------------------------------------------------

def parse_plan(field: Field, text: object) -> int | None:
    """A typed plan target (in `unit_label` units) → its integer storage; None when left empty.

    Numbers coming from a spreadsheet cell are read through their shortest decimal text, so
    12.5 typed in Excel is 12.5, never 12.4999…; FigureError (Chinese) when not valid."""
    if field.kind not in NUMERIC_KINDS:
        raise FigureError(N_("该项目标值类型不受支持"))
    if text is None:
        return None
    if isinstance(text, bool):
        raise FigureError(N_("请填写数字"))
    if isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            raise FigureError(N_("请填写数字"))
        text = repr(text)
    elif isinstance(text, (int, Decimal)):
        text = f"{Decimal(text):f}"
    text = str(text).strip()
    if field.kind == "ratio" and text.endswith(("%", "％")):
        text = text[:-1].strip()
    elif field.unit and text.endswith(field.unit):
        text = text[:-len(field.unit)].strip()
    stored = parse_input(field, text)
    if stored is None:
        return None
    if field.kind == "decimal":
        return int(Decimal(stored) * PLAN_SCALE["decimal"])
    return int(stored)


def plan_to_stored(field: Field, value: int | None) -> Any:
    """A plan target's integer → the figure storage value of its kind (decimal: Decimal text)."""
    if value is None:
        return None
    if field.kind == "decimal":
        return f"{(Decimal(int(value)) / PLAN_SCALE['decimal']).normalize():f}"
    return int(value)


def plan_human(field: Field, value: int | None) -> Decimal | None:
    """A plan target's integer → the number people write, in `unit_label` units (exact)."""
    return None if value is None else human_value(field, plan_to_stored(field, value))


def plan_entry(field: Field, value: int | None) -> str:
    """A plan target as a person would type it again (form prefill, template cells): no unit."""
    number = plan_human(field, value)
    return "" if number is None else _plain(number)


# --- stored / scored → printed ---------------------------------------------------------------------

def human_value(field: Field, stored: Any) -> Decimal | None:
    """A figure's storage value → the exact number people write (yuan, percent, count, 元/元)."""
    if stored is None:
        return None
    if field.kind == "money":
        return fen_to_decimal(int(stored))
    if field.kind == "ratio":
        return Decimal(int(stored)) / 100
    return Decimal(str(stored))


def matrix_to_human(field: Field, value: float | None) -> Decimal | None:
    """A scored (matrix) value → the number people write, rounded half-up to the kind's places."""
    if value is None:
        return None
    number = Decimal(repr(float(value)))
    if field.kind == "ratio":
        number *= 100
    return number.quantize(Decimal(1).scaleb(-PRINT_PLACES.get(field.kind, 4)), rounding=ROUND_HALF_UP)


def format_number(field: Field, number: Decimal | None, tr: Callable[[str], str] = str) -> str:
    """The one printed form of a number in people's units: grouped, with its unit ("3.1 元/元"); `tr` gives the
    unit in the reader's language (the digits are the same in every language)."""
    if number is None:
        return "—"
    places = PRINT_PLACES.get(field.kind)
    if field.kind == "decimal" or places is None:
        text = _grouped_plain(number)
    else:
        text = f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,f}"
    unit = unit_label(field)
    return f"{text}%" if unit == "%" else f"{text} {tr(unit) if unit else ''}".strip()


def format_stored(field: Field, stored: Any, tr: Callable[[str], str] = str) -> str:
    """A figure's storage value printed (pages, PDF)."""
    return format_number(field, human_value(field, stored), tr)


def format_plan(field: Field, value: int | None, tr: Callable[[str], str] = str) -> str:
    """A plan target's integer printed (pages, PDF)."""
    return format_number(field, plan_human(field, value), tr)


def format_matrix(field: Field, value: float | None, tr: Callable[[str], str] = str) -> str:
    """A scored value printed (the report's indicator table)."""
    return format_number(field, matrix_to_human(field, value), tr)


def parse_printed(field: Field, text: str) -> Decimal:
    """Read a printed value back (tests and checks): "1,234.56 元" → Decimal("1234.56")."""
    unit = unit_label(field)
    body = text.strip()
    if unit and body.endswith(unit):
        body = body[:-len(unit)]
    try:
        return Decimal(body.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a printed {field.kind}: {text!r}") from None


def _plain(number: Decimal) -> str:
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _grouped_plain(number: Decimal) -> str:
    whole, _, frac = _plain(number).partition(".")
    negative = whole.startswith("-")
    grouped = f"{int(whole.lstrip('-') or 0):,}"
    return ("-" if negative else "") + grouped + (f".{frac}" if frac else "")
