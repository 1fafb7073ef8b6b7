"""The applicant's submission receipt (申报回执) as an invariant one-page A4 PDF: data in, bytes out."""
from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .application_form import _CONTROL, _fit
from .fonts import register_cjk_font
from .verification import draw_verification

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 25 * mm


@dataclass(frozen=True)
class ReceiptDoc:
    """Everything the receipt prints, already formatted (times as Beijing-time text)."""

    serial: str
    organisation: str
    uscc: str
    call_title: str
    call_code: str
    authority: str
    application_id: int
    submitted_at: str  # Beijing time text
    issued_at: str  # Beijing time text
    verify_url: str = ""

    def to_json(self) -> str:
        """Canonical JSON, stored with the receipt so the same bytes can be rendered again."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ReceiptDoc:
        return cls(**json.loads(text))


def render_receipt(doc: ReceiptDoc, *, font_path: str | None = None) -> bytes:
    """The receipt as PDF bytes; the same `doc` always gives the same bytes (invariant mode)."""
    font = register_cjk_font(font_path)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1, initialFontName=font)
    c.setTitle(f"申报回执 {doc.serial}")
    c.setAuthor("evalsys")
    c.setCreator("evalsys")
    width = PAGE_WIDTH - 2 * MARGIN_X
    y = PAGE_HEIGHT - 35 * mm
    c.setFont(font, 20)
    c.drawCentredString(PAGE_WIDTH / 2, y, "申报回执")
    y -= 10 * mm
    c.setFont(font, 11)
    c.drawCentredString(PAGE_WIDTH / 2, y, _fit(_CONTROL.sub("", doc.call_title), font, 11, width))
    y -= 16 * mm
    rows = [("回执编号", doc.serial), ("申报单位", doc.organisation), ("统一社会信用代码", doc.uscc),
            ("申报批次", f"{doc.call_title}（{doc.call_code}）"), ("推荐单位", doc.authority),
            ("申报编号", str(doc.application_id)), ("提交时间", f"{doc.submitted_at}（北京时间）"),
            ("回执生成时间", f"{doc.issued_at}（北京时间）")]
    label_width = 38 * mm
    c.setStrokeColor(colors.grey)
    for label, value in rows:
        c.line(MARGIN_X, y - 3 * mm, MARGIN_X + width, y - 3 * mm)
        c.setFont(font, 11)
        c.drawString(MARGIN_X, y, label)
        c.drawString(MARGIN_X + label_width, y, _fit(_CONTROL.sub("", value), font, 11, width - label_width))
        y -= 10 * mm
    y -= 6 * mm
    c.setFont(font, 10)
    for line in ("本回执证明上述申报材料已于所列时间通过本系统提交。",
                 "回执不代表推荐、审查或评审结果；提交后的审核进展请在系统中查看。"):
        c.drawString(MARGIN_X, y, line)
        y -= 6 * mm
    draw_verification(c, doc.verify_url, font=font, x=MARGIN_X, y=25 * mm, width=width, qr_size=32 * mm,
                      label="扫描二维码或访问以下地址核验本回执：")
    c.showPage()
    c.save()
    return buf.getvalue()
