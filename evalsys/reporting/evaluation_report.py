"""The performance evaluation report of one base (domain.md §9) as an invariant, fully embedded PDF:
data in (a JSON-able dataclass, also stored with the issued report), bytes out."""
from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .application_form import _CONTROL, NumberedCanvas, _fit, _markup
from .evaluation_charts import category_spending_png, group_scores_png
from .fonts import cjk_font_path, register_cjk_font
from .verification import draw_verification


@dataclass(frozen=True)
class IndicatorRow:
    title: str
    type: str  # the type in words (Indicator.type_label), never the Q+ / Q- / E code
    max: str
    target: str
    actual: str
    points: str
    comment: str = ""


@dataclass(frozen=True)
class GroupBlock:
    title: str
    max: str
    points: str
    rows: list[IndicatorRow]
    narrative: str = ""  # the operator's self-evaluation text for this group


@dataclass(frozen=True)
class FundYear:
    year: str
    allocated: str
    received: str
    spent: str
    arrival: str
    execution: str


@dataclass(frozen=True)
class CategoryRow:
    label: str
    spent: str  # yuan text
    wan: float  # 10,000 yuan, for the chart


@dataclass(frozen=True)
class EvaluationReportDoc:
    """Everything the report prints; strings already formatted, so rendering decides nothing."""

    serial: str
    round_code: str
    round_title: str
    issuer: str
    issued_date: str  # Beijing date text
    base_code: str
    base_name: str
    city: str
    authority: str
    operator: str
    system_title: str
    total: str
    bonus: str
    grade: str
    grade_use: str  # use of results for this grade (domain.md §6)
    targets: list[tuple[str, str]]
    process: list[tuple[str, str, str]]  # (date, acting unit, step)
    groups: list[GroupBlock]
    fund_years: list[FundYear]
    fund_total: FundYear
    categories: list[CategoryRow]
    open_flags: int
    conclusions: str
    problems: str
    recommendations: str
    other_notes: str = ""
    rectification: str = ""
    supersedes: str = ""  # serial of the report this one replaces
    extra: dict[str, str] = field(default_factory=dict)
    verify_url: str = ""  # the public verification address, printed with its QR code on the cover

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): the snapshot stored with an issued report."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> EvaluationReportDoc:
        data = json.loads(text)
        data["targets"] = [tuple(t) for t in data["targets"]]
        data["process"] = [tuple(p) for p in data["process"]]
        data["groups"] = [GroupBlock(**{**g, "rows": [IndicatorRow(**r) for r in g["rows"]]}) for g in data["groups"]]
        data["fund_years"] = [FundYear(**y) for y in data["fund_years"]]
        data["fund_total"] = FundYear(**data["fund_total"])
        data["categories"] = [CategoryRow(**c) for c in data["categories"]]
        return cls(**data)


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 20 * mm
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
OUTLINE = ("一、基本情况", "二、评价工作开展情况", "三、综合评价结论", "四、指标分析",
           "五、经验做法、问题及原因", "六、有关建议", "七、其他需说明的问题")


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "cover_title": ParagraphStyle("ct", parent=base, fontSize=20, leading=30, alignment=TA_CENTER),
        "cover_sub": ParagraphStyle("cs", parent=base, fontSize=13, leading=22, alignment=TA_CENTER),
        "h1": ParagraphStyle("h1", parent=base, fontSize=14, leading=22, spaceBefore=5 * mm, spaceAfter=2 * mm),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=19, spaceBefore=3 * mm, spaceAfter=1 * mm),
        "body": ParagraphStyle("body", parent=base, firstLineIndent=21, spaceAfter=1.5 * mm),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12.5),
        "cellc": ParagraphStyle("cellc", parent=base, fontSize=9, leading=12.5, alignment=TA_CENTER),
        "grade": ParagraphStyle("grade", parent=base, fontSize=16, leading=24, alignment=TA_CENTER,
                                spaceBefore=2 * mm, spaceAfter=2 * mm),
    }


def _grid(font: str, header_rows: int = 1, extra: list[tuple[Any, ...]] | None = None) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), font),  # never Helvetica: it would not be embedded
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header_rows:
        commands.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#d9d9d9")))
    return TableStyle(commands + (extra or []))


def _table(rows: list[list[str]], widths: list[float], s: dict[str, ParagraphStyle], font: str,
           extra: list[tuple[Any, ...]] | None = None, center_from: int = 1) -> Table:
    data = [[Paragraph(_markup(str(c)), s["cellc"] if j >= center_from else s["cell"]) for j, c in enumerate(r)]
            for r in rows]
    return Table(data, colWidths=widths, repeatRows=1, splitInRow=1, style=_grid(font, 1, extra), hAlign="LEFT")


def _paragraphs(text: str, s: dict[str, ParagraphStyle], empty: str = "无。") -> list[Paragraph]:
    lines = [ln.strip() for ln in _CONTROL.sub("", text or "").replace("\r", "\n").split("\n") if ln.strip()]
    return [Paragraph(_markup(ln), s["body"]) for ln in lines] or [Paragraph(empty, s["body"])]


def _png_image(data: bytes, width: float) -> Image:
    img = Image(io.BytesIO(data))
    ratio = img.imageHeight / img.imageWidth
    img.drawWidth, img.drawHeight = width, width * ratio
    return img


def _cover(doc: EvaluationReportDoc, s: dict[str, ParagraphStyle], font: str) -> list[Any]:
    rows = [("评价对象", f"{doc.base_name}（{doc.base_code}）"), ("所在城市", doc.city),
            ("运营主体", doc.operator), ("评价单位", doc.authority),
            ("评价批次", f"{doc.round_title}（{doc.round_code}）"), ("报告编号", doc.serial),
            ("出具单位", doc.issuer), ("出具日期", doc.issued_date)]
    if doc.supersedes:
        rows.append(("替代报告", f"本报告替代编号为 {doc.supersedes} 的报告"))
    table = Table([[Paragraph(_markup(a), s["cell"]), Paragraph(_markup(b), s["cell"])] for a, b in rows],
                  colWidths=[34 * mm, BODY_WIDTH - 60 * mm], style=_grid(font, 0), hAlign="CENTER")
    return [Spacer(1, 35 * mm), Paragraph("国家电子商务示范基地", s["cover_sub"]),
            Paragraph("绩效评价报告", s["cover_title"]), Spacer(1, 6 * mm),
            Paragraph(_markup(doc.round_title), s["cover_sub"]), Spacer(1, 18 * mm), table, PageBreak()]


def _story(doc: EvaluationReportDoc, s: dict[str, ParagraphStyle], font: str, font_path: str) -> list[Any]:
    story = _cover(doc, s, font)
    # 一 基本情况
    story.append(Paragraph(OUTLINE[0], s["h1"]))
    story += _paragraphs(f"{doc.base_name}（{doc.base_code}）位于{doc.city}，运营主体为{doc.operator}，"
                         f"由{doc.authority}负责评价。创建方案确定的主要目标如下：", s)
    story.append(_table([["创建目标", "目标值"]] + [[a, b] for a, b in doc.targets],
                        [BODY_WIDTH * 0.62, BODY_WIDTH * 0.38], s, font))
    # 二 评价工作开展情况
    story.append(Paragraph(OUTLINE[1], s["h1"]))
    story += _paragraphs(f"评价范围为该基地的创建工作及中央专项补助资金使用情况。评价依据《{doc.system_title}》，"
                         "决策、过程、产出、效益四类一级指标共100分；定量指标以基地创建方案的目标值为标准按完成比例计分"
                         "（成本类指标不超预算得满分），定性指标由评价单位逐项评分并说明理由；总分四舍五入保留两位小数，"
                         "加分项单列、不计入等级。评价过程如下：", s)
    story.append(_table([["日期", "单位", "环节"]] + [list(p) for p in doc.process],
                        [BODY_WIDTH * 0.22, BODY_WIDTH * 0.38, BODY_WIDTH * 0.40], s, font))
    # 三 综合评价结论
    story.append(Paragraph(OUTLINE[2], s["h1"]))
    bonus = f"；加分 {doc.bonus} 分（单列，不计入等级）" if doc.bonus not in ("", "0.00") else ""
    story.append(Paragraph(_markup(f"综合得分 {doc.total} 分，评价等级：{doc.grade}{bonus}"), s["grade"]))
    story += _paragraphs(doc.grade_use, s)
    summary = [["一级指标", "满分", "得分"]] + [[g.title, g.max, g.points] for g in doc.groups]
    summary.append(["合计", "100", doc.total])
    story.append(_table(summary, [BODY_WIDTH * 0.5, BODY_WIDTH * 0.25, BODY_WIDTH * 0.25], s, font,
                        [("BACKGROUND", (0, len(summary) - 1), (-1, len(summary) - 1), colors.HexColor("#f2f2f2"))]))
    story += _paragraphs(doc.conclusions, s)
    # 四 指标分析
    story.append(Paragraph(OUTLINE[3], s["h1"]))
    rows = [["指标", "类型", "分值", "目标值", "实际值", "得分"]]
    spans: list[tuple[Any, ...]] = []
    for g in doc.groups:
        rows.append([f"{g.title}（小计）", "", g.max, "", "", g.points])
        spans.append(("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), colors.HexColor("#f2f2f2")))
        rows += [[r.title, r.type, r.max, r.target, r.actual, r.points] for r in g.rows]
    w = BODY_WIDTH
    story.append(_table(rows, [w * 0.29, w * 0.15, w * 0.07, w * 0.18, w * 0.18, w * 0.13], s, font, spans))
    story.append(Spacer(1, 3 * mm))
    groups_png = group_scores_png([(g.title, float(g.points), float(g.max)) for g in doc.groups], font_path=font_path)
    story.append(KeepTogether([_png_image(groups_png, BODY_WIDTH * 0.85)]))
    for g in doc.groups:
        story.append(Paragraph(_markup(f"（{'一二三四五六七八'[doc.groups.index(g)]}）{g.title}"), s["h2"]))
        comments = [f"{r.title}：{r.comment}" for r in g.rows if r.comment]
        story += _paragraphs(g.narrative, s, "基地未填写该部分自评说明。")
        if comments:
            story.append(Paragraph("评价意见：", s["body"]))
            story += _paragraphs("\n".join(comments), s)
    story.append(Paragraph("（五）资金执行情况", s["h2"]))
    fund_rows = [["资金年度", "下达（元）", "到位（元）", "已核实支出（元）", "到位率", "执行率"]]
    fund_rows += [[y.year, y.allocated, y.received, y.spent, y.arrival, y.execution] for y in doc.fund_years]
    t = doc.fund_total
    fund_rows.append([t.year, t.allocated, t.received, t.spent, t.arrival, t.execution])
    story.append(_table(fund_rows, [w * 0.14, w * 0.2, w * 0.2, w * 0.2, w * 0.13, w * 0.13], s, font,
                        [("BACKGROUND", (0, len(fund_rows) - 1), (-1, len(fund_rows) - 1), colors.HexColor("#f2f2f2"))]))
    story.append(Spacer(1, 2 * mm))
    cat_rows = [["支出类别", "已核实支出（元）"]] + [[c.label, c.spent] for c in doc.categories]
    story.append(_table(cat_rows, [w * 0.6, w * 0.4], s, font))
    story += _paragraphs(f"截至评价时，资金合规性提示中仍待处理的有 {doc.open_flags} 项。", s)
    cat_png = category_spending_png([(c.label, c.wan) for c in doc.categories], font_path=font_path)
    story.append(KeepTogether([_png_image(cat_png, BODY_WIDTH * 0.85)]))
    # 五 六 七
    story.append(Paragraph(OUTLINE[4], s["h1"]))
    story += _paragraphs(doc.problems, s)
    story.append(Paragraph(OUTLINE[5], s["h1"]))
    story += _paragraphs(doc.recommendations, s)
    story.append(Paragraph(OUTLINE[6], s["h1"]))
    story += _paragraphs("\n".join(x for x in (doc.other_notes, doc.rectification) if x), s)
    return story


def _decorate(canvas: Canvas, page: int, total: int, *, doc: EvaluationReportDoc, font: str) -> None:
    if page == 1:  # the cover carries no header or footer, only the verification block
        draw_verification(canvas, doc.verify_url, font=font, x=MARGIN_X, y=MARGIN_BOTTOM - 8 * mm, width=BODY_WIDTH)
        return
    canvas.saveState()
    canvas.setFont(font, 9)
    canvas.setStrokeColor(colors.grey)
    canvas.setFillColor(colors.HexColor("#444444"))
    top = PAGE_HEIGHT - MARGIN_TOP + 6 * mm
    right = f"报告编号：{_CONTROL.sub('', doc.serial)}"
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top, right)
    left_room = BODY_WIDTH - stringWidth(right, font, 9) - 6 * mm
    canvas.drawString(MARGIN_X, top, _fit(f"{_CONTROL.sub('', doc.base_name)} 绩效评价报告", font, 9, left_room))
    canvas.line(MARGIN_X, top - 2 * mm, PAGE_WIDTH - MARGIN_X, top - 2 * mm)
    bottom = MARGIN_BOTTOM - 10 * mm
    canvas.line(MARGIN_X, bottom + 4 * mm, PAGE_WIDTH - MARGIN_X, bottom + 4 * mm)
    side = BODY_WIDTH / 2 - 18 * mm
    canvas.drawString(MARGIN_X, bottom, _fit(_CONTROL.sub("", doc.issuer), font, 9, side))
    canvas.drawCentredString(PAGE_WIDTH / 2, bottom, f"第 {page} 页 共 {total} 页")
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, bottom, _fit(f"出具日期：{doc.issued_date}", font, 9, side))
    canvas.restoreState()


def render_evaluation_report(doc: EvaluationReportDoc, *, font_path: str | None = None) -> bytes:
    """The report as A4 PDF bytes; the same `doc` always gives the same bytes (invariant mode).

    Raises fonts.FontUnavailable (naming EVALSYS_CJK_FONT and fonts-wqy-microhei) without a usable font.
    """
    font = register_cjk_font(font_path)
    resolved = cjk_font_path(font_path)
    buf = io.BytesIO()
    template = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=_CONTROL.sub("", f"{doc.base_name} 绩效评价报告"),
        subject=_CONTROL.sub("", doc.round_title), author=_CONTROL.sub("", doc.issuer), creator="evalsys",
        invariant=True, initialFontName=font, initialFontSize=10.5,
    )
    canvasmaker = partial(NumberedCanvas, decorate=partial(_decorate, doc=doc, font=font))
    template.build(_story(doc, _styles(font), font, resolved), canvasmaker=canvasmaker)
    return buf.getvalue()
