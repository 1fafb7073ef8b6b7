"""The applications workbook: formula-like text stays text, numbers stay numbers, header frozen."""
from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from evalsys.reporting.application_export import EXCEL_CELL_MAX, applications_workbook

COLUMNS = ["申报编号", "申报单位", "网站", "网络交易额（元）", "从业人员", "状态"]
FORMULA = '=HYPERLINK("http://x","y")'


def _rows() -> list[list[object]]:
    return [
        [1, "杭州云栖网络科技有限公司", FORMULA, Decimal("123456.78"), 356, "已提交"],
        [2, "+cmd|' /C calc'!A0", "@SUM(1+1)", Decimal("-5"), 0, "草稿"],
        [3, "-2+3", None, 10, 1, "=1+1"],
    ]


def _load(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_formula_like_text_is_stored_as_text() -> None:
    data = applications_workbook(COLUMNS, _rows(), sheet_title="enterprise-2015-2016")
    ws = _load(data).active
    cell = ws["C2"]
    assert cell.value == FORMULA and cell.data_type == "s"
    for ref in ("B3", "C3", "B4", "F4"):
        assert ws[ref].data_type == "s", ref
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        for name in sheets:
            xml = zf.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml


def test_numbers_stay_numbers() -> None:
    ws = _load(applications_workbook(COLUMNS, _rows(), sheet_title="x")).active
    assert ws["A2"].data_type == "n" and ws["A2"].value == 1
    assert ws["D2"].data_type == "n" and Decimal(str(ws["D2"].value)) == Decimal("123456.78")
    assert ws["D3"].value == -5 and ws["E4"].value == 1
    assert ws["C4"].value is None


def test_header_is_bold_frozen_filtered_and_columns_are_wide_enough() -> None:
    ws = _load(applications_workbook(COLUMNS, _rows(), sheet_title="x")).active
    assert [c.value for c in ws[1]] == COLUMNS
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F4"
    # 杭州云栖网络科技有限公司: 12 wide characters, about 24 columns of Excel width.
    assert ws.column_dimensions["B"].width >= 24
    assert all(8 <= ws.column_dimensions[col].width <= 60 for col in "ABCDEF")


def test_sheet_title_is_made_valid_and_empty_exports_work() -> None:
    wb = _load(applications_workbook(COLUMNS, [], sheet_title="2015/2016 [示范企业]: 申报*汇总?表格名称很长很长很长"))
    ws = wb.active
    assert len(ws.title) <= 31 and not set("[]:*?/\\") & set(ws.title)
    assert ws.max_row == 1 and ws.auto_filter.ref == "A1:F1"


def test_floats_and_ragged_rows_are_refused() -> None:
    with pytest.raises(TypeError):
        applications_workbook(["a"], [[0.1]], sheet_title="x")
    with pytest.raises(ValueError):
        applications_workbook(["a", "b"], [["only one"]], sheet_title="x")


def test_text_beyond_excel_cell_limit_is_cut_and_control_characters_dropped() -> None:
    ws = _load(applications_workbook(["a", "b"], [["长" * 40_000, "a\x00b\x07c"]], sheet_title="x")).active
    assert len(ws["A2"].value) == EXCEL_CELL_MAX
    assert ws["B2"].value == "abc"
