"""The performance report PDF: content, embedded fonts, invariant bytes, signature and tampering."""
from __future__ import annotations

import dataclasses
import hashlib
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from evalsys.demo.report_sample import sample_report_doc
from evalsys.reporting.evaluation_report import EvaluationReportDoc, render_evaluation_report
from evalsys.reporting.fonts import FontUnavailable
from evalsys.reporting.signing import create_self_signed, sign_pdf, validate_signed
from tests.reporting.test_application_form import _font_problems


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_evaluation_report(sample_report_doc(3))


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    return create_self_signed(tmp_path_factory.mktemp("signing"))


def test_text_has_base_total_grade_and_the_outline(rendered):
    text = _text(rendered)
    doc = sample_report_doc(3)
    assert doc.base_name in text and doc.serial in text
    assert f"综合得分 {doc.total} 分" in text and f"评价等级：{doc.grade}" in text
    for heading in ("一、基本情况", "二、评价工作开展情况", "三、综合评价结论", "四、指标分析",
                    "五、经验做法、问题及原因", "六、有关建议", "七、其他需说明的问题"):
        assert heading in text
    assert "资金到位率" in text and "12,000,000.00" in text  # indicator and fund tables
    pages = PdfReader(io.BytesIO(rendered)).pages
    assert f"第 2 页 共 {len(pages)} 页" in pages[1].extract_text()


def test_a_different_base_prints_its_own_figures():
    doc = dataclasses.replace(sample_report_doc(3), base_name="另一个园区", total="59.99", grade="差")
    text = _text(render_evaluation_report(doc))
    assert "另一个园区" in text and "综合得分 59.99 分" in text and "评价等级：差" in text


def test_every_font_embedded_also_after_signing(rendered, material):
    assert _font_problems(rendered) == []
    assert b"Helvetica" not in rendered and b"STSong" not in rendered
    assert _font_problems(sign_pdf(rendered, material)) == []


def test_invariant_rendering_from_the_stored_snapshot(rendered):
    snapshot = sample_report_doc(3).to_json()
    again = render_evaluation_report(EvaluationReportDoc.from_json(snapshot))
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(rendered).hexdigest()
    other = render_evaluation_report(dataclasses.replace(sample_report_doc(3), total="88.01"))
    assert hashlib.sha256(other).hexdigest() != hashlib.sha256(rendered).hexdigest()


def test_user_text_is_never_markup():
    doc = dataclasses.replace(sample_report_doc(1), problems="<b>加粗</b> & <font name='Helvetica'>x</font>")
    pdf = render_evaluation_report(doc)
    assert "<b>加粗</b>" in _text(pdf)
    assert _font_problems(pdf) == []


def test_signature_validates_and_tampering_fails(rendered, material):
    signed = sign_pdf(rendered, material)
    assert signed.startswith(rendered)  # incremental: the unsigned rendering stays a prefix
    cert = Path(material.cert_path).read_bytes()
    check = validate_signed(signed, cert)
    assert check.valid and check.intact and check.trusted and check.whole_file
    tampered = bytearray(signed)
    at = signed.index(b"/Subject")
    tampered[at + 10] ^= 0x01  # one bit inside the signed byte range
    assert not validate_signed(bytes(tampered), cert).valid
    appended = signed + b"\n% appended after signing\n"
    assert not validate_signed(appended, cert).valid  # no longer covers the whole file
    other = create_self_signed(Path(material.key_path).parent / "other")
    assert not validate_signed(signed, Path(other.cert_path).read_bytes()).valid  # untrusted root


def test_missing_font_stops_generation(tmp_path):
    with pytest.raises(FontUnavailable) as info:
        render_evaluation_report(sample_report_doc(1), font_path=str(tmp_path / "none.ttc"))
    assert "EVALSYS_CJK_FONT" in str(info.value) and "fonts-wqy-microhei" in str(info.value)


def test_long_chinese_wraps_inside_the_page():
    long = "基地围绕创建方案确定的目标建立了资金项目和档案管理制度公共服务平台稳定运行" * 8  # no spaces at all
    doc = dataclasses.replace(sample_report_doc(2), problems=long)
    lines = [ln for ln in _text(render_evaluation_report(doc)).splitlines() if "公共服务平台稳定运行" in ln or "基地围绕" in ln]
    joined = "".join(_text(render_evaluation_report(doc)).split())
    assert long in joined  # every character printed, in order
    # 170 mm of body at 10.5 pt holds about 46 Chinese characters: without CJK wrapping it would be one line
    assert lines and max(len(ln.strip()) for ln in lines) <= 48
