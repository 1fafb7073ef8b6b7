"""Writing the audit trail, chaining it with a keyed HMAC after commit, and verifying the chain."""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import insert, select

from ..domain.hashing import UnsupportedAlgorithm, check_algorithm, mac
from ..extensions import db
from ..models import AuditChain, AuditHead, AuditRecord, User
from ..models.audit import AuditArchiveGate
from ..models.types import utcnow

_HEAD_ID = 1
_PG_LOCK_KEY = 0x65766C61  # "evla": the advisory lock serialising the chain writers


def _actor_fields(actor: User | None) -> dict[str, Any]:
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()  # type: ignore[attr-defined]
    if actor is None:
        return {"user_id": None, "username": None, "role": None}
    return {"user_id": actor.id, "username": actor.username, "role": actor.role.value}


def _request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {"ip": None, "request_id": None}
    return {"ip": request.remote_addr, "request_id": getattr(g, "request_id", None)}


def _build(event: str, *, obj: Any = None, object_type: str | None = None, object_id: Any = None,
           outcome: str = "success", detail: dict | None = None, actor: User | None = None,
           username: str | None = None) -> AuditRecord:
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None) or getattr(obj, "code", None)
    fields = _actor_fields(actor)
    if username and not fields["username"]:
        fields["username"] = username[:40]
    return AuditRecord(
        created_at=utcnow(), event=event, object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:60], outcome=outcome,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str) if detail else None,
        **fields, **_request_fields(),
    )


def record(event: str, **kwargs: Any) -> AuditRecord:
    """Add an audit record to the current transaction: it commits or rolls back with the change."""
    row = _build(event, **kwargs)
    db.session.add(row)
    if has_request_context():
        g.audit_dirty = True
    return row


def record_security(event: str, **kwargs: Any) -> None:
    """Record a security event in its own transaction, written after any rollback of the request.

    Inside a request the record is queued and written by the teardown hook once the request's
    transaction is over; outside one it is written and committed at once.
    """
    row = _build(event, **kwargs)
    if has_request_context():
        g.setdefault("security_events", []).append(row)
        return
    db.session.add(row)
    db.session.commit()
    chain_pending()


def flush_security_events() -> None:
    """Write the queued security events in a fresh transaction (called at request teardown)."""
    rows = g.pop("security_events", [])
    if rows:
        db.session.add_all(rows)
        db.session.commit()
        g.audit_dirty = True


# --- the chain -----------------------------------------------------------------------------------

def chain_key() -> bytes:
    """The HMAC key of the chain (AUDIT_HMAC_KEY, or derived from SECRET_KEY when unset)."""
    return _key()


def _key() -> bytes:
    key = current_app.config.get("AUDIT_HMAC_KEY")
    if not key:
        key = hashlib.sha256(b"evalsys-audit|" + current_app.config["SECRET_KEY"].encode()).hexdigest()
    return key.encode() if isinstance(key, str) else key


def canonical_values(row: AuditRecord) -> list:
    """The values a record's MAC covers, in order: every column but its own link (archives keep this list)."""
    return [row.id, row.created_at.isoformat(), row.user_id, row.username, row.role, row.ip, row.event,
            row.object_type, row.object_id, row.outcome, row.request_id, row.detail]


def canonical_bytes(values: list) -> bytes:
    """The serialised form of canonical_values(): what the HMAC is computed over."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()


def canonical(row: AuditRecord) -> bytes:
    """The bytes a record's MAC covers: every column but its own link."""
    return canonical_bytes(canonical_values(row))


def hash_algorithm() -> str:
    """The algorithm new links and stored-file digests use: setting HASH_ALGORITHM (sha256 or sm3)."""
    return check_algorithm(current_app.config.get("HASH_ALGORITHM"))


def link_mac(key: bytes, prev_mac: str, row: AuditRecord | list, algorithm: str = "sha256") -> str:
    """MAC of one record (or its canonical values) chained to the previous link (HMAC-SHA256 or HMAC-SM3)."""
    body = canonical_bytes(row) if isinstance(row, list) else canonical(row)
    return mac(key, prev_mac.encode() + b"|" + body, algorithm)


def head_mac(key: bytes, head: AuditHead) -> str:
    """MAC over the head row, so a removed tail or a rewound head is detected."""
    msg = f"head|{head.seq}|{head.record_id}|{head.mac}|{head.anchor_seq}|{head.anchor_mac}".encode()
    return mac(key, msg, head.algorithm or "sha256")


def _lock_chain() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(db.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
    # SQLite: every write transaction begins IMMEDIATE, which already serialises the writers.


def _load_head() -> AuditHead:
    head = db.session.get(AuditHead, _HEAD_ID, with_for_update=True)
    if head is None:
        head = AuditHead(id=_HEAD_ID, seq=0, record_id=0, mac="", anchor_seq=0, anchor_mac="", algorithm="sha256")
        db.session.add(head)
    return head


def chain_pending(chunk: int = 5_000) -> int:
    """Link every committed, unchained record in id order under the chain lock; commits. Returns the count.

    Plain rows are read and links inserted `chunk` at a time, so a bulk load of many thousand
    records is chained in bounded memory."""
    _lock_chain()
    head = _load_head()
    columns = [getattr(AuditRecord, c) for c in ("id", "created_at", "user_id", "username", "role", "ip", "event",
                                                 "object_type", "object_id", "outcome", "request_id", "detail")]
    key = _key()
    algorithm = hash_algorithm()
    prev, seq, count, last_id = head.mac, head.seq, 0, 0
    while True:
        pending = db.session.execute(
            select(*columns)
            .outerjoin(AuditChain, AuditChain.record_id == AuditRecord.id)
            .where(AuditChain.seq.is_(None), AuditRecord.id > last_id)
            .order_by(AuditRecord.id).limit(chunk)
        ).all()
        if not pending:
            break
        links = []
        for row in pending:
            seq += 1
            prev = link_mac(key, prev, canonical_values(row), algorithm)
            links.append({"seq": seq, "record_id": row.id, "mac": prev, "algorithm": algorithm})
        db.session.execute(insert(AuditChain), links)
        last_id = pending[-1].id
        count += len(pending)
    if not count:
        db.session.rollback()
        return 0
    head.record_id = last_id
    head.seq, head.mac, head.algorithm = seq, prev, algorithm
    head.head_mac = head_mac(key, head)
    db.session.commit()
    return count


@dataclass
class ChainReport:
    """Outcome of verify_chain(): the number of records checked or the first bad one."""

    ok: bool
    count: int
    problem: str = ""


def verify_chain() -> ChainReport:
    """Recompute every link from the anchor to the head; name the first record that does not match."""
    key = _key()
    head = db.session.get(AuditHead, _HEAD_ID)
    if head is None:
        total = db.session.scalar(select(db.func.count(AuditRecord.id)))
        return ChainReport(total == 0, 0, "" if total == 0 else "审计链头缺失")
    try:
        head_ok = hmac.compare_digest(head.head_mac, head_mac(key, head))
    except UnsupportedAlgorithm:
        head_ok = False
    if not head_ok:
        return ChainReport(False, 0, "审计链头被篡改")
    if db.session.scalar(select(AuditArchiveGate.record_id).limit(1)) is not None:
        return ChainReport(False, 0, "审计归档通道未关闭（audit_archive_gate 表中有记录）")
    prev, expected_seq, count = head.anchor_mac, head.anchor_seq, 0
    rows = db.session.execute(
        select(AuditChain, AuditRecord).join(AuditRecord, AuditRecord.id == AuditChain.record_id)
        .order_by(AuditChain.seq)
        .execution_options(yield_per=2000)
    )
    # yield_per streams through a server-side cursor on PostgreSQL: close it on the early returns.
    with rows:
        for link, rec in rows:
            expected_seq += 1
            if link.seq != expected_seq:
                return ChainReport(False, count, f"记录 {rec.id}：链序号不连续（缺少第 {expected_seq} 号）")
            try:
                expected = link_mac(key, prev, rec, link.algorithm)
            except UnsupportedAlgorithm:
                return ChainReport(False, count, f"记录 {rec.id}：审计链算法无效（{link.algorithm}）")
            if not hmac.compare_digest(expected, link.mac):
                return ChainReport(False, count, f"记录 {rec.id}：内容与审计链不符（已被篡改）")
            prev, count = expected, count + 1
    if expected_seq != head.seq or prev != head.mac:
        return ChainReport(False, count, f"审计链尾部缺失：应至第 {head.seq} 号，实际至第 {expected_seq} 号")
    return ChainReport(True, count)
