"""Small real PDFs standing in for the demo's scanned documents: data in, bytes out.

Each names the organisation and the document, and embeds the one CJK TrueType font
(`reporting.fonts`), so it opens anywhere and passes the same upload checks as a real scan.
"""
from __future__ import annotations

import io
from collections.abc import Iterable

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ..reporting.fonts import register_cjk_font

WIDTH, HEIGHT = A4
LEFT = 22 * mm
TEXT_WIDTH = WIDTH - 2 * LEFT


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break Chinese text into lines that fit `width` (character by character: no spaces in Chinese)."""
    lines, line = [], ""
    for ch in text:
        if stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    return lines


def _seal(c: Canvas, font: str, x: float, y: float, text: str) -> None:
    """A red round seal (the scanned 盖章) with the organisation's name inside."""
    c.saveState()
    c.setStrokeColor(colors.red)
    c.setFillColor(colors.red)
    c.setLineWidth(2)
    c.circle(x, y, 20 * mm)
    c.setFont(font, 7)
    for i, line in enumerate(_wrap(text, font, 7, 34 * mm)[:3]):
        c.drawCentredString(x, y + 6 * mm - i * 9, line)
    c.setFont(font, 16)
    c.drawCentredString(x, y - 12 * mm, "★")
    c.restoreState()


def document_pdf(title: str, organisation: str, paragraphs: Iterable[tuple[str, str]], *,
                 footer: str, seal: str | None = None) -> bytes:
    """A one- or two-page PDF: a title, the organisation, (heading, text) paragraphs, an optional seal."""
    font = register_cjk_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(f"{organisation} {title}")
    c.setAuthor(organisation)
    y = HEIGHT - 30 * mm

    def new_page() -> float:
        c.showPage()
        return HEIGHT - 25 * mm

    c.setFont(font, 18)
    c.drawCentredString(WIDTH / 2, y, title)
    y -= 10 * mm
    c.setFont(font, 12)
    c.drawCentredString(WIDTH / 2, y, organisation)
    y -= 14 * mm
    for heading, text in paragraphs:
        if y < 40 * mm:
            y = new_page()
        if heading:
            c.setFont(font, 12)
            c.drawString(LEFT, y, heading)
            y -= 7 * mm
        c.setFont(font, 10.5)
        for line in _wrap(text, font, 10.5, TEXT_WIDTH):
            if y < 25 * mm:
                y = new_page()
                c.setFont(font, 10.5)
            c.drawString(LEFT, y, line)
            y -= 6 * mm
        y -= 3 * mm
    if seal:
        if y < 60 * mm:
            y = new_page()
        _seal(c, font, WIDTH - LEFT - 25 * mm, max(y - 25 * mm, 35 * mm), seal)
    c.setFont(font, 8)
    c.setFillColor(colors.grey)
    c.drawString(LEFT, 12 * mm, footer)
    c.showPage()
    c.save()
    return buf.getvalue()


def _money(fen: int) -> str:
    return f"{fen / 100 / 1e4:,.2f} 万元"


def attachment_pdf(kind: str, *, org: str, uscc: str, place: str, call_title: str, authority: str,
                   legal_rep: str, figures: dict, narrative: dict[str, tuple[str, str]],
                   day: str) -> tuple[str, bytes]:
    """(original file name, PDF bytes) of one demo attachment: licence, report, accounts or sealed form."""
    footer = f"{org} · {uscc} · 演示数据（虚构）"
    if kind == "licence":
        body = [("", f"统一社会信用代码：{uscc}"), ("", f"名称：{org}"),
                ("", "类型：" + ("股份有限公司" if "股份" in org else "有限责任公司")),
                ("", f"法定代表人：{legal_rep}"), ("", f"住所：{place}市高新技术产业开发区创业路88号"),
                ("", "经营范围：电子商务平台运营；网络技术开发、技术服务；供应链管理；国内贸易。（依法须经批准的项目，"
                     "经相关部门批准后方可开展经营活动）"), ("", f"登记机关：{place}市工商行政管理局")]
        return "营业执照.pdf", document_pdf("营业执照（副本）", org, body, footer=footer,
                                       seal=f"{place}市工商行政管理局")
    if kind == "report":
        body = list(narrative.values())
        return "申报报告.pdf", document_pdf(f"{call_title}申报报告", org, body, footer=footer, seal=org)
    if kind == "accounts":
        revenue = figures.get("operating_revenue") or figures.get("matching_funds", 0) * 3
        body = [("审计意见", f"我们审计了{org}2014年12月31日的资产负债表、2014年度的利润表、现金流量表以及财务报表附注。"
                         "我们认为，财务报表在所有重大方面按照企业会计准则的规定编制，公允反映了公司的财务状况和经营成果。"),
                ("主要财务数据", f"营业收入 {_money(revenue)}；"
                 + (f"电子商务营业收入 {_money(figures['ecommerce_revenue'])}；纳税额 {_money(figures['tax_paid'])}。"
                    if "ecommerce_revenue" in figures else "其中园区运营服务收入占比约六成。"))]
        return "2014年度审计报告.pdf", document_pdf("审计报告", org, body, footer=footer,
                                             seal=f"{place}信诚会计师事务所有限公司")
    body = [("", f"申报批次：{call_title}"), ("", f"申报单位：{org}"), ("", f"统一社会信用代码：{uscc}"),
            ("", f"推荐单位：{authority}"), ("", f"法定代表人：{legal_rep}"),
            ("", "本单位承诺：本申报表及所附材料内容真实、准确、完整，如有虚假，愿承担相应责任。"),
            ("", f"单位盖章　　　　日期：{day}")]
    return "申报表（盖章扫描件）.pdf", document_pdf(f"{call_title}申报表", org, body, footer=footer, seal=org)


def letter_pdf(*, authority: str, call_title: str, names: list[str], day: str) -> bytes:
    """The authority's sealed recommendation letter listing its recommendations in order."""
    listed = "；".join(f"{i}. {name}" for i, name in enumerate(names, start=1))
    body = [("商务部电子商务和信息化司：", f"根据《2015年电子商务工作要点》（商办电函〔2015〕116号）有关要求，"
             f"本单位组织开展了{call_title}的申报和初审工作。经审核，现按推荐顺序推荐以下单位：{listed}。"),
            ("", "本单位对上述单位申报材料的真实性进行了审核，特此推荐。"), ("", f"{authority}　{day}")]
    return document_pdf(f"关于推荐{call_title}的函", authority, body, footer=f"{authority} · 演示数据（虚构）",
                        seal=authority)
