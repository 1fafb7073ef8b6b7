"""The one embedded TrueType CJK font that every PDF and chart of evalsys uses."""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

# The environment variable (app.config["CJK_FONT"] once create_app strips the EVALSYS_ prefix).
CJK_FONT_SETTING = "EVALSYS_CJK_FONT"

# TrueType outlines only: reportlab refuses CFF/OpenType outlines, which rules out Debian's
# fonts-noto-cjk (/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc, "postscript outlines are
# not supported"). The built-in STSong-Light is never a fallback: it is not embedded, so a
# viewer without Adobe's Asian font pack shows blanks.
DEFAULT_CJK_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/arphic/uming.ttc",  # fonts-arphic-uming
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
)

# A font without these would print boxes in every form and report, so it is refused up front.
_REQUIRED_TEXT = "申报表单位盖章法定代表人签字日期第页共绩效评估优良中差（）：，。—"

_lock = threading.Lock()
_registered: dict[str, str] = {}  # resolved file path -> reportlab font name
_paths: dict[str, str] = {}  # reportlab font name -> resolved file path
_matplotlib_families: dict[str, str] = {}  # resolved file path -> matplotlib family name


class FontUnavailable(RuntimeError):
    """No usable embedded CJK font: the message says which setting and package fix it."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"无法生成PDF或图表：没有可用的中文TrueType字体（{detail}）。"
            f"请安装 Debian 软件包 fonts-wqy-microhei（apt-get install fonts-wqy-microhei），"
            f"或在设置 {CJK_FONT_SETTING} 中指定一个 TrueType（.ttf/.ttc）中文字体文件的路径。 "
            f"Cannot generate PDFs or charts: no usable CJK TrueType font ({detail}). "
            f"Install the Debian package fonts-wqy-microhei, or set {CJK_FONT_SETTING} "
            f"to the path of a TrueType (.ttf/.ttc) CJK font file."
        )
        self.detail = detail


def _font_name(path: str) -> str:
    # Unique per file, and stable across processes so invariant PDFs do not depend on call order.
    digest = hashlib.sha1(path.encode("utf-8")).hexdigest()[:8]
    return f"CJK-{Path(path).stem}-{digest}"


def _register_file(path: str) -> str:
    """Register one file with reportlab or raise FontUnavailable; caller holds the lock."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    resolved = os.path.realpath(path)
    if resolved in _registered:
        return _registered[resolved]
    if not os.path.isfile(resolved):
        raise FontUnavailable(f"找不到字体文件 / font file not found: {path}")
    name = _font_name(resolved)
    try:
        # subfontIndex selects the first face of a .ttc and is ignored for a plain .ttf.
        font = TTFont(name, resolved, subfontIndex=0)
    except Exception as exc:  # TTFError for CFF outlines or a non-font file, struct errors for junk
        raise FontUnavailable(f"reportlab 无法使用该字体 / reportlab refused {path}: {exc}") from exc
    missing = [ch for ch in _REQUIRED_TEXT if ord(ch) not in font.face.charToGlyph]
    if missing:
        raise FontUnavailable(
            f"字体缺少中文字形 / font lacks CJK glyphs ({''.join(missing[:8])}): {path}"
        )
    pdfmetrics.registerFont(font)
    _registered[resolved] = name
    _paths[name] = resolved
    return name


def register_cjk_font(path: str | None = None) -> str:
    """Register the CJK TrueType font with reportlab (once per process) and return its name.

    `path` wins, then the EVALSYS_CJK_FONT environment variable, then the first usable entry of
    DEFAULT_CJK_FONT_PATHS. A configured path that is missing or unusable is an error, not a
    reason to try another font: the operator asked for that one.
    """
    configured = path or os.environ.get(CJK_FONT_SETTING) or None
    with _lock:
        if configured:
            return _register_file(configured)
        problems: list[str] = []
        for candidate in DEFAULT_CJK_FONT_PATHS:
            if not os.path.isfile(candidate):
                continue
            try:
                return _register_file(candidate)
            except FontUnavailable as exc:
                problems.append(exc.detail)
        searched = "、".join(DEFAULT_CJK_FONT_PATHS)
        raise FontUnavailable("; ".join(problems) or f"未找到 / none of: {searched}")


def cjk_font_path(path: str | None = None) -> str:
    """The file behind register_cjk_font(path), so charts use exactly the PDF's font."""
    name = register_cjk_font(path)
    return _paths[name]


def _matplotlib_family(path: str | None) -> tuple[str, str]:
    """(file, family name) after adding the file to matplotlib's process-wide font manager."""
    from matplotlib import font_manager

    resolved = cjk_font_path(path)
    with _lock:
        family = _matplotlib_families.get(resolved)
        if family is None:
            font_manager.fontManager.addfont(resolved)
            family = font_manager.FontProperties(fname=resolved).get_name()
            _matplotlib_families[resolved] = family
    return resolved, family


def matplotlib_font_properties(path: str | None = None) -> FontProperties:
    """FontProperties for the PDF's CJK font, for text added by hand (fontproperties=...)."""
    from matplotlib.font_manager import FontProperties

    resolved, _family = _matplotlib_family(path)
    return FontProperties(fname=resolved)


def matplotlib_rc(path: str | None = None) -> dict[str, object]:
    """rcParams for matplotlib.rc_context(...) around building and saving a Figure.

    The font has U+2212, so the proper minus sign stays on; the font family is the CJK font
    alone so Latin text and digits match the Chinese.
    """
    _resolved, family = _matplotlib_family(path)
    return {"font.family": [family], "axes.unicode_minus": True}


def apply_cjk_font(fig: Figure, path: str | None = None) -> None:
    """Switch every text of `fig` to the CJK font; call after adding text, before savefig.

    Tick labels are created lazily when the figure is drawn, so existing Text objects are not
    enough: tick_params stores the family on each axis for ticks made later.
    """
    from matplotlib.text import Text

    _resolved, family = _matplotlib_family(path)
    for text in fig.findobj(Text):
        text.set_fontfamily(family)
    for ax in fig.axes:
        ax.tick_params(axis="both", which="both", labelfontfamily=family)
