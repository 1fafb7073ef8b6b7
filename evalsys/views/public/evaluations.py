"""/public/verify/<serial>: anyone checks an issued report (a base's report or a round's national
summary) — issuer, base, round, grade, issue time, status, the signed file's SHA-256 — and may upload
a copy, which is hashed as it streams in (never stored, size- and rate-limited) and compared.
Nothing else is revealed."""
from __future__ import annotations

import hashlib

from flask import abort, current_app, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...extensions import limiter
from ...forms.evaluations import VerifyForm
from ...permissions import public
from ...models.round_summary import RoundSummaryReport
from ...reporting.round_summary import GRADES, RoundSummaryDoc
from ...services.evaluation_reports import find_by_serial
from ...services.round_summaries import find_summary_by_serial


DEFAULT_VERIFY_MAX_BYTES = 20 * 1024 * 1024


class HashingSink:
    """A write-only file object for Werkzeug's multipart parser: hashes and counts, keeps nothing."""

    def __init__(self, limit: int) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.limit = limit

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise RequestEntityTooLarge()
        self.digest.update(data)
        return len(data)

    def seek(self, *args) -> int:
        return 0

    def read(self, *args) -> bytes:
        return b""

    def close(self) -> None:
        pass


def hash_uploads_as_streamed(endpoint, values) -> None:
    # Runs before the before_request hooks (CSRF parses the form there): the upload of the
    # verify page goes into a HashingSink instead of memory or a temporary file.
    if endpoint == "public.verify" and request.method == "POST":
        limit = int(current_app.config.get("VERIFY_MAX_BYTES", DEFAULT_VERIFY_MAX_BYTES))
        request.max_content_length = limit + 64 * 1024
        sink = HashingSink(limit)
        request._get_file_stream = lambda *a, **k: sink  # type: ignore[method-assign]


def _limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", "20 per minute;200 per hour")


@public
@limiter.limit(_limit)
def verify(serial: str):
    """The verification page of one serial number — a base's report or a round's national summary
    (404 for an unknown one: no hints)."""
    report = find_by_serial(serial[:60]) or find_summary_by_serial(serial[:60])
    if report is None:
        abort(404, description="未找到该编号的报告")
    form = VerifyForm()
    outcome = None
    if request.method == "POST":
        upload = request.files.get("file")
        if form.validate_on_submit() and upload is not None and isinstance(upload.stream, HashingSink) \
                and upload.stream.size > 0:
            digest = upload.stream.digest.hexdigest()
            outcome = {"match": digest == report.signed_sha256, "sha256": digest, "size": upload.stream.size}
        else:
            outcome = {"error": "请选择要核验的文件"}
    facts = {"serial": report.serial, "issuer": report.issuer, "round": report.round.title,
             "issued_at": report.issued_at, "status": report.status, "sha256": report.signed_sha256}
    if isinstance(report, RoundSummaryReport):
        doc = RoundSummaryDoc.from_json(report.snapshot)
        facts.update(summary=True, base=f"首批国家电子商务示范基地 {doc.bases} 个（全国汇总）",
                     grade=" · ".join(f"{g} {n}" for g, n in zip(GRADES, doc.grade_totals)))
    else:
        ev = report.evaluation
        facts.update(summary=False, base=f"{ev.base.name}（{ev.base.code}）", grade=_snapshot_grade(report.snapshot))
    return render_template("evaluations/verify.html", facts=facts, form=form, outcome=outcome)


def _snapshot_grade(snapshot: str) -> str:
    # The grade printed in that report (a reissue may carry another).
    import json

    return json.loads(snapshot).get("grade", "")
