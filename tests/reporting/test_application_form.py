"""The application form PDF: embedded fonts only, Chinese text, long narratives, same bytes twice."""
from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from evalsys.reporting.application_form import (
    ApplicationFormDoc,
    FormRow,
    FormSection,
    render_application_form,
)
from evalsys.reporting.fonts import FontUnavailable

SENTENCE = "我公司坚持以电子商务为核心，推动线上线下融合发展，带动就业三千余人。"
LITERAL = "<b>&</b> a<b & c>d"


def _doc(**changes: Any) -> ApplicationFormDoc:
    doc = ApplicationFormDoc(
        heading="2015—2016年度电子商务示范企业申报表",
        call_title="2015—2016年度电子商务示范企业",
        call_code="enterprise-2015-2016",
        application_id=42,
        organisation="杭州云栖网络科技有限公司",
        uscc="91330106MA27XK3L2Q",
        authority="浙江省商务厅",
        category="平台类",
        sections=(
            FormSection("基本信息", (FormRow("注册地址", "杭州市西湖区文三路 100 号"),
                                     FormRow("成立日期", "2010-05-18"))),
            FormSection("联系方式", (FormRow("联系人", "王小明"), FormRow("手机", "13800000000"))),
            FormSection("经营指标", (FormRow("网络交易额（万元）", "123456.78"),
                                     FormRow("从业人员（人）", "356"))),
        ),
        narrative=(FormRow("一、企业基本情况", SENTENCE * 3), FormRow("二、创新与示范作用", "简述。")),
        generated_at="2016-03-01 10:20（北京时间）",
    )
    return dataclasses.replace(doc, **changes)


def _font_problems(pdf: bytes) -> list[str]:
    """Every font used on any page (or in its forms) that is not embedded."""
    problems: list[str] = []
    seen: set[int] = set()

    def walk_resources(resources: Any, where: str) -> None:
        resources = resources.get_object() if resources is not None else None
        if not resources:
            return
        for key, font in (resources.get("/Font") or {}).items():
            font = font.get_object()
            if font.get("/Subtype") == "/Type0":
                descendant = font["/DescendantFonts"][0].get_object()
                descriptor = descendant.get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                problems.append(f"{where} {key} {font.get('/BaseFont')}")
        for xobject in (resources.get("/XObject") or {}).values():
            ref = xobject.indirect_reference
            if ref is not None and ref.idnum in seen:
                continue
            if ref is not None:
                seen.add(ref.idnum)
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk_resources(xobject.get("/Resources"), where + " form")

    reader = PdfReader(io.BytesIO(pdf))
    for number, page in enumerate(reader.pages, start=1):
        walk_resources(page.get("/Resources"), f"page {number}")
    return problems


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_font_check_can_fail() -> None:
    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(100, 100, "page 1")
    canvas.save()
    assert any("Helvetica" in p for p in _font_problems(buf.getvalue()))


def test_every_font_is_embedded_and_text_is_extractable() -> None:
    pdf = render_application_form(_doc())
    assert pdf.startswith(b"%PDF")
    assert _font_problems(pdf) == []
    assert b"Helvetica" not in pdf and b"STSong" not in pdf
    text = "\n".join(_text(pdf))
    for expected in ("杭州云栖网络科技有限公司", "123456.78", SENTENCE, "91330106MA27XK3L2Q",
                     "单位盖章", "法定代表人签字", "日期", "申报编号：42",
                     "生成时间：2016-03-01 10:20（北京时间）", "第 1 页 共 "):
        assert expected in text, expected


def test_long_narrative_flows_over_pages_with_numbered_footers() -> None:
    paragraph = SENTENCE * 12 + "\n"
    narrative = (paragraph * 60)[:19_999] + "终"
    assert len(narrative) == 20_000
    one_line = SENTENCE * 300  # no line breaks at all
    pdf = render_application_form(_doc(narrative=(FormRow("一、企业基本情况", narrative),
                                                  FormRow("二、创新与示范作用", one_line))))
    pages = _text(pdf)
    assert len(pages) >= 8
    for number, text in enumerate(pages, start=1):
        assert f"第 {number} 页 共 {len(pages)} 页" in text
    assert _font_problems(pdf) == []


def test_long_tables_repeat_their_header_and_long_values_split() -> None:
    rows = tuple(FormRow(f"指标 {i}", f"{i * 1000}") for i in range(120))
    huge = FormRow("经营范围", "网络技术开发、技术服务；" * 600)  # taller than a page
    pdf = render_application_form(_doc(sections=(FormSection("指标数据", rows + (huge,)),)))
    pages = _text(pdf)
    assert len(pages) >= 4
    assert all("指标数据" in text for text in pages[:3])  # the header row repeats


def test_same_data_gives_the_same_bytes() -> None:
    first = render_application_form(_doc())
    assert render_application_form(_doc()) == first
    assert render_application_form(_doc(generated_at="2016-03-02 09:00")) != first


def test_user_text_is_never_markup() -> None:
    doc = _doc(
        heading=f"申报表 {LITERAL}",
        organisation=f"公司{LITERAL}",
        sections=(FormSection(f"节{LITERAL}", (FormRow(f"标签{LITERAL}", f"值{LITERAL}\n第二行"),)),),
        narrative=(FormRow(f"叙述{LITERAL}", f"正文{LITERAL}<para>&amp;\x00\x07"),),
        call_code=f"code{LITERAL}",
    )
    text = "\n".join(_text(render_application_form(doc)))
    for expected in (f"公司{LITERAL}", f"节{LITERAL}", f"值{LITERAL}", f"正文{LITERAL}<para>&amp;", "第二行"):
        assert expected in text, expected
    assert len(re.findall(re.escape(LITERAL), text)) >= 6


def test_no_category_and_empty_parts() -> None:
    pdf = render_application_form(_doc(category=None, sections=(FormSection("空", ()),), narrative=()))
    text = "\n".join(_text(pdf))
    assert "申报类别" not in text and "单位盖章" in text


def test_missing_font_stops_generation(tmp_path: Path) -> None:
    with pytest.raises(FontUnavailable) as info:
        render_application_form(_doc(), font_path=str(tmp_path / "none.ttc"))
    assert "EVALSYS_CJK_FONT" in str(info.value) and "fonts-wqy-microhei" in str(info.value)
