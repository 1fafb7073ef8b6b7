"""Charts as PNG bytes with matplotlib's object API (never pyplot: no global state between requests).

Chinese labels use the WenQuanYi Micro Hei TrueType font (Debian fonts-wqy-microhei) when present,
so no glyph is missing; without it the default font is used (labels may then show boxes).
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported by the first chart drawn, not when the application starts
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties


CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _font(size: float = 9) -> FontProperties | None:
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=str(CJK_FONT), size=size) if CJK_FONT.exists() else None


def _figure(**kwargs) -> Figure:
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def _label_axes(ax, title: str, xlabel: str, ylabel: str, font: FontProperties | None) -> None:
    ax.set_title(title, fontproperties=_font(11) if font else None)
    ax.set_xlabel(xlabel, fontproperties=font)
    ax.set_ylabel(ylabel, fontproperties=font)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        if font:
            label.set_fontproperties(font)


def execution_by_base_png(rows: Sequence[tuple[str, int | None]], *, title: str = "各基地预算执行率") -> bytes:
    """Horizontal bars of execution rates; rows are (label, rate in basis points or None)."""
    font = _font()
    fig = _figure(figsize=(8, max(2.5, 0.28 * len(rows) + 1.2)))
    ax = fig.add_subplot()
    labels = [label for label, _ in rows]
    values = [(bp or 0) / 100 for _, bp in rows]  # percent, for display only (not a money path)
    ax.barh(range(len(rows)), values, color=["#0d6efd" if bp is not None else "#adb5bd" for _, bp in rows])
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.axvline(100, color="#dc3545", linewidth=0.8)
    ax.set_xlim(0, max([110.0, *values]) * 1.05)
    _label_axes(ax, title, "已核实支出 / 到位资金（%）", "", font)
    fig.tight_layout()
    return _png(fig)


def spending_by_category_png(rows: Sequence[tuple[str, int]], *, title: str = "按类别的已核实支出") -> bytes:
    """Bars of verified spending per category; rows are (label, fen). Shown in 10,000 yuan."""
    font = _font()
    fig = _figure(figsize=(8, max(2.5, 0.35 * len(rows) + 1.2)))
    ax = fig.add_subplot()
    labels = [label for label, _ in rows]
    values = [fen / 1_000_000 for _, fen in rows]  # 万元, for display only
    ax.barh(range(len(rows)), values, color=["#dc3545" if label.startswith("X-") else "#198754"
                                            for label in labels])
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    if not rows:
        ax.text(0.5, 0.5, "暂无已核实支出", transform=ax.transAxes, ha="center", fontproperties=font)
    _label_axes(ax, title, "万元", "", font)
    fig.tight_layout()
    return _png(fig)
