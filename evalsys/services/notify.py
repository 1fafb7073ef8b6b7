"""In-app notifications, each also emailed when SMTP is configured: queued in the transaction, sent after commit."""
from __future__ import annotations

import json
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..domain.notices import render
from ..extensions import db
from ..models import AccountState, Notification, Role, User
from ..models.messaging import OutboundEmail
from ..models.types import utcnow

SUBJECT_PREFIX = "【电子商务示范创建管理系统】"


def path_for(endpoint: str, **values) -> str:
    """The path of an endpoint, also outside a request (CLI, demo loader, background jobs)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def email_enabled() -> bool:
    """Email goes out only when an SMTP host is configured; otherwise nothing is queued or sent."""
    return bool(current_app.config.get("MAIL_SERVER"))


def notice(user_id: int, template: str, params: Mapping[str, Any] | None = None, *,
           link: str | None = None) -> Notification:
    """Add an in-app notification (no email): the template (a msgid marked with `N_`) and its values
    (domain/notices.py) are stored so each reader sees it in their language; `message` holds the Chinese text."""
    note = Notification(user_id=user_id, message=render(template, params), template=template,
                        params=json.dumps(dict(params or {}), ensure_ascii=False), link=link)
    db.session.add(note)
    return note


def notify(user: User, template: str, params: Mapping[str, Any] | None = None, *, link: str | None = None,
           subject: str | None = None) -> Notification:
    """Add an in-app notification and, when email is configured and the user has an address, queue an email
    (in Chinese, the text stored as `message`)."""
    note = notice(user.id, template, params, link=link)
    if email_enabled() and user.email:
        base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
        body = note.message + (f"\n\n{base}{link}" if link and base else "")
        db.session.add(OutboundEmail(user_id=user.id, to_address=user.email,
                                     subject=SUBJECT_PREFIX + (subject or note.message[:60]), body=body))
        db.session.info["outbox_dirty"] = True
    return note


def notify_authority(authority_code: str, template: str, params: Mapping[str, Any] | None = None, *,
                     link: str | None = None) -> int:
    """Notify every active account of an authority; returns how many were notified."""
    users = db.session.scalars(select(User).where(User.role == Role.AUTHORITY, User.authority_code == authority_code,
                                                  User.state == AccountState.ACTIVE)).all()
    for user in users:
        notify(user, template, params, link=link)
    return len(users)


def notify_organisation(organisation_id: int, template: str, params: Mapping[str, Any] | None = None, *,
                        link: str | None = None) -> int:
    """Notify every active account of an applicant organisation."""
    users = db.session.scalars(select(User).where(User.organisation_id == organisation_id,
                                                  User.state == AccountState.ACTIVE)).all()
    for user in users:
        notify(user, template, params, link=link)
    return len(users)


def _send(row: OutboundEmail) -> None:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg.get("MAIL_FROM", "noreply@localhost")
    msg["To"] = row.to_address
    msg["Subject"] = row.subject
    msg.set_content(row.body)
    smtp_cls = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_cls(cfg["MAIL_SERVER"], int(cfg.get("MAIL_PORT", 25)), timeout=10) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD", ""))
        smtp.send_message(msg)


def deliver_pending(limit: int = 200) -> int:
    """Send queued emails (committed rows only); failures are kept for the next run. Returns the number sent."""
    if not email_enabled():
        return 0
    rows = db.session.scalars(select(OutboundEmail).where(OutboundEmail.status == "queued")
                              .order_by(OutboundEmail.id).limit(limit)).all()
    sent = 0
    for row in rows:
        row.attempts += 1
        try:
            _send(row)
        except (OSError, smtplib.SMTPException) as e:
            row.last_error = str(e)[:300]
            if row.attempts >= int(current_app.config.get("MAIL_MAX_ATTEMPTS", 5)):
                row.status = "failed"
        else:
            row.status, row.sent_at = "sent", utcnow()
            sent += 1
    db.session.commit()
    return sent


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Only a committed transaction that queued mail triggers delivery; a rollback clears the flag.
    if session.info.pop("outbox_dirty", False) and has_app_context():
        session.info["deliver_after_request"] = True


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("outbox_dirty", None)


def deliver_if_queued() -> None:
    """Called at request teardown (and by CLI commands): send what this unit of work queued and committed."""
    if db.session.info.pop("deliver_after_request", False):
        try:
            deliver_pending()
        except Exception:  # noqa: BLE001 - mail trouble must never break the response
            db.session.rollback()
            current_app.logger.exception("email delivery failed")
