"""The CJK font module: one embeddable TrueType font for PDFs and charts, or a clear error."""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure
from reportlab.pdfbase import pdfmetrics

from evalsys.reporting.fonts import (
    CJK_FONT_SETTING,
    DEFAULT_CJK_FONT_PATHS,
    FontUnavailable,
    apply_cjk_font,
    cjk_font_path,
    matplotlib_font_properties,
    matplotlib_rc,
    register_cjk_font,
)

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def _assert_names_the_fix(exc: FontUnavailable) -> None:
    message = str(exc)
    assert CJK_FONT_SETTING == "EVALSYS_CJK_FONT"
    assert "EVALSYS_CJK_FONT" in message
    assert "fonts-wqy-microhei" in message
    assert "中文" in message and "Install" in message  # Chinese and English


def _cff_font(path: Path) -> None:
    """A tiny OpenType font with CFF (PostScript) outlines, like Noto Sans CJK's, covering 中."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    pen = T2CharStringPen(600, None)
    pen.moveTo((0, 0))
    pen.lineTo((500, 0))
    pen.lineTo((500, 500))
    pen.closePath()
    outline = pen.getCharString()
    fb = FontBuilder(1000, isTTF=False)
    fb.setupGlyphOrder([".notdef", "uni4E2D"])
    fb.setupCharacterMap({0x4E2D: "uni4E2D"})
    fb.setupCFF("TestCFF-Regular", {"FullName": "TestCFF"}, {".notdef": outline, "uni4E2D": outline}, {})
    fb.setupHorizontalMetrics({".notdef": (600, 0), "uni4E2D": (600, 0)})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": "TestCFF", "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    fb.save(str(path))


def test_default_is_wenquanyi_micro_hei_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CJK_FONT_SETTING, raising=False)
    assert DEFAULT_CJK_FONT_PATHS[0] == WQY
    assert not any("opentype" in p or "STSong" in p for p in DEFAULT_CJK_FONT_PATHS)
    name = register_cjk_font()
    assert register_cjk_font() == name == register_cjk_font(WQY)
    assert cjk_font_path() == WQY
    font = pdfmetrics.getFont(name)
    assert font.face.name.startswith(b"WenQuanYi")  # a TrueType face, not a built-in CID font


def test_configured_path_wins_and_missing_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CJK_FONT_SETTING, str(tmp_path / "nope.ttc"))
    with pytest.raises(FontUnavailable) as info:
        register_cjk_font()  # no silent fallback to the default font
    _assert_names_the_fix(info.value)
    assert "nope.ttc" in str(info.value)
    with pytest.raises(FontUnavailable) as info:
        register_cjk_font(str(tmp_path / "missing.ttf"))
    _assert_names_the_fix(info.value)


def test_a_file_that_is_not_a_font_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "font.ttf"
    junk.write_bytes(b"<html>not a font</html>" * 10)
    with pytest.raises(FontUnavailable) as info:
        register_cjk_font(str(junk))
    _assert_names_the_fix(info.value)


def test_cff_opentype_outlines_are_refused(tmp_path: Path) -> None:
    otf = tmp_path / "cff.otf"
    _cff_font(otf)
    with pytest.raises(FontUnavailable) as info:
        register_cjk_font(str(otf))
    _assert_names_the_fix(info.value)
    assert "postscript outlines" in str(info.value)  # refused for its outlines, not as junk


def test_truetype_font_without_chinese_is_refused() -> None:
    # DejaVu Sans ships inside matplotlib, so this runs on any machine; it would print boxes.
    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    with pytest.raises(FontUnavailable) as info:
        register_cjk_font(str(dejavu))
    _assert_names_the_fix(info.value)


def _chart() -> Figure:
    fig = Figure(figsize=(4, 3), dpi=50)
    ax = fig.subplots()
    ax.bar(["基础设施", "运营管理", "资金使用"], [-12.5, 30, 45], label="得分")
    ax.set_title("各组得分与满分对比")
    ax.set_xlabel("指标组")
    ax.set_ylabel("分值（分）")
    ax.legend()
    fig.suptitle("绩效评估 − 2015")
    return fig


def test_apply_cjk_font_renders_chinese_and_minus_without_warnings() -> None:
    fig = _chart()
    apply_cjk_font(fig)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png")
    assert buf.getvalue().startswith(b"\x89PNG")


def test_without_the_font_matplotlib_would_warn() -> None:
    # The check above can fail: the default font has no Chinese glyphs.
    with pytest.warns(UserWarning, match="missing from font"):
        _chart().savefig(io.BytesIO(), format="png")


def test_rc_context_and_font_properties() -> None:
    with matplotlib.rc_context(matplotlib_rc()), warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = Figure(figsize=(3, 2), dpi=50)
        ax = fig.subplots()
        ax.plot([-2, 1], [3, -4])
        ax.set_xticks([-2, 1], ["第一", "第二"])
        ax.text(0, 0, "手工添加", fontproperties=matplotlib_font_properties())
        fig.savefig(io.BytesIO(), format="png")
    assert matplotlib_font_properties().get_file() == WQY
