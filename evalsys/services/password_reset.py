"""Password reset: one-time emailed links (30 minutes, single use, only the token's hash stored), and resets
by the security admin (staff accounts) or an authority (applicant accounts of its jurisdiction).

The reset email goes through the outbox table as a record, but its body there has the link blanked out:
the token itself exists only in memory until the mail is sent, by a background thread started after the
transaction commits, so that neither the database nor the response time gives anything away.
"""
from __future__ import annotations

import hashlib
import secrets
import smtplib
import string
import threading
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..domain import passwords as policy
from ..extensions import db
from ..models import AccountState, OutboundEmail, PasswordResetToken, User
from ..models.types import utcnow
from ..permissions import can_reset_password
from . import audit
from .auth import revoke_sessions
from .notify import SUBJECT_PREFIX, _send, path_for
from .passwords import check_password, hash_password
from ..domain.errors import DomainError, N_

VALIDITY = timedelta(minutes=30)
#: No second self-service link while one younger than this is unused (against mailbox flooding).
RESEND_AFTER = timedelta(minutes=5)
#: Outbox status of a reset mail: never "queued", so the generic delivery never sends the blanked body.
OUTBOX_STATUS = "reset"
LINK_PLACEHOLDER = "（重置链接仅在发送时写入邮件，系统不保存）"

#: The one answer of the request page, whether or not the account exists.
REQUEST_ANSWER = ("如果填写的用户名与电子邮箱对应一个有效账户，系统已向该邮箱发送重置密码链接。"
                  "链接30分钟内有效，只能使用一次。如未收到，请检查垃圾邮件或5分钟后重试；"
                  "也可以联系所属地方商务主管部门（申报单位）或安全管理员（其他账户）重置密码。")
INVALID_LINK = "重置链接无效、已使用或已过期，请重新申请。"


class ResetError(DomainError, ValueError):
    """A refused reset; the message is Chinese and shown to the user."""


@dataclass
class ResetMail:
    """An email whose link must still be written in: sent only after the transaction commits."""

    outbox_id: int
    body: str


def token_hash(token: str) -> str:
    """What is stored of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_enabled() -> bool:
    """Links go out only with an SMTP server and a configured public address (never the request's Host)."""
    cfg = current_app.config
    return bool(cfg.get("MAIL_SERVER") and cfg.get("PUBLIC_BASE_URL"))


def _supersede_tokens(user: User) -> None:
    """Every unused link of the user stops working (a newer link or another reset replaces them)."""
    db.session.execute(update(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                        PasswordResetToken.used_at.is_(None))
                       .values(used_at=utcnow()))


def _issue(user: User, *, issued_by: User | None, ip: str | None) -> ResetMail:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    _supersede_tokens(user)
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=token_hash(token), created_at=now,
                                      expires_at=now + VALIDITY, ip=ip,
                                      issued_by_id=issued_by.id if issued_by else None))
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path_for("auth.reset_link", token=token)
    text = (f"{user.display_name}：\n\n"
            f"{'安全管理员或主管部门为您的账户' if issued_by else '有人（希望是您本人）为您的账户'}“{user.username}”"
            "申请了重置密码。请在30分钟内打开下面的链接设置新密码，链接只能使用一次：\n\n{link}\n\n"
            "如果不是您本人申请，请忽略本邮件，您的密码不会改变。")
    row = OutboundEmail(user_id=user.id, to_address=user.email, subject=SUBJECT_PREFIX + "重置密码",
                        body=text.replace("{link}", LINK_PLACEHOLDER), status=OUTBOX_STATUS)
    db.session.add(row)
    db.session.flush()
    return ResetMail(row.id, text.replace("{link}", link))


def request_reset(username: str, email: str, *, ip: str | None) -> ResetMail | None:
    """Self-service request: a link only when username and email match an active account; audited either way.

    Both branches do the same kind of work (one lookup, one token made, one security record), so the
    answer and its timing do not tell whether the account exists.
    """
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    token_hash(secrets.token_urlsafe(32))  # same work as issuing
    matches = (user is not None and user.state == AccountState.ACTIVE and bool(user.email)
               and user.email.strip().lower() == email.strip().lower())
    if not matches or not link_enabled():
        reason = "mail_disabled" if matches else "no_match"
        audit.record_security("password_reset_requested", username=username[:40], outcome="failure",
                              detail={"reason": reason})
        return None
    recent = db.session.scalar(select(PasswordResetToken.id).where(
        PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None),
        PasswordResetToken.created_at > utcnow() - RESEND_AFTER).limit(1))
    if recent is not None:
        audit.record_security("password_reset_requested", actor=user, outcome="failure",
                              detail={"reason": "recently_sent"})
        return None
    mail = _issue(user, issued_by=None, ip=ip)
    audit.record_security("password_reset_requested", actor=user, detail={"reason": "link_sent"})
    return mail


def find_valid_token(token: str) -> PasswordResetToken | None:
    """The unused, unexpired link of an active account, or None."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(PasswordResetToken)
                            .where(PasswordResetToken.token_hash == token_hash(token)))
    if row is None or row.used_at is not None or utcnow() >= row.expires_at or not row.user.is_active:
        return None
    return row


def _set_password(user: User, password: str, *, must_change: bool) -> int:
    """Store the new password, end every session and unused link; returns how many sessions ended."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.demo_password = False
    user.must_change_password = must_change
    user.locked_until = None
    user.failures_cleared_at = utcnow()
    _supersede_tokens(user)
    return revoke_sessions(user)


def complete_reset(token: str, password: str) -> User:
    """Set the new password through a link: policy checked, link used up, every session of the account
    ended."""
    row = find_valid_token(token)
    if row is None:
        raise ResetError(INVALID_LINK)
    user = row.user
    found = policy.problems(password, username=user.username)
    if found:
        raise ResetError(found[0], found[1:])
    if check_password(user.password_hash, password):
        raise ResetError(N_("新密码不能与原密码相同"))
    # Claim the link in one conditional UPDATE, so two concurrent uses cannot both succeed.
    claimed = db.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None),
        PasswordResetToken.expires_at > utcnow()).values(used_at=utcnow())).rowcount
    if claimed != 1:
        raise ResetError(INVALID_LINK)
    ended = _set_password(user, password, must_change=False)
    audit.record("password_reset", obj=user, actor=user,
                 detail={"via": "link", "issued_by": row.issued_by_id, "sessions_ended": ended})
    return user


def send_link_for(target: User, *, actor: User) -> ResetMail:
    """The security admin or an authority emails a reset link to the account's registered address."""
    if not can_reset_password(actor, target):
        raise ResetError(N_("无权重置该账户的密码"))
    if not link_enabled():
        raise ResetError(N_("系统未配置邮件服务或对外访问地址，不能发送重置链接，请改用临时密码"))
    if not target.email:
        raise ResetError(N_("该账户没有登记电子邮箱，请改用临时密码"))
    if not target.is_active:
        raise ResetError(N_("该账户未启用或已停用，重置链接无法使用，请先启用账户或改用临时密码"))
    mail = _issue(target, issued_by=actor, ip=None)
    audit.record("password_reset_link_sent", obj=target, actor=actor, detail={"to": target.email})
    return mail


def temporary_password() -> str:
    """A random password meeting the policy (all four character classes, 16 characters)."""
    alphabet = string.ascii_letters + string.digits + "#%+=@!"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(16))
        if policy.character_classes(candidate) == 4 and not policy.problems(candidate):
            return candidate


def set_temporary_password(target: User, *, actor: User) -> str:
    """Reset to a random temporary password (shown once to the actor); the user must change it at next
    login."""
    if not can_reset_password(actor, target):
        raise ResetError(N_("无权重置该账户的密码"))
    password = temporary_password()
    ended = _set_password(target, password, must_change=True)
    audit.record("password_reset", obj=target, actor=actor,
                 detail={"via": "temporary", "sessions_ended": ended})
    return password


# --- delivery after commit -------------------------------------------------------------------------

_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()


def _deliver(app, mail: ResetMail) -> None:
    with app.app_context():
        try:
            row = db.session.get(OutboundEmail, mail.outbox_id)
            if row is None or row.status != OUTBOX_STATUS:
                return
            message = OutboundEmail(to_address=row.to_address, subject=row.subject, body=mail.body)
            db.session.rollback()  # hold no transaction (on SQLite: no lock) while talking to the mail server
            error = None
            try:
                _send(message)
            except (OSError, smtplib.SMTPException) as e:
                error = str(e)[:300]
            row = db.session.get(OutboundEmail, mail.outbox_id)
            row.attempts += 1
            if error:
                row.status, row.last_error = "failed", error
            else:
                row.status, row.sent_at = "sent", utcnow()
            db.session.commit()
        except Exception:  # noqa: BLE001 - a background send must never take the process down
            db.session.rollback()
            app.logger.exception("password reset email %s failed", mail.outbox_id)


def dispatch(mail: ResetMail | None) -> None:
    """Send a committed reset mail in the background (call after `db.session.commit()`)."""
    if mail is None:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_deliver, args=(app, mail), name="password-reset-mail", daemon=True)
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()


def wait_for_deliveries(timeout: float = 10.0) -> None:
    """Block until the background sends started so far are done (tests, CLI)."""
    with _threads_lock:
        pending = list(_threads)
    for thread in pending:
        thread.join(timeout)
