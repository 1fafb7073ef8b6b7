"""Stored ranking runs: immutable snapshots of one ranking (input matrix, weights, method, results)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class RankingRun(db.Model):
    """One ranking of one cohort (a call, or one category of it), never edited after it is stored.

    ``matrix_csv`` is the exact text the `mcda` command reads, and ``matrix_sha256`` the SHA-256 of
    its UTF-8 bytes, so a run can be recomputed from the row alone (``reproduce_run``). Only
    ``stale``/``stale_reason`` may change later: a reopened score sheet marks the call's runs stale.
    """

    __tablename__ = "ranking_runs"
    __table_args__ = (Index("ix_ranking_runs_call_category", "call_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"))
    category: Mapped[str] = mapped_column(String(20), default="")  # "" = call without categories
    method: Mapped[str] = mapped_column(String(20))
    # Official = the call's locked method, weights and aggregation option; else a comparison.
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    adjusted: Mapped[bool] = mapped_column(Boolean, default=False)  # E columns bias-adjusted
    weight_version_id: Mapped[int | None] = mapped_column(Integer, default=None)
    weight_rule: Mapped[str] = mapped_column(String(10), default="direct")
    weights_json: Mapped[str] = mapped_column(Text)  # {indicator id: float} as used
    weights_sha256: Mapped[str] = mapped_column(String(64))
    criteria_id: Mapped[str] = mapped_column(String(60))
    criteria_version: Mapped[int] = mapped_column(Integer)
    criteria_sha256: Mapped[str] = mapped_column(String(64))
    matrix_csv: Mapped[str] = mapped_column(Text)
    matrix_sha256: Mapped[str] = mapped_column(String(64))
    # The `mcda` JSON of the run, plus per candidate the application id and the raw/adjusted
    # expert subtotals (see services/run_inputs.py).
    results_json: Mapped[str] = mapped_column(Text)
    robustness_json: Mapped[str | None] = mapped_column(Text, default=None)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    places: Mapped[int | None] = mapped_column(Integer, default=None)
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    stale_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def weights(self) -> dict[str, float]:
        """The weights used, by indicator id, in indicator order."""
        return {k: float(v) for k, v in json.loads(self.weights_json).items()}

    @property
    def results(self) -> dict[str, Any]:
        """The stored results document (the `mcda` JSON)."""
        return json.loads(self.results_json)

    @property
    def robustness(self) -> dict[str, Any] | None:
        """The stored robustness document, when samples were drawn."""
        return None if self.robustness_json is None else json.loads(self.robustness_json)
