"""The national summary of a performance round for the ministry (全国汇总报告): data in (a JSON-able
dataclass of raw figures, stored with the issued summary), an invariant PDF in the base reports'
fonts and layout, and an XLSX workbook of the same figures, bytes out."""
from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

from ..domain.formatting import percent, ratio_percent
from ..domain.money import format_fen, rate
from .application_form import _CONTROL, NumberedCanvas, _fit, _markup
from .evaluation_report import (BODY_WIDTH, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PAGE_HEIGHT, PAGE_WIDTH, _grid,
                                _paragraphs, _styles, _table)
from .fonts import register_cjk_font

GRADES = ("优", "良", "中", "差")
OUTLINE = ("一、总体情况", "二、评价等级分布", "三、中央专项补助资金到位与执行", "四、评价为“差”的基地及整改情况",
           "五、指标完成情况", "六、说明")


@dataclass(frozen=True)
class AuthorityGrades:
    """Final grades (accepted or issued evaluations) of one authority's bases; `pending` are not final yet."""

    code: str
    name: str
    counts: list[int]  # in GRADES order
    pending: int


@dataclass(frozen=True)
class AuthorityFunds:
    """Money of one authority's bases in the round, allocations up to the round's year (fen)."""

    code: str
    name: str
    bases: int
    allocated_fen: int
    received_fen: int
    spent_fen: int


@dataclass(frozen=True)
class PoorBase:
    """A base graded 差 and where its rectification stands (dates are Beijing dates, "" if none)."""

    base_code: str
    base_name: str
    authority: str
    total: str
    status: str
    deadline: str
    reported: str
    rechecked: str
    revoked: str


@dataclass(frozen=True)
class IndicatorMean:
    """Mean achievement of one indicator (points / maximum) over the round's graded evaluations."""

    indicator_id: str
    title: str
    group: str
    max: str
    mean_points: str  # 2 decimals
    achievement: str  # ratio, 4 decimals
    count: int


@dataclass(frozen=True)
class RoundSummaryDoc:
    """Everything the national summary prints, as raw figures; formatting happens in rendering."""

    serial: str
    round_code: str
    round_title: str
    issuer: str
    issued_date: str  # Beijing date text
    year: int
    system_title: str
    bases: int
    graded: int
    mean_total: str  # "" when nothing is graded
    by_authority: list[AuthorityGrades]
    funds: list[AuthorityFunds]
    poor: list[PoorBase]
    indicators: list[IndicatorMean]  # strongest first
    shown: int = 5  # how many strongest and weakest the PDF lists

    @property
    def grade_totals(self) -> list[int]:
        return [sum(a.counts[i] for a in self.by_authority) for i in range(len(GRADES))]

    @property
    def pending(self) -> int:
        return sum(a.pending for a in self.by_authority)

    @property
    def fund_total(self) -> AuthorityFunds:
        return AuthorityFunds("", "合计", sum(f.bases for f in self.funds), sum(f.allocated_fen for f in self.funds),
                              sum(f.received_fen for f in self.funds), sum(f.spent_fen for f in self.funds))

    def strongest(self) -> list[IndicatorMean]:
        return self.indicators[: self.shown]

    def weakest(self) -> list[IndicatorMean]:
        return list(reversed(self.indicators[-self.shown:])) if self.indicators else []

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): the snapshot stored with an issued summary."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> RoundSummaryDoc:
        data = json.loads(text)
        data["by_authority"] = [AuthorityGrades(**a) for a in data["by_authority"]]
        data["funds"] = [AuthorityFunds(**f) for f in data["funds"]]
        data["poor"] = [PoorBase(**p) for p in data["poor"]]
        data["indicators"] = [IndicatorMean(**i) for i in data["indicators"]]
        return cls(**data)


# --- PDF ----------------------------------------------------------------------------------------------

def _story(doc: RoundSummaryDoc, s: dict, font: str) -> list[Any]:
    w = BODY_WIDTH
    rows = [("评估批次", f"{doc.round_title}（{doc.round_code}）"), ("报告编号", doc.serial),
            ("出具单位", doc.issuer), ("出具日期", doc.issued_date)]
    cover = Table([[Paragraph(_markup(a), s["cell"]), Paragraph(_markup(b), s["cell"])] for a, b in rows],
                  colWidths=[34 * mm, w - 60 * mm], style=_grid(font, 0), hAlign="CENTER")
    story: list[Any] = [Spacer(1, 35 * mm), Paragraph("首批国家电子商务示范基地", s["cover_sub"]),
                        Paragraph("绩效评估全国汇总报告", s["cover_title"]), Spacer(1, 6 * mm),
                        Paragraph(_markup(doc.round_title), s["cover_sub"]), Spacer(1, 18 * mm), cover, PageBreak()]
    totals = doc.grade_totals
    story.append(Paragraph(OUTLINE[0], s["h1"]))
    mean = f"，平均综合得分 {doc.mean_total} 分" if doc.mean_total else ""
    story += _paragraphs(f"本批次评估对象为首批国家电子商务示范基地 {doc.bases} 个，评价依据《{doc.system_title}》。"
                         f"截至出具日，商务部已审核确定等级的 {doc.graded} 个{mean}；尚未最终确定的 {doc.pending} 个。", s)
    story.append(Paragraph(OUTLINE[1], s["h1"]))
    overall = [["等级", "基地数", "占已定级比例"]]
    overall += [[g, str(n), ratio_percent(n, doc.graded, 1)] for g, n in zip(GRADES, totals)]
    story.append(_table(overall, [w * 0.3, w * 0.3, w * 0.4], s, font))
    story.append(Spacer(1, 3 * mm))
    rows_a = [["推荐单位", *GRADES, "未定级", "合计"]]
    for a in doc.by_authority:
        rows_a.append([a.name, *(str(n) for n in a.counts), str(a.pending), str(sum(a.counts) + a.pending)])
    rows_a.append(["合计", *(str(n) for n in totals), str(doc.pending), str(doc.graded + doc.pending)])
    last = len(rows_a) - 1
    story.append(_table(rows_a, [w * 0.28] + [w * 0.12] * 6, s, font,
                        [("BACKGROUND", (0, last), (-1, last), colors.HexColor("#f2f2f2"))]))
    story.append(Paragraph(OUTLINE[2], s["h1"]))
    story += _paragraphs(f"资金口径：各基地 {doc.year} 年及以前年度下达的中央专项补助资金；到位率＝到位资金÷下达资金，"
                         "执行率＝已核实支出÷到位资金。", s)
    rows_f = [["推荐单位", "基地数", "下达（元）", "到位（元）", "已核实支出（元）", "到位率", "执行率"]]
    for f in [*doc.funds, doc.fund_total]:
        rows_f.append([f.name, str(f.bases), format_fen(f.allocated_fen), format_fen(f.received_fen),
                       format_fen(f.spent_fen), ratio_percent(f.received_fen, f.allocated_fen, 2),
                       ratio_percent(f.spent_fen, f.received_fen, 2)])
    last = len(rows_f) - 1
    story.append(_table(rows_f, [w * 0.2, w * 0.08, w * 0.16, w * 0.16, w * 0.16, w * 0.12, w * 0.12], s, font,
                        [("BACKGROUND", (0, last), (-1, last), colors.HexColor("#f2f2f2"))]))
    story.append(Paragraph(OUTLINE[3], s["h1"]))
    if doc.poor:
        rows_p = [["基地", "推荐单位", "综合得分", "整改状态", "整改期限", "报告整改", "复查", "撤销称号"]]
        rows_p += [[f"{p.base_name}（{p.base_code}）", p.authority, p.total, p.status, p.deadline or "—",
                    p.reported or "—", p.rechecked or "—", p.revoked or "—"] for p in doc.poor]
        story.append(_table(rows_p, [w * 0.24, w * 0.14, w * 0.09, w * 0.11, w * 0.11, w * 0.11, w * 0.1, w * 0.1],
                            s, font))
    else:
        story += _paragraphs("本批次没有评价为“差”的基地。", s)
    story.append(Paragraph(OUTLINE[4], s["h1"]))
    story += _paragraphs("完成度＝各已定级基地该指标得分÷该指标分值的平均值。完成度最高和最低的指标如下"
                         "（全部指标见同编号的 XLSX 汇总表）：", s)
    for title, items in (("完成度最高的指标", doc.strongest()), ("完成度最低的指标", doc.weakest())):
        story.append(Paragraph(title, s["h2"]))
        rows_i = [["指标", "一级指标", "分值", "平均得分", "完成度"]]
        rows_i += [[i.title, i.group, i.max, i.mean_points, percent(Decimal(i.achievement), 2)] for i in items]
        story.append(_table(rows_i, [w * 0.38, w * 0.14, w * 0.12, w * 0.16, w * 0.2], s, font))
    story.append(Paragraph(OUTLINE[5], s["h1"]))
    story += _paragraphs("本报告由系统根据出具时的评价、资金和整改记录汇总生成，经出具单位电子签章；"
                         "可凭报告编号在公开核验页面核对真伪。", s)
    return story


def _decorate(canvas: Canvas, page: int, total: int, *, doc: RoundSummaryDoc, font: str) -> None:
    if page == 1:
        return
    canvas.saveState()
    canvas.setFont(font, 9)
    canvas.setStrokeColor(colors.grey)
    canvas.setFillColor(colors.HexColor("#444444"))
    top = PAGE_HEIGHT - MARGIN_TOP + 6 * mm
    right = f"报告编号：{_CONTROL.sub('', doc.serial)}"
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top, right)
    canvas.drawString(MARGIN_X, top, _fit("绩效评估全国汇总报告", font, 9,
                                          BODY_WIDTH - stringWidth(right, font, 9) - 6 * mm))
    canvas.line(MARGIN_X, top - 2 * mm, PAGE_WIDTH - MARGIN_X, top - 2 * mm)
    bottom = MARGIN_BOTTOM - 10 * mm
    canvas.line(MARGIN_X, bottom + 4 * mm, PAGE_WIDTH - MARGIN_X, bottom + 4 * mm)
    side = BODY_WIDTH / 2 - 18 * mm
    canvas.drawString(MARGIN_X, bottom, _fit(_CONTROL.sub("", doc.issuer), font, 9, side))
    canvas.drawCentredString(PAGE_WIDTH / 2, bottom, f"第 {page} 页 共 {total} 页")
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, bottom, _fit(f"出具日期：{doc.issued_date}", font, 9, side))
    canvas.restoreState()


def render_round_summary_pdf(doc: RoundSummaryDoc, *, font_path: str | None = None) -> bytes:
    """The summary as A4 PDF bytes; the same `doc` always gives the same bytes (invariant mode)."""
    font = register_cjk_font(font_path)
    buf = io.BytesIO()
    template = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=_CONTROL.sub("", f"{doc.round_title} 全国汇总报告"),
        subject=_CONTROL.sub("", doc.round_code), author=_CONTROL.sub("", doc.issuer), creator="evalsys",
        invariant=True, initialFontName=font, initialFontSize=10.5,
    )
    canvasmaker = partial(NumberedCanvas, decorate=partial(_decorate, doc=doc, font=font))
    template.build(_story(doc, _styles(font), font), canvasmaker=canvasmaker)
    return buf.getvalue()


# --- XLSX ---------------------------------------------------------------------------------------------

GRADE_HEADERS = ["推荐单位代码", "推荐单位", *GRADES, "未定级", "合计"]
FUND_HEADERS = ["推荐单位代码", "推荐单位", "基地数", "下达（元）", "到位（元）", "已核实支出（元）", "到位率", "执行率"]
POOR_HEADERS = ["基地编号", "基地名称", "推荐单位", "综合得分", "整改状态", "整改期限", "报告整改日期", "复查日期",
                "撤销称号日期"]
INDICATOR_HEADERS = ["排序", "指标代码", "指标", "一级指标", "分值", "平均得分", "完成度", "定级基地数"]


def _yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def _rate(numerator: int, denominator: int) -> Decimal | str:
    value = rate(numerator, denominator)
    return "—" if value is None else Decimal(value)


def workbook_sheets(doc: RoundSummaryDoc) -> list[tuple[str, list[str], list[list[object]]]]:
    """(sheet title, headers, rows) of the XLSX: numbers as int or Decimal, rates as 4-decimal ratios."""
    totals = doc.grade_totals
    grades = [[a.code, a.name, *a.counts, a.pending, sum(a.counts) + a.pending] for a in doc.by_authority]
    grades.append(["", "合计", *totals, doc.pending, doc.graded + doc.pending])
    funds = [[f.code, f.name, f.bases, _yuan(f.allocated_fen), _yuan(f.received_fen), _yuan(f.spent_fen),
              _rate(f.received_fen, f.allocated_fen), _rate(f.spent_fen, f.received_fen)]
             for f in [*doc.funds, doc.fund_total]]
    poor = [[p.base_code, p.base_name, p.authority, Decimal(p.total), p.status, p.deadline, p.reported, p.rechecked,
             p.revoked] for p in doc.poor]
    indicators = [[n, i.indicator_id, i.title, i.group, Decimal(i.max), Decimal(i.mean_points),
                   Decimal(i.achievement), i.count] for n, i in enumerate(doc.indicators, start=1)]
    overview = [["评估批次", f"{doc.round_title}（{doc.round_code}）"], ["报告编号", doc.serial],
                ["出具单位", doc.issuer], ["出具日期", doc.issued_date], ["评估对象（个）", doc.bases],
                ["已定级（个）", doc.graded], ["平均综合得分", Decimal(doc.mean_total) if doc.mean_total else "—"],
                *[[f"等级“{g}”（个）", n] for g, n in zip(GRADES, totals)]]
    return [("概况", ["项目", "内容"], overview), ("等级分布", GRADE_HEADERS, grades),
            ("资金到位与执行", FUND_HEADERS, funds), ("差评基地整改", POOR_HEADERS, poor),
            ("指标完成度", INDICATOR_HEADERS, indicators)]


def render_round_summary_xlsx(doc: RoundSummaryDoc) -> bytes:
    """The summary's figures as a workbook, one sheet per part; text stays text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ..domain.spreadsheet import append_text_row

    wb = Workbook()
    wb.remove(wb.active)
    for title, headers, rows in workbook_sheets(doc):
        ws = wb.create_sheet(title)
        append_text_row(ws, headers)
        for row in rows:
            append_text_row(ws, row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGHIJ", (14, 30, 14, 16, 16, 16, 12, 12, 14, 14)):
            ws.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
