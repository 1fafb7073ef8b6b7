"""Public verification of issued documents: the address printed on them (with its QR code) and the
lookup of a serial, which may name an issued evaluation report or a submission receipt."""
from __future__ import annotations

import re

from flask import current_app, has_request_context, request
from sqlalchemy import select

from ..extensions import db
from ..models import IssuedReport, RoundSummaryReport, SubmissionReceipt
from .notify import path_for


def public_base_url() -> str:
    """PUBLIC_BASE_URL; without it the address the current request came in on, else
    PREFERRED_URL_SCHEME://SERVER_NAME, else http://localhost (a deployment sets PUBLIC_BASE_URL)."""
    cfg = current_app.config
    base = (cfg.get("PUBLIC_BASE_URL") or "").strip()
    if not base and has_request_context():
        base = request.host_url
    if not base:
        base = f"{cfg.get('PREFERRED_URL_SCHEME') or 'http'}://{cfg.get('SERVER_NAME') or 'localhost'}"
    return base.rstrip("/")


def verify_url(serial: str) -> str:
    """The public verification address of a serial, as printed and encoded in the QR code."""
    return public_base_url() + path_for("public.verify", serial=serial)


def normalise_serial(serial: str) -> str:
    """A serial as typed, trimmed and upper-cased; control characters dropped (PostgreSQL refuses NUL)."""
    return re.sub(r"[\x00-\x1f\x7f]", "", serial or "").strip().upper()[:60]


def find_document(serial: str) -> IssuedReport | RoundSummaryReport | SubmissionReceipt | None:
    """The issued report (a base's report or a round's national summary) or submission receipt with
    this serial, if any."""
    serial = normalise_serial(serial)
    if not serial:
        return None
    report = db.session.scalar(select(IssuedReport).where(IssuedReport.serial == serial))
    if report is not None:
        return report
    summary = db.session.scalar(select(RoundSummaryReport).where(RoundSummaryReport.serial == serial))
    if summary is not None:
        return summary
    return db.session.scalar(select(SubmissionReceipt).where(SubmissionReceipt.serial == serial))
