"""XLSX exports of the subsidy funds: one base and year, and the ministry's summary of all bases.
Amounts are written as exact Decimal yuan (from integer fen), text cells always as text."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from ..domain.funds import CATEGORY_LABELS, Figures
from ..domain.formatting import MISSING, code_label, percent
from ..domain.money import fen_to_decimal
from .xlsx import YUAN_FORMAT, SheetSpec, workbook_bytes as write_workbook

STATUS_LABELS = {"pending": "待核实", "verified": "已核实", "rejected": "已驳回"}
__all__ = ["YUAN_FORMAT", "base_year_xlsx", "summary_xlsx", "workbook_bytes"]


def workbook_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]],
                   money_columns: dict[str, set[int]] | None = None,
                   percent_columns: dict[str, set[int]] | None = None) -> bytes:
    """A workbook of several sheets (title, headers, rows); money columns get a yuan number format,
    rate columns a percentage format. Rows may be generators: the sheets are written in streaming mode."""
    money, percent = money_columns or {}, percent_columns or {}
    return write_workbook([SheetSpec(title, headers, rows, money=money.get(title, set()),
                                     percent=percent.get(title, set()))
                           for title, headers, rows in sheets])


def _rate(value: str | None) -> Decimal | str:
    """A rate (a 4-decimal fraction) as a number the sheet shows as a percentage; "—" when undefined."""
    return Decimal(value) if value is not None else MISSING


def _rate_text(value: str | None) -> str:
    """A rate as the pages print it (the overview sheet's value column is not a number column)."""
    return percent(Decimal(value), 2) if value is not None else MISSING


def base_year_xlsx(base: Any, year: int, figures: Figures, entries: Iterable[Any]) -> bytes:
    """One base's funds of one allocation year: the figures, then every entry with its flags."""
    overview = [
        ["基地", f"{base.code} {base.name}"], ["主管部门", base.authority.full_name], ["资金年度", str(year)],
        ["下达（元）", fen_to_decimal(figures.allocated_fen)], ["到位（元）", fen_to_decimal(figures.received_fen)],
        ["已核实支出（元）", fen_to_decimal(figures.spent_fen)], ["资金到位率", _rate_text(figures.arrival_rate)],
        ["预算执行率", _rate_text(figures.execution_rate)],
    ]
    rows = ([e.date.isoformat(), e.project, e.category, CATEGORY_LABELS.get(e.category, e.category),
             fen_to_decimal(e.amount_fen), e.payee, e.voucher_no, "有" if e.voucher_file_id else "无",
             STATUS_LABELS[e.status.value], e.allocation.document_no,
             f"冲销第{e.reverses_id}号" if e.reverses_id else "",
             "；".join(f"{f.code_label}（{f.state_label}）" for f in e.flags)] for e in entries)
    headers = ["支出日期", "项目名称", "类别代码", "类别", "金额（元）", "收款单位", "凭证号", "凭证扫描件", "状态",
               "资金文号", "冲销", "合规提示"]
    return workbook_bytes([("概况", ["项目", "数值"], overview), ("支出明细", headers, rows)],
                          {"概况": {2}, "支出明细": {5}})


def summary_xlsx(rows: Iterable[Any], by_category: dict[str, dict[str, int]], year: int | None) -> bytes:
    """The ministry's summary: one row per base, and verified spending per base and category."""
    scope = f"{year}年度" if year else "全部年度"
    main = [[r.base.code, r.base.name, r.base.city, r.base.authority.name, fen_to_decimal(r.figures.allocated_fen),
             fen_to_decimal(r.figures.received_fen), fen_to_decimal(r.figures.spent_fen),
             _rate(r.figures.arrival_rate), _rate(r.figures.execution_rate), r.open_flags] for r in rows]
    codes = list(CATEGORY_LABELS)
    cat_rows = [[code, *[fen_to_decimal(by_category[code].get(c, 0)) for c in codes]] for code in by_category]
    return workbook_bytes(
        [(f"汇总（{scope}）", ["基地编号", "基地名称", "城市", "主管部门", "下达（元）", "到位（元）", "已核实支出（元）",
                           "资金到位率", "预算执行率", "待处理提示"], main),
         ("按类别支出", ["基地编号", *[code_label(CATEGORY_LABELS[c], c) for c in codes]], cat_rows)],
        {f"汇总（{scope}）": {5, 6, 7}, "按类别支出": set(range(2, len(codes) + 2))},
        {f"汇总（{scope}）": {8, 9}})
