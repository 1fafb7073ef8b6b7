"""Two-factor login with TOTP (RFC 6238): enrolment, code checks with replay refusal, recovery codes, reset.

The secret is stored encrypted (Fernet, key from TOTP_ENCRYPTION_KEY or derived from SECRET_KEY,
both outside the database), shown only while enrolment is pending, and never written to an audit
record or a log. Recovery codes are stored as hashes and work once.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import Role, User
from ..models.totp import RecoveryCode, TotpCredential
from ..models.types import utcnow
from . import audit
from .auth import register_failure
from ..domain.errors import DomainError, N_

#: The roles that may (and, with REQUIRE_TOTP, must) use a second factor.
TOTP_ROLES = frozenset({Role.ADMIN, Role.SECADMIN, Role.AUDITOR, Role.AUTHORITY})
STEP_SECONDS = 30
#: Codes of the previous and next time step are accepted too (clock drift of the phone).
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class TotpError(DomainError):
    """A refused enrolment step, with a Chinese message for the user."""


# --- secrets at rest --------------------------------------------------------------------------------

def _fernet() -> Fernet:
    material = current_app.config.get("TOTP_ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]
    digest = hashlib.sha256(b"evalsys-totp-secret\x00" + str(material).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as e:  # the key changed: the account must be reset by the security admin
        raise TotpError(N_("两步验证密钥无法解密，请联系安全管理员重置两步验证")) from e


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(("evalsys-recovery:" + code).encode()).hexdigest()


# --- queries --------------------------------------------------------------------------------------

def credential_of(user: User) -> TotpCredential | None:
    """The account's TOTP credential (pending or confirmed), if any."""
    return db.session.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))


def is_enrolled(user: User) -> bool:
    """True when the account has a confirmed second factor."""
    cred = credential_of(user)
    return cred is not None and cred.is_confirmed


def eligible(user: User) -> bool:
    """Admins, security admins, auditors and authorities use TOTP."""
    return user.role in TOTP_ROLES


def enrolment_required(user: User) -> bool:
    """With REQUIRE_TOTP on, an eligible account without a confirmed second factor must enrol first."""
    return bool(current_app.config.get("REQUIRE_TOTP")) and eligible(user) and not is_enrolled(user)


def needs_second_factor(user: User) -> bool:
    """Login asks for a code whenever the account has a confirmed second factor."""
    return is_enrolled(user)


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the account has."""
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# --- enrolment ------------------------------------------------------------------------------------

def start_enrolment(user: User) -> TotpCredential:
    """Create (or renew) the pending secret; refused once a second factor is confirmed."""
    if not eligible(user):
        raise TotpError(N_("该角色不使用两步验证"))
    cred = credential_of(user)
    if cred is not None and cred.is_confirmed:
        raise TotpError(N_("已启用两步验证；如需更换设备，请联系安全管理员重置"))
    secret = pyotp.random_base32()
    if cred is None:
        cred = TotpCredential(user_id=user.id, secret_encrypted=_encrypt(secret))
        db.session.add(cred)
    else:
        cred.secret_encrypted = _encrypt(secret)
        cred.created_at = utcnow()
    db.session.flush()
    audit.record("totp_enrolment_started", obj=user, actor=user)
    return cred


@dataclass
class PendingEnrolment:
    """What the enrolment page shows: the secret for manual entry and the otpauth URI for the QR code."""

    secret: str
    uri: str


def pending_enrolment(user: User) -> PendingEnrolment | None:
    """The pending secret, only while enrolment is unconfirmed (never after)."""
    cred = credential_of(user)
    if cred is None or cred.is_confirmed:
        return None
    secret = _decrypt(cred.secret_encrypted)
    issuer = current_app.config.get("TOTP_ISSUER") or "evalsys"
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)
    return PendingEnrolment(secret, uri)


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as an inline SVG data URI (generated here; no external service, no script)."""
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def _current_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (within the window) whose code equals `code`, compared in constant time."""
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    found = None
    for step in range(_current_step(now) - VALID_WINDOW, _current_step(now) + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            found = step
    return found


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(raw)))
    db.session.flush()
    return codes


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Confirm the pending secret with a code; returns the new recovery codes (shown once, stored hashed)."""
    cred = credential_of(user)
    if cred is None or cred.is_confirmed:
        raise TotpError(N_("没有待确认的两步验证设置，请重新开始"))
    now = utcnow()
    step = _matching_step(_decrypt(cred.secret_encrypted), normalise(code), now)
    if step is None:
        audit.record_security("totp_enrolment_code_refused", actor=user, obj=user, outcome="failure")
        raise TotpError(N_("验证码不正确，请核对手机时间后输入验证器显示的6位数字"))
    cred.confirmed_at = now
    cred.last_used_step = step  # the confirming code cannot be replayed at login
    codes = _new_recovery_codes(user)
    audit.record("totp_enrolled", obj=user, actor=user, detail={"recovery_codes": len(codes)})
    return codes


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), after a fresh TOTP code."""
    cred = credential_of(user)
    if cred is None or not cred.is_confirmed:
        raise TotpError(N_("尚未启用两步验证"))
    if _consume_totp(cred, user, normalise(code)) != "ok":
        raise TotpError(N_("验证码不正确或已被使用，请输入新的验证码"))
    codes = _new_recovery_codes(user)
    audit.record("totp_recovery_codes_regenerated", obj=user, actor=user,
                 detail={"recovery_codes": len(codes)})
    return codes


# --- login ----------------------------------------------------------------------------------------

def normalise(code: str | None) -> str:
    """Digits or a recovery code as typed: spaces and hyphens dropped, lower case."""
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()


def _consume_totp(cred: TotpCredential, user: User, code: str) -> str:
    """Accept a TOTP code once: "ok", "bad" or "replay" (the step moves forward atomically, so a replayed
    code — even one racing the first use — is refused and audited)."""
    step = _matching_step(_decrypt(cred.secret_encrypted), code, utcnow())
    if step is None:
        return "bad"
    moved = db.session.execute(
        update(TotpCredential).where(
            TotpCredential.id == cred.id,
            (TotpCredential.last_used_step.is_(None)) | (TotpCredential.last_used_step < step),
        ).values(last_used_step=step).execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        audit.record_security("totp_replay_refused", actor=user, obj=user, outcome="failure",
                              detail={"time_step": step})
        return "replay"
    set_committed_value(cred, "last_used_step", step)
    return "ok"


def _consume_recovery_code(user: User, code: str) -> bool:
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_hash(code),
        RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        return False
    audit.record_security("totp_recovery_code_used", actor=user, obj=user,
                          detail={"remaining": recovery_codes_left(user)})
    return True


@dataclass
class CodeCheck:
    """The outcome of a second-factor step: ok (and by which means), or failed (and whether it locked)."""

    ok: bool
    method: str = ""
    locked: bool = False


def check_login_code(user: User, code: str, *, ip: str | None) -> CodeCheck:
    """Check a TOTP or recovery code at login; every failure counts towards the password lockout."""
    cred = credential_of(user)
    value = normalise(code)
    if cred is None or not cred.is_confirmed:
        return CodeCheck(False, locked=register_failure(user, "no_second_factor", ip=ip))
    if value.isdigit():
        outcome = _consume_totp(cred, user, value)
        if outcome == "ok":
            return CodeCheck(True, "totp")
        reason = "totp_code_replayed" if outcome == "replay" else "bad_totp_code"
        return CodeCheck(False, locked=register_failure(user, reason, ip=ip))
    if len(value) == 10 and _consume_recovery_code(user, value):
        return CodeCheck(True, "recovery_code")
    return CodeCheck(False, locked=register_failure(user, "bad_recovery_code", ip=ip))


# --- reset by the security admin ------------------------------------------------------------------

def reset_totp(user: User, *, actor: User) -> bool:
    """Remove the account's second factor and recovery codes; it enrols again. Returns False if none."""
    cred = credential_of(user)
    codes = recovery_codes_left(user)
    if cred is None and not codes:
        return False
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    audit.record("totp_reset", obj=user, actor=actor,
                 detail={"was_confirmed": bool(cred and cred.is_confirmed), "recovery_codes_left": codes})
    return True
