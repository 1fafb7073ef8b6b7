"""The publicity list (公示名单) as a PDF: data in (plain rows), bytes out; no queries here."""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from ..domain.marking import N_
from .fonts import register_cjk_font

# Fixed texts, marked for the catalogue; the caller passes their translation (`tr`).
HEADERS = (N_("序号"), N_("单位名称"), N_("推荐单位"), N_("类别"), N_("公示期"))
NONE_LISTED = N_("暂无公示对象")
AUTHOR = N_("商务部")


def publicity_pdf(*, title: str, subtitle: str, rows: Sequence[tuple[str, str, str, str]],
                  note: str, font_path: str | None = None, tr: Callable[[str], str] = str) -> bytes:
    """Number, organisation, authority, category, period; reportlab's invariant mode makes the
    bytes depend on the content only (same list → same SHA-256). Title, subtitle and note are printed as
    given; the headers go through `tr` (Chinese as written when none is given)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_cjk_font(font_path)
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, alignment=1)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15)
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=20 * mm,
                            bottomMargin=18 * mm, title=title, author=tr(AUTHOR), invariant=1)
    data = [[Paragraph(escape(tr(h)), cell) for h in HEADERS]]
    for n, (name, authority, category, period) in enumerate(rows, start=1):
        data.append([Paragraph(str(n), cell)] + [Paragraph(escape(v), cell) for v in (name, authority, category,
                                                                                       period)])
    if not rows:
        data.append([Paragraph("—", cell), Paragraph(escape(tr(NONE_LISTED)), cell), "", "", ""])
    table = Table(data, colWidths=[12 * mm, 62 * mm, 34 * mm, 26 * mm, 40 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story = [Paragraph(escape(title), h1), Spacer(1, 4 * mm), Paragraph(escape(subtitle), body), Spacer(1, 4 * mm),
             table, Spacer(1, 6 * mm), Paragraph(escape(note), body)]
    doc.build(story)
    return out.getvalue()
