"""Ranking outputs as bytes: the run chart (PNG) and the call's review workbook (XLSX).

Data in (plain rows), bytes out; no queries here.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .fonts import apply_cjk_font
from .xlsx import SheetSpec, workbook_bytes as write_workbook

CHART_MAX = 60


def ranking_chart_png(rows: Sequence[tuple[str, int, float, int | None, int | None]], *, places: int | None,
                      title: str, score_label: str) -> bytes:
    """Scores by position (bars) and rank intervals (5th–95th percentile) of the first 60 candidates.

    ``rows``: (label, rank, score, rank_p05, rank_p95) in display order.
    """
    from matplotlib.figure import Figure

    rows = list(rows)[:CHART_MAX]
    fig = Figure(figsize=(10, 6.5), dpi=100)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    xs = list(range(1, len(rows) + 1))
    colours = ["#1f5fa8" if places is None or i <= places else "#9bb7d9" for i in xs]
    top.bar(xs, [r[2] for r in rows], color=colours)
    top.set_ylabel(score_label)
    top.set_title(title)
    if places:
        for ax in (top, bottom):
            ax.axvline(places + 0.5, color="#c0392b", linestyle="--", linewidth=1)
        top.text(places + 0.7, top.get_ylim()[1] * 0.95, f"名额 {places}", color="#c0392b", va="top")
    with_interval = [(x, r) for x, r in zip(xs, rows) if r[3] is not None and r[4] is not None]
    if with_interval:
        bottom.vlines([x for x, _ in with_interval], [r[3] for _, r in with_interval],
                      [r[4] for _, r in with_interval], color="#555555", linewidth=3)
    bottom.scatter(xs, [r[1] for r in rows], color="#1f5fa8", s=12, zorder=3)
    bottom.invert_yaxis()
    bottom.set_ylabel("名次（区间为稳健性5%–95%）")
    bottom.set_xlabel("展示顺序")
    apply_cjk_font(fig)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


@dataclass(frozen=True)
class Sheet:
    """One worksheet: title, header, rows (strings go in as text; int and Decimal stay numbers)."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with one sheet each, written in streaming mode by reporting.xlsx (a call's scores
    run to hundreds of thousands of cells): strings stay text, floats are refused."""
    return write_workbook([SheetSpec(s.title, s.header, s.rows, widths=()) for s in sheets])
