"""XLSX exports of the subsidy funds: one base and year, and the ministry's summary of all bases.
Amounts are written as exact Decimal yuan (from integer fen), text cells always as text."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from ..domain.funds import CATEGORY_LABELS, Figures
from ..domain.formatting import MISSING, code_label, percent
from ..domain.marking import N_
from ..domain.money import fen_to_decimal
from .xlsx import YUAN_FORMAT, SheetSpec, workbook_bytes as write_workbook

STATUS_LABELS = {"pending": N_("待核实"), "verified": N_("已核实"), "rejected": N_("已驳回")}
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


# Labels of the workbooks, marked for the catalogue: the caller passes its translation (`tr`), so the
# headers are in the reader's language; the cells keep the data as recorded.
BASE_OVERVIEW = (N_("基地"), N_("主管部门"), N_("资金年度"), N_("下达（元）"), N_("到位（元）"), N_("已核实支出（元）"),
                 N_("资金到位率"), N_("预算执行率"))
ENTRY_HEADERS = (N_("支出日期"), N_("项目名称"), N_("类别代码"), N_("类别"), N_("金额（元）"), N_("收款单位"),
                 N_("凭证号"), N_("凭证扫描件"), N_("状态"), N_("资金文号"), N_("冲销"), N_("合规提示"))
SUMMARY_HEADERS = (N_("基地编号"), N_("基地名称"), N_("城市"), N_("主管部门"), N_("下达（元）"), N_("到位（元）"),
                   N_("已核实支出（元）"), N_("资金到位率"), N_("预算执行率"), N_("待处理提示"))


def _same(text: str) -> str:
    return text


def base_year_xlsx(base: Any, year: int, figures: Figures, entries: Iterable[Any], *,
                   tr: Callable[[str], str] = _same, lang: str = "zh") -> bytes:
    """One base's funds of one allocation year: the figures, then every entry with its flags (labels through
    `tr`, in the language `lang`)."""
    values = [f"{base.code} {base.name}", base.authority.full_name, str(year), fen_to_decimal(figures.allocated_fen),
              fen_to_decimal(figures.received_fen), fen_to_decimal(figures.spent_fen),
              _rate_text(figures.arrival_rate), _rate_text(figures.execution_rate)]
    overview = [[tr(name), value] for name, value in zip(BASE_OVERVIEW, values, strict=True)]
    has, has_not, separator = tr(N_("有")), tr(N_("无")), "; " if lang == "en" else "；"

    def row(e: Any) -> list[object]:
        category = tr(CATEGORY_LABELS[e.category]) if e.category in CATEGORY_LABELS else e.category
        reverses = tr(N_("冲销第%(n)s号")) % {"n": e.reverses_id} if e.reverses_id else ""
        flags = separator.join(code_label(tr(f.code_label), tr(f.state_label), lang=lang) for f in e.flags)
        return [e.date.isoformat(), e.project, e.category, category, fen_to_decimal(e.amount_fen), e.payee,
                e.voucher_no, has if e.voucher_file_id else has_not, tr(STATUS_LABELS[e.status.value]),
                e.allocation.document_no, reverses, flags]

    overview_title, entries_title = tr(N_("概况")), tr(N_("支出明细"))
    return workbook_bytes([(overview_title, [tr(N_("项目")), tr(N_("数值"))], overview),
                           (entries_title, [tr(h) for h in ENTRY_HEADERS], (row(e) for e in entries))],
                          {overview_title: {2}, entries_title: {5}})


def summary_xlsx(rows: Iterable[Any], by_category: dict[str, dict[str, int]], year: int | None, *,
                 tr: Callable[[str], str] = _same, lang: str = "zh") -> bytes:
    """The ministry's summary: one row per base, and verified spending per base and category (labels through
    `tr`, in the language `lang`)."""
    scope = tr(N_("%(year)s年度")) % {"year": year} if year else tr(N_("全部年度"))
    main = [[r.base.code, r.base.name, r.base.city, r.base.authority.name, fen_to_decimal(r.figures.allocated_fen),
             fen_to_decimal(r.figures.received_fen), fen_to_decimal(r.figures.spent_fen),
             _rate(r.figures.arrival_rate), _rate(r.figures.execution_rate), r.open_flags] for r in rows]
    codes = list(CATEGORY_LABELS)
    cat_rows = [[code, *[fen_to_decimal(by_category[code].get(c, 0)) for c in codes]] for code in by_category]
    main_title, cat_title = tr(N_("汇总（%(scope)s）")) % {"scope": scope}, tr(N_("按类别支出"))
    cat_headers = [tr(SUMMARY_HEADERS[0]), *[code_label(tr(CATEGORY_LABELS[c]), c, lang=lang) for c in codes]]
    return workbook_bytes(
        [(main_title, [tr(h) for h in SUMMARY_HEADERS], main), (cat_title, cat_headers, cat_rows)],
        {main_title: {5, 6, 7}, cat_title: set(range(2, len(codes) + 2))},
        {main_title: {8, 9}})
