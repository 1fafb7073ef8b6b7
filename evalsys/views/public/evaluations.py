"""/public/verify: anyone looks up a serial, or opens /public/verify/<serial> (the address printed with
a QR code on every issued PDF), and checks an issued report (a base's report or a round's national summary) — issuer, base, round, grade, issue time,
status, the signed file's SHA-256 — or a submission receipt — organisation, call, submission time;
and may upload a copy, which is hashed as it streams in (never stored, size- and rate-limited) and
compared. Nothing else is revealed."""
from __future__ import annotations

import hashlib

from flask import abort, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ...extensions import limiter
from ...forms.evaluations import VerifyForm, VerifyLookupForm
from ...models import IssuedReport, SubmissionReceipt
from ...permissions import public
from ...models.round_summary import RoundSummaryReport
from ...reporting.round_summary import GRADES, RoundSummaryDoc
from ...services.verification import find_document, normalise_serial

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
    # verify pages goes into a HashingSink instead of memory or a temporary file.
    if endpoint in ("public.verify", "public.verify_lookup") and request.method == "POST":
        limit = int(current_app.config.get("VERIFY_MAX_BYTES", DEFAULT_VERIFY_MAX_BYTES))
        request.max_content_length = limit + 64 * 1024
        sink = HashingSink(limit)
        request._get_file_stream = lambda *a, **k: sink  # type: ignore[method-assign]


def _limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", "20 per minute;200 per hour")


# One budget for the lookup form and the per-serial pages: guessing serials through either counts.
_verify_limit = limiter.shared_limit(_limit, scope="public-verify")


def _uploaded() -> dict | None:
    """The streamed upload's hash and size, or None when no file was sent."""
    upload = request.files.get("file")
    if upload is not None and isinstance(upload.stream, HashingSink) and upload.stream.size > 0:
        return {"sha256": upload.stream.digest.hexdigest(), "size": upload.stream.size}
    return None


def _document_page(doc: IssuedReport | RoundSummaryReport | SubmissionReceipt, form, outcome: dict | None):
    """The verification page of a report or a receipt: only its listed public fields."""
    if isinstance(doc, SubmissionReceipt):
        app = doc.application
        facts = {"serial": doc.serial, "kind": "申报回执", "organisation": app.organisation.name,
                 "call": app.call.title, "submitted_at": doc.submitted_at, "sha256": doc.sha256}
        if outcome and "sha256" in outcome:
            outcome["match"] = outcome["sha256"] == doc.sha256
        return render_template("public/verify_receipt.html", facts=facts, form=form, outcome=outcome)
    facts = {"serial": doc.serial, "issuer": doc.issuer, "round": doc.round.title, "issued_at": doc.issued_at,
             "status": doc.status, "sha256": doc.signed_sha256}
    if isinstance(doc, RoundSummaryReport):
        summary = RoundSummaryDoc.from_json(doc.snapshot)
        facts.update(summary=True, base=f"首批国家电子商务示范基地 {summary.bases} 个（全国汇总）",
                     grade=" · ".join(f"{g} {n}" for g, n in zip(GRADES, summary.grade_totals)))
    else:
        ev = doc.evaluation
        facts.update(summary=False, base=f"{ev.base.name}（{ev.base.code}）", grade=_snapshot_grade(doc.snapshot))
    if outcome and "sha256" in outcome:
        outcome["match"] = outcome["sha256"] == doc.signed_sha256
    return render_template("evaluations/verify.html", facts=facts, form=form, outcome=outcome)


@public
@_verify_limit
def verify_lookup():
    """The lookup form: a serial (report or receipt) and optionally the file to compare. An unknown
    serial is answered on this page, with the form again, never with an error page."""
    if request.method == "GET":
        serial = normalise_serial(request.args.get("serial", ""))
        form = VerifyLookupForm(formdata=None, data={"serial": serial})
        if not serial:
            return render_template("public/verify_lookup.html", form=form, not_found=None)
        doc = find_document(serial)
        if doc is not None:
            return redirect(url_for("public.verify", serial=doc.serial))
        return render_template("public/verify_lookup.html", form=form, not_found=serial)
    form = VerifyLookupForm()
    if not form.validate_on_submit():
        return render_template("public/verify_lookup.html", form=form, not_found=None)
    serial = normalise_serial(form.serial.data)
    doc = find_document(serial)
    if doc is None:
        return render_template("public/verify_lookup.html", form=form, not_found=serial)
    return _document_page(doc, VerifyForm(), _uploaded())


@public
@_verify_limit
def verify(serial: str):
    """The verification page of one serial number (404 for an unknown one: no hints)."""
    doc = find_document(serial[:60])
    if doc is None:
        abort(404, description="未找到该编号的报告或回执")
    form = VerifyForm()
    outcome = None
    if request.method == "POST":
        uploaded = _uploaded()
        outcome = uploaded if form.validate_on_submit() and uploaded else {"error": "请选择要核验的文件"}
    return _document_page(doc, form, outcome)


def _snapshot_grade(snapshot: str) -> str:
    # The grade printed in that report (a reissue may carry another).
    import json

    return json.loads(snapshot).get("grade", "")
