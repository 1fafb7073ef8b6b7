"""The XLSX export of a call's applications: text stays text, numbers stay numbers."""
from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..domain.spreadsheet import append_text_row

# Excel refuses these in sheet names and caps a name at 31 characters.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Excel's hard limit per cell; a longer string makes Excel "repair" (drop) the cell on opening.
EXCEL_CELL_MAX = 32_767
_MIN_WIDTH = 8
_MAX_WIDTH = 60


def _sheet_name(title: str) -> str:
    name = _SHEET_FORBIDDEN.sub("_", title).strip("'").strip()[:31]
    return name or "Sheet1"


def _display_width(value: object) -> int:
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


def applications_workbook(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, sheet_title: str
) -> bytes:
    """One sheet: a bold, frozen, filterable header row, then one row per application.

    Every string goes through append_text_row, so "=HYPERLINK(...)" stays text; int and Decimal
    stay numbers. Floats are refused: money and figures are exact (fen or Decimal) in evalsys.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(sheet_title)
    append_text_row(ws, columns)
    widths = [_display_width(c) for c in columns]
    count = 0
    for row in rows:
        values = list(row)
        if len(values) != len(columns):
            raise ValueError(f"row {count + 1} has {len(values)} values for {len(columns)} columns")
        for index, value in enumerate(values):
            if isinstance(value, float):
                raise TypeError("float values do not belong in exports; use int or Decimal")
            if isinstance(value, str) and len(value) > EXCEL_CELL_MAX:
                values[index] = value[: EXCEL_CELL_MAX - 1] + "…"
        append_text_row(ws, values)
        for index, value in enumerate(values):
            widths[index] = max(widths[index], _display_width(value))
        count += 1
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for index, width in enumerate(widths, start=1):
        # +2 for the filter drop-down arrow in the header cell.
        ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
