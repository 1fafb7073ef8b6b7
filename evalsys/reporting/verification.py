"""The verification block every issued PDF carries: a QR code of its public verification address
(drawn as vector squares, so the bytes stay invariant) and the address in print."""
from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules of `text` (True = dark), without the quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of `text` with its lower-left corner (quiet zone included) at (x, y)."""
    matrix = qr_matrix(text)
    n = len(matrix)
    cell = size / (n + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    for r, row in enumerate(matrix):
        top = y + size - (QUIET_ZONE + r + 1) * cell
        c = 0
        while c < n:  # one rectangle per run of dark modules keeps the page small
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            canvas.rect(x + (QUIET_ZONE + start) * cell, top, (c - start) * cell, cell, stroke=0, fill=1)
    canvas.restoreState()


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if line and stringWidth(line + ch, font, size) > width:
            lines.append(line)
            line = ""
        line += ch
    return lines + ([line] if line else [])


def draw_verification(canvas: Canvas, url: str, *, font: str, x: float, y: float, width: float,
                      qr_size: float = 26 * mm, label: str = "扫描二维码或访问以下地址核验本文件：") -> None:
    """The QR code at the right end of a band of `width` starting at (x, y), the label and the
    address (wrapped) to its left. Nothing is drawn without an address."""
    if not url:
        return
    draw_qr(canvas, url, x + width - qr_size, y, qr_size)
    text_width = width - qr_size - 4 * mm
    canvas.saveState()
    canvas.setFillColor(colors.HexColor("#333333"))
    canvas.setFont(font, 9)
    lines = _wrap(label, font, 9, text_width) + _wrap(url, font, 9, text_width)
    top = y + qr_size - 4 * mm
    for i, line in enumerate(lines):
        canvas.drawString(x, top - i * 12, line)
    canvas.restoreState()
