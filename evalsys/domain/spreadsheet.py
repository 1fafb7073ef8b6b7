"""Spreadsheet safety: text cells that never become formulas, CSV escaping, xlsx pre-parse limits."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell

from .errors import InvalidInput, N_

# Excel and LibreOffice start a formula (or DDE) with these when a user edits or imports text.
FORMULA_PREFIXES = ("=", "+", "-", "@")
CSV_DANGEROUS_PREFIXES = FORMULA_PREFIXES + ("\t", "\r")

_REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
_SHEET_PREFIX = "xl/worksheets/"
_MAX_MEMBERS = 10_000
_NS_ROW = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row"


def as_text_cell(cell: Any, value: object) -> Any:
    """Put `value` into an openpyxl cell so that a string is stored as a string, never a formula.

    openpyxl's Cell._bind_value makes any string longer than one character that starts with "="
    a formula (data_type "f", written as <f>), and "#N/A"-like strings errors ("e"); the writer
    decides purely on data_type. Forcing data_type "s" after assignment is what prevents the <f>
    element. quotePrefix additionally tells Excel to keep the cell text when a user edits it,
    which matters for "+", "-" and "@" too. Non-strings are assigned unchanged. Control
    characters that XML 1.0 cannot hold are dropped: openpyxl would raise on them, and one stray
    byte in an applicant's text must not make a whole export fail.
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
    return cell


def text_cell(ws: Any, value: object) -> Any:
    """A cell of `ws` holding `value` through as_text_cell, for ws.append() in either openpyxl mode
    (ordinary or write-only; append places it in the next row)."""
    return as_text_cell(Cell(ws, row=1, column=1), value)


def export_value(ws: Any, value: object) -> Any:
    """What to hand ws.append() for one exported value: the value itself where openpyxl keeps it as
    it is (numbers, dates, ordinary text), else a text cell (formula-like or error-like text, text
    with characters XML cannot hold). Skipping the cell object for ordinary values keeps long
    exports fast; the text-stays-text rule is the same as as_text_cell's."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_PREFIXES) or value in ERROR_CODES or ILLEGAL_CHARACTERS_RE.search(value):
        return text_cell(ws, value)
    return value


def append_text_row(ws: Any, values: Iterable[object]) -> None:
    """ws.append() for exports: every string in the row goes through as_text_cell.

    The cells are made first and appended as one row, so the cost is per cell: asking the sheet
    for its max_row on every row (which walks all cells) made long exports quadratic."""
    ws.append([None if value is None else text_cell(ws, value) for value in values])


def csv_escape(value: object) -> str:
    """A CSV field: text starting with = + - @ TAB or CR gets a leading apostrophe.

    Numbers are not text: -5 and Decimal("-1.50") stay as they are, so they remain numbers.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        raise TypeError("float values do not belong in exports; use int or Decimal")
    text = str(value)
    if text.startswith(CSV_DANGEROUS_PREFIXES):
        return "'" + text
    return text


def csv_row(values: Iterable[object]) -> list[str]:
    """csv_escape over a row, ready for csv.writer().writerow()."""
    return [csv_escape(v) for v in values]


class SpreadsheetRejected(InvalidInput):
    """An import file refused before parsing; `message` is Chinese and safe to show."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message, **params)
        self.code = code


@dataclass(frozen=True)
class XlsxInfo:
    sheets: int
    rows: int  # the largest row count of any sheet


def _count_rows(stream: Any, max_rows: int) -> int:
    """Stream one sheet's XML and return its row count; refuse past max_rows.

    Both the number of <row> elements and their r= index count: a single <row r="1048576">
    makes openpyxl's max_row a million and iterating it creates a million empty rows. The
    <dimension> element is not trusted, since any writer can put anything there.
    """
    rows = 0
    highest = 0
    for event, elem in SafeET.iterparse(stream, events=("start", "end"), forbid_dtd=True):
        if elem.tag != _NS_ROW:
            continue
        if event == "start":
            rows += 1
            r = elem.get("r")
            if r is not None:
                if not r.isdigit():
                    raise SpreadsheetRejected("xlsx_invalid", N_("文件不是有效的Excel（xlsx）文件"))
                highest = max(highest, int(r))
            if max(rows, highest) > max_rows:
                raise SpreadsheetRejected("xlsx_rows", N_("表格行数过多：最多 %(count)s 行"), count=max_rows)
        else:
            elem.clear()  # keep memory flat however long the sheet is
    return max(rows, highest)


def check_xlsx(
    data: bytes | Path, *, max_compressed: int, max_uncompressed: int, max_rows: int
) -> XlsxInfo:
    """Refuse an upload before openpyxl parses it: not a zip, missing xlsx parts, a macro
    workbook, compressed size, total declared uncompressed size, or rows above the limits.

    Declared sizes are a sound bound: zipfile never yields more bytes than a member declares
    (it truncates to file_size and then fails the CRC), so openpyxl cannot read more either.
    """
    raw = data.read_bytes() if isinstance(data, Path) else data
    if len(raw) > max_compressed:
        raise SpreadsheetRejected("xlsx_size", N_("文件过大"))
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
            if len(infos) > _MAX_MEMBERS:
                raise SpreadsheetRejected("xlsx_invalid", N_("文件不是有效的Excel（xlsx）文件"))
            names = {i.filename for i in infos}
            sheets = [n for n in sorted(names)
                      if n.startswith(_SHEET_PREFIX) and n.endswith(".xml") and "/_rels/" not in n]
            if any(part not in names for part in _REQUIRED_PARTS) or not sheets:
                raise SpreadsheetRejected("xlsx_invalid", N_("文件不是有效的Excel（xlsx）文件"))
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise SpreadsheetRejected("xlsx_macro", N_("不接受包含宏的文件，请另存为xlsx格式"))
            if sum(i.file_size for i in infos) > max_uncompressed:
                raise SpreadsheetRejected("xlsx_size", N_("文件解压后过大"))
            rows = 0
            for name in sheets:
                with zf.open(name) as stream:
                    rows = max(rows, _count_rows(stream, max_rows))
    except SpreadsheetRejected:
        raise
    except Exception as exc:  # bad zip, bad CRC, DTD/entities (defusedxml), broken XML
        raise SpreadsheetRejected("xlsx_invalid", N_("文件不是有效的Excel（xlsx）文件")) from exc
    return XlsxInfo(sheets=len(sheets), rows=rows)
