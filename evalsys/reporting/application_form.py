"""The filled application form as a printable PDF (to be sealed and uploaded back): data in, bytes out."""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..domain.marking import N_
from .fonts import register_cjk_font


@dataclass(frozen=True)
class FormRow:
    label: str
    value: str


@dataclass(frozen=True)
class FormSection:
    title: str
    rows: tuple[FormRow, ...]


@dataclass(frozen=True)
class ApplicationFormDoc:
    heading: str  # e.g. "2015—2016年度电子商务示范企业申报表"
    call_title: str
    call_code: str
    application_id: int
    organisation: str
    uscc: str
    authority: str
    category: str | None
    sections: tuple[FormSection, ...]  # 基本信息, 联系方式, the indicator figures grouped, …
    narrative: tuple[FormRow, ...]  # (section title, long text)
    generated_at: str  # Beijing time text, shown in the footer


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 20 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 20 * mm
LABEL_WIDTH = 48 * mm

# The fixed texts of the form are marked for the catalogue; the caller passes their translation (`tr`),
# the data in the doc is printed as given.
Translate = Callable[[str], str]
DECLARATION = N_("本单位承诺：本申报表及所附材料内容真实、准确、完整，如有虚假，愿承担相应责任。")
SUMMARY_LABELS = {"id": N_("申报编号"), "call": N_("申报批次"), "organisation": N_("申报单位"),
                  "uscc": N_("统一社会信用代码"), "authority": N_("推荐单位"), "category": N_("申报类别")}

# Characters a PDF string cannot carry meaningfully (and reportlab's parser may choke on); forms
# already refuse them, but a renderer must not fail on one stray byte in stored data.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _markup(text: str) -> str:
    """User text as reportlab paragraph markup: escaped, never interpreted; newlines kept."""
    clean = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return escape(clean).replace("\n", "<br/>")


def _styles(font: str) -> dict[str, ParagraphStyle]:
    # wordWrap="CJK" breaks lines between any two Chinese characters; without it a line of
    # Chinese is one "word" and overflows the column.
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER,
                                spaceAfter=4 * mm),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, alignment=TA_CENTER,
                                   spaceAfter=6 * mm),
        "section": ParagraphStyle("section", parent=base, fontSize=13, leading=20,
                                  spaceBefore=5 * mm, spaceAfter=2 * mm),
        "th": ParagraphStyle("th", parent=base, fontSize=11.5, leading=17),
        "cell": base,
        "label": ParagraphStyle("label", parent=base, textColor=colors.HexColor("#333333")),
        "body": ParagraphStyle("body", parent=base, firstLineIndent=21, spaceAfter=2 * mm),
        "declaration": ParagraphStyle("declaration", parent=base, spaceBefore=6 * mm,
                                      spaceAfter=4 * mm),
    }


def _table_style(font: str, *, header: bool) -> TableStyle:
    # Every table command names the font too: a cell without an explicit font would fall back to
    # Helvetica, a non-embedded standard font.
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 10.5),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 1 if header else 0), (0, -1), colors.HexColor("#f2f2f2")),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands += [("SPAN", (0, 0), (-1, 0)), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#d9d9d9"))]
    return TableStyle(commands)


def _rows_table(title: str | None, rows: list[tuple[str, str]], styles: dict[str, ParagraphStyle],
                font: str) -> Table:
    """A label/value grid; with a title, that title row repeats on every page the table spans."""
    width = PAGE_WIDTH - 2 * MARGIN_X
    data: list[list[Any]] = []
    if title is not None:
        data.append([Paragraph(_markup(title), styles["th"]), ""])
    for label, value in rows:
        data.append([Paragraph(_markup(label), styles["label"]), Paragraph(_markup(value), styles["cell"])])
    if not data:
        data.append(["", ""])
    # splitInRow lets a single very long value continue on the next page instead of raising
    # LayoutError ("too large on page").
    return Table(data, colWidths=[LABEL_WIDTH, width - LABEL_WIDTH], repeatRows=1 if title else 0,
                 splitInRow=1, style=_table_style(font, header=title is not None), hAlign="LEFT")


def _date_line(tr: Translate) -> str:
    # Paragraphs collapse runs of spaces (U+3000 included); &nbsp; keeps room to write the date by hand.
    return _markup(tr(N_("日期：%(year)s年%(month)s月%(day)s日"))) % {
        "year": "&nbsp;" * 12, "month": "&nbsp;" * 6, "day": "&nbsp;" * 6}


def _signature_block(styles: dict[str, ParagraphStyle], font: str, tr: Translate) -> KeepTogether:
    width = PAGE_WIDTH - 2 * MARGIN_X
    date_line = _date_line(tr)
    cells = [
        [Paragraph(_markup(tr(N_("单位盖章（公章）"))), styles["label"]),
         Paragraph(_markup(tr(N_("法定代表人签字"))), styles["label"])],
        ["", ""],
        [Paragraph(date_line, styles["cell"]), Paragraph(date_line, styles["cell"])],
    ]
    table = Table(cells, colWidths=[width / 2, width / 2], rowHeights=[None, 40 * mm, None],
                  style=TableStyle([
                      ("FONTNAME", (0, 0), (-1, -1), font),
                      ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
                      ("LINEAFTER", (0, 0), (0, -1), 0.5, colors.black),
                      ("VALIGN", (0, 0), (-1, -1), "TOP"),
                  ]))
    return KeepTogether([Paragraph(_markup(tr(DECLARATION)), styles["declaration"]), table])


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Cut `text` with an ellipsis so a header line never runs off the page."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _decorate(canvas: Canvas, page: int, total: int, *, doc: ApplicationFormDoc, font: str,
              tr: Translate) -> None:
    """Header and footer of one page, drawn once the total page count is known."""
    canvas.saveState()
    canvas.setFont(font, 9)
    canvas.setStrokeColor(colors.grey)
    canvas.setFillColor(colors.HexColor("#444444"))
    top = PAGE_HEIGHT - MARGIN_TOP + 6 * mm
    right_text = tr(N_("申报编号：%(id)s")) % {"id": doc.application_id}
    right_width = stringWidth(right_text, font, 9)
    left = _fit(_CONTROL.sub("", doc.heading), font, 9, PAGE_WIDTH - 2 * MARGIN_X - right_width - 6 * mm)
    canvas.drawString(MARGIN_X, top, left)
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, top, right_text)
    canvas.line(MARGIN_X, top - 2 * mm, PAGE_WIDTH - MARGIN_X, top - 2 * mm)
    bottom = MARGIN_BOTTOM - 10 * mm
    canvas.line(MARGIN_X, bottom + 4 * mm, PAGE_WIDTH - MARGIN_X, bottom + 4 * mm)
    side = (PAGE_WIDTH - 2 * MARGIN_X) / 2 - 18 * mm  # leaves the middle to the page number
    generated = tr(N_("生成时间：%(at)s")) % {"at": _CONTROL.sub("", doc.generated_at)}
    canvas.drawString(MARGIN_X, bottom, _fit(generated, font, 9, side))
    canvas.drawCentredString(PAGE_WIDTH / 2, bottom, tr(N_("第 %(page)s 页 共 %(total)s 页")) % {"page": page,
                                                                                               "total": total})
    code = _fit(_CONTROL.sub("", doc.call_code), font, 9, side)
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, bottom, code)
    canvas.restoreState()


class NumberedCanvas(Canvas):
    """Holds every page until save() so each footer can say "共 Y 页"; one pass, no re-layout."""

    def __init__(self, *args: Any, decorate: Callable[[Canvas, int, int], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decorate = decorate
        self._saved_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for number, state in enumerate(self._saved_pages, start=1):
            self.__dict__.update(state)
            self._decorate(self, number, total)
            super().showPage()
        super().save()


def _story(doc: ApplicationFormDoc, styles: dict[str, ParagraphStyle], font: str, tr: Translate) -> list[Any]:
    story: list[Any] = [
        Paragraph(_markup(doc.heading), styles["title"]),
        Paragraph(_markup(doc.call_title), styles["subtitle"]),
    ]
    summary = [
        (tr(SUMMARY_LABELS["id"]), str(doc.application_id)),
        (tr(SUMMARY_LABELS["call"]), tr(N_("%(title)s（%(code)s）")) % {"title": doc.call_title,
                                                                       "code": doc.call_code}),
        (tr(SUMMARY_LABELS["organisation"]), doc.organisation),
        (tr(SUMMARY_LABELS["uscc"]), doc.uscc),
        (tr(SUMMARY_LABELS["authority"]), doc.authority),
    ]
    if doc.category:
        summary.append((tr(SUMMARY_LABELS["category"]), doc.category))
    story.append(_rows_table(None, summary, styles, font))
    for section in doc.sections:
        story.append(Spacer(1, 5 * mm))
        story.append(_rows_table(section.title, [(r.label, r.value) for r in section.rows], styles, font))
    for part in doc.narrative:
        story.append(Paragraph(_markup(part.label), styles["section"]))
        # One Paragraph per line of the applicant's text: paragraphs split across pages cheaply,
        # and the first-line indent then marks each paragraph as in a printed report.
        text = _CONTROL.sub("", part.value).replace("\r\n", "\n").replace("\r", "\n")
        for line in (chunk.strip() for chunk in text.split("\n")):
            if line:
                story.append(Paragraph(_markup(line), styles["body"]))
    story.append(_signature_block(styles, font, tr))
    return story


def render_application_form(doc: ApplicationFormDoc, *, font_path: str | None = None, tr: Translate = str) -> bytes:
    """The application form as A4 PDF bytes; the same `doc` (and `tr`) always gives the same bytes. Fixed
    texts go through `tr` (Chinese as written when none is given).

    Raises fonts.FontUnavailable when no embeddable CJK font is found.
    """
    font = register_cjk_font(font_path)
    styles = _styles(font)
    buf = io.BytesIO()
    template = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=_CONTROL.sub("", doc.heading),
        subject=_CONTROL.sub("", doc.organisation),
        creator="evalsys",
        author="evalsys",
        # invariant: no creation date or random document id, so the same data gives the same
        # bytes (and the same SHA-256). initialFontName: reportlab otherwise opens every page
        # with Helvetica, a standard font that is not embedded.
        invariant=True,
        initialFontName=font,
        initialFontSize=10.5,
    )
    canvasmaker = partial(NumberedCanvas, decorate=partial(_decorate, doc=doc, font=font, tr=tr))
    template.build(_story(doc, styles, font, tr), canvasmaker=canvasmaker)
    return buf.getvalue()
