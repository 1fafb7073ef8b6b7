"""The one XLSX writer of every export: openpyxl's write-only mode, so time and memory grow with the
rows written, never with the rows already in the sheet.

Rows stream from any iterable (a generator over a query in chunks) straight into the file; strings
go in as text (never formulas), int and Decimal stay numbers, floats are refused (money and
figures are exact in evalsys). Column widths are fitted to the header and the first rows, since a
write-only sheet must declare its columns before its first row.
"""
from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..domain.spreadsheet import export_value, text_cell

# Excel refuses these in sheet names and caps a name at 31 characters.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Excel's hard limit per cell; a longer string makes Excel "repair" (drop) the cell on opening.
EXCEL_CELL_MAX = 32_767
YUAN_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
# A non-whole number with more decimals than a score's two (an average of expert scores, a ranking
# method's score) keeps its exact value and shows at most six decimals, never 15 digits.
DECIMAL_FORMAT = "0.00####"
_MIN_WIDTH = 8
_MAX_WIDTH = 60
# Widths are fitted to this many leading rows (held in memory until the sheet starts).
_WIDTH_SAMPLE = 200


@dataclass
class SheetSpec:
    """One worksheet. `money` holds 1-based column numbers shown as yuan, `percent` those holding
    fractions shown as percentages (0.9 → 90.00%); `widths` fixed column widths, or None to fit them
    to the contents; `filter` adds an auto-filter over the header."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    money: set[int] = field(default_factory=set)
    percent: set[int] = field(default_factory=set)
    widths: Sequence[float] | None = None
    filter: bool = False
    strict_width: bool = False  # every row must have exactly len(headers) values


def sheet_name(title: str) -> str:
    """A sheet name Excel accepts."""
    name = _SHEET_FORBIDDEN.sub("_", title).strip("'").strip()[:31]
    return name or "Sheet1"


def display_width(value: object) -> int:
    """Roughly Excel's column units: a CJK (wide) character takes two, others one."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    text = str(value)
    longest = max((line for line in text.split("\n")), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _checked(rows: Iterable[Sequence[object]], spec: SheetSpec) -> Iterator[list[object]]:
    for number, row in enumerate(rows, start=1):
        values = list(row)
        if spec.strict_width and len(values) != len(spec.headers):
            raise ValueError(f"row {number} has {len(values)} values for {len(spec.headers)} columns")
        for index, value in enumerate(values):
            if isinstance(value, float):
                raise TypeError("float values do not belong in exports; use int or Decimal")
            if isinstance(value, str) and len(value) > EXCEL_CELL_MAX:
                values[index] = value[: EXCEL_CELL_MAX - 1] + "…"
        yield values


def _write_sheet(wb: Workbook, spec: SheetSpec) -> None:
    ws = wb.create_sheet(sheet_name(spec.title))
    rows = _checked(spec.rows, spec)
    if spec.widths is not None:
        widths = list(spec.widths)
    else:
        head = list(islice(rows, _WIDTH_SAMPLE))
        rows = chain(head, rows)
        widths = [display_width(h) for h in spec.headers]
        for row in head:
            for index, value in enumerate(row[:len(widths)]):
                widths[index] = max(widths[index], display_width(value))
        # +2 for the filter drop-down arrow in the header cell.
        widths = [min(max(w + 2, _MIN_WIDTH), _MAX_WIDTH) for w in widths]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    if spec.headers:
        ws.freeze_panes = "A2"
    bold, wrap = Font(bold=True), Alignment(vertical="center", wrap_text=True)
    header = []
    for title in spec.headers:
        cell = text_cell(ws, title)
        cell.font, cell.alignment = bold, wrap
        header.append(cell)
    if header:
        ws.append(header)
    count = 0
    formats = {c - 1: YUAN_FORMAT for c in spec.money} | {c - 1: PERCENT_FORMAT for c in spec.percent}
    for values in rows:
        cells = [export_value(ws, value) for value in values]
        for index, value in enumerate(values):
            number_format = formats.get(index)
            if number_format is None and _long_decimal(value):
                number_format = DECIMAL_FORMAT
            if number_format is not None and cells[index] is not None:
                cell = text_cell(ws, cells[index]) if not hasattr(cells[index], "number_format") else cells[index]
                cell.number_format = number_format
                cells[index] = cell
        ws.append(cells)
        count += 1
    if spec.filter and spec.headers:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(spec.headers))}{count + 1}"


def _long_decimal(value: object) -> bool:
    """A Decimal with more than two decimals (a float never reaches a sheet)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent < -2


def workbook_bytes(sheets: Iterable[SheetSpec]) -> bytes:
    """The workbook of these sheets, in order, as bytes."""
    wb = Workbook(write_only=True)
    for spec in sheets:
        _write_sheet(wb, spec)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
