"""Submission receipts (申报回执): rendered when an application is submitted, written atomically under
the issued-files folder before the row is flushed, verifiable by serial and hash like issued reports."""
from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from sqlalchemy import func, select

from ..domain.evaluation import SERIAL_ALPHABET
from ..domain.timeutil import format_beijing
from ..extensions import db
from ..models import Application, SubmissionReceipt, User
from ..models.types import utcnow
from ..reporting.receipt import ReceiptDoc, render_receipt
from . import audit
from .evaluation_reports import issued_root
from .files import write_atomically
from .verification import verify_url

FOLDER = "receipts"


def new_receipt_serial(app: Application) -> str:
    """HZ-<application>-<submission number>-<10 random characters>, e.g. HZ-000123-02-K7Q2M9XWRT."""
    number = (db.session.scalar(select(func.count()).select_from(SubmissionReceipt)
                                .where(SubmissionReceipt.application_id == app.id)) or 0) + 1
    random_part = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(10))
    return f"HZ-{app.id:06d}-{number:02d}-{random_part}"


def issue_receipt(app: Application, *, actor: User | None) -> SubmissionReceipt:
    """The receipt of the application's submission just made (submitted_at set); the caller commits."""
    serial = new_receipt_serial(app)
    submitted_at = app.submitted_at or utcnow()
    issued_at = utcnow()
    doc = ReceiptDoc(serial=serial, organisation=app.organisation.name, uscc=app.organisation.uscc,
                     call_title=app.call.title, call_code=app.call.code,
                     authority=app.organisation.authority.full_name, application_id=app.id,
                     submitted_at=format_beijing(submitted_at), issued_at=format_beijing(issued_at),
                     verify_url=verify_url(serial))
    data = render_receipt(doc)
    relative = f"{FOLDER}/{serial}.pdf"
    write_atomically(issued_root() / relative, data)
    receipt = SubmissionReceipt(application_id=app.id, serial=serial, sha256=hashlib.sha256(data).hexdigest(),
                                path=relative, size=len(data), submitted_at=submitted_at, issued_at=issued_at,
                                snapshot=doc.to_json())
    db.session.add(receipt)
    db.session.flush()
    audit.record("submission_receipt_issued", obj=receipt, actor=actor,
                 detail={"serial": serial, "application_id": app.id, "sha256": receipt.sha256})
    return receipt


def latest_receipt(app: Application) -> SubmissionReceipt | None:
    return db.session.scalar(select(SubmissionReceipt).where(SubmissionReceipt.application_id == app.id)
                             .order_by(SubmissionReceipt.id.desc()).limit(1))


def receipt_path(receipt: SubmissionReceipt) -> Path:
    return issued_root() / receipt.path


def read_receipt(receipt: SubmissionReceipt) -> bytes | None:
    """The receipt file, or None when it is missing or no longer matches its recorded hash."""
    try:
        data = receipt_path(receipt).read_bytes()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == receipt.sha256 else None
