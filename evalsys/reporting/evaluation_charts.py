"""Charts of the performance evaluation (report and round dashboard) as PNG bytes, matplotlib's
Figure API with the PDF's embedded CJK font. Deterministic: same data, same bytes."""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .fonts import apply_cjk_font

if TYPE_CHECKING:  # matplotlib is imported by the first chart drawn, not when the application starts
    from matplotlib.figure import Figure


GRADE_COLOURS = {"优": "#198754", "良": "#0d6efd", "中": "#fd7e14", "差": "#dc3545"}


def _figure(**kwargs) -> Figure:
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _png(fig: Figure, font_path: str | None, margins: dict[str, float] | None = None) -> bytes:
    apply_cjk_font(fig, font_path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    # Fixed margins instead of tight_layout(): that would draw the whole figure once more.
    fig.subplots_adjust(**{"left": 0.1, "right": 0.97, "top": 0.88, "bottom": 0.14, **(margins or {})})
    buf = io.BytesIO()
    # No "Software" text chunk and a fixed dpi: the bytes depend on the data only.
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


def group_scores_png(rows: Sequence[tuple[str, float, float]], *, font_path: str | None = None) -> bytes:
    """Bars of points per level-1 group against the group's maximum; rows are (title, points, max)."""
    fig = _figure(figsize=(6.2, 2.8))
    ax = fig.add_subplot()
    xs = range(len(rows))
    ax.bar([x - 0.18 for x in xs], [m for _, _, m in rows], width=0.36, color="#ced4da", label="满分")
    ax.bar([x + 0.18 for x in xs], [p for _, p, _ in rows], width=0.36, color="#0d6efd", label="得分")
    for x, (_, p, _m) in zip(xs, rows):
        ax.text(x + 0.18, p + 0.4, f"{p:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs), [t for t, _, _ in rows])
    ax.set_ylabel("分值")
    ax.set_title("各一级指标得分与满分")
    ax.set_ylim(0, max([m for _, _, m in rows] + [1]) * 1.2)
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig, font_path)


def category_spending_png(rows: Sequence[tuple[str, float]], *, font_path: str | None = None) -> bytes:
    """Horizontal bars of verified spending per category, in 10,000 yuan; rows are (label, 万元)."""
    fig = _figure(figsize=(6.2, max(2.2, 0.32 * len(rows) + 1.0)))
    ax = fig.add_subplot()
    if rows:
        ax.barh(range(len(rows)), [v for _, v in rows], color="#20c997")
        ax.set_yticks(range(len(rows)), [label for label, _ in rows])
        ax.invert_yaxis()
        for y, (_, v) in enumerate(rows):
            ax.text(v, y, f" {v:,.2f}", va="center", fontsize=8)
        ax.set_xlim(0, max(v for _, v in rows) * 1.25 or 1)
    else:
        ax.text(0.5, 0.5, "暂无已核实支出", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlabel("已核实支出（万元）")
    ax.set_title("中央专项补助资金按类别支出")
    return _png(fig, font_path, {"left": 0.36, "bottom": 0.8 / fig.get_figheight()})


def grade_distribution_png(counts: Sequence[tuple[str, int]], *, font_path: str | None = None) -> bytes:
    """Bars of evaluations per grade; counts are (grade label, n), best grade first."""
    fig = _figure(figsize=(5, 2.8))
    ax = fig.add_subplot()
    ax.bar([g for g, _ in counts], [n for _, n in counts], color=[GRADE_COLOURS.get(g, "#6c757d") for g, _ in counts])
    for x, (_, n) in enumerate(counts):
        ax.text(x, n, str(n), ha="center", va="bottom")
    ax.set_ylabel("基地数")
    ax.set_title("评价等级分布")
    ax.set_ylim(0, max([n for _, n in counts] + [1]) * 1.25)
    return _png(fig, font_path)


def scores_by_authority_png(rows: Sequence[tuple[str, float, int]], *, font_path: str | None = None) -> bytes:
    """Horizontal bars of the mean total per authority; rows are (authority, mean, n)."""
    fig = _figure(figsize=(6.5, max(2.4, 0.3 * len(rows) + 1.0)))
    ax = fig.add_subplot()
    ax.barh(range(len(rows)), [m for _, m, _ in rows], color="#6610f2")
    ax.set_yticks(range(len(rows)), [f"{a}（{n}）" for a, _, n in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.axvline(60, color="#dc3545", linewidth=0.8)
    ax.axvline(90, color="#198754", linewidth=0.8)
    ax.set_xlabel("平均总分")
    ax.set_title("各主管部门辖区基地平均得分")
    return _png(fig, font_path, {"left": 0.3, "bottom": 0.7 / fig.get_figheight()})


def execution_vs_score_png(points: Sequence[tuple[float, float, str]], *, font_path: str | None = None) -> bytes:
    """Scatter of budget execution rate (%) against total score; points are (rate %, total, grade)."""
    fig = _figure(figsize=(5.5, 3.4))
    ax = fig.add_subplot()
    for label, colour in GRADE_COLOURS.items():
        pts = [(x, y) for x, y, g in points if g == label]
        if pts:
            ax.scatter([x for x, _ in pts], [y for _, y in pts], color=colour, label=label, s=22)
    ax.set_xlabel("预算执行率（%）")
    ax.set_ylabel("总分")
    ax.set_ylim(0, 105)
    ax.set_title("预算执行率与评价得分")
    if points:
        ax.legend(fontsize=8, loc="lower right")
    return _png(fig, font_path)
