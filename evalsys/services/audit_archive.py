"""Archiving old audit records: export them with their chain links, move the chain's anchor, and remove
them through the one privileged path (the gate table the append-only triggers consult).

The archive is the oldest unbroken run of the chain whose records were all written before the cut-off
(00:00 Beijing time of the given date, at least six months back). The export (JSON lines, gzip) and a
manifest with its SHA-256 are written and synced before the rows go; the head then names the last
archived link as its anchor, so `verify-audit` starts from there, and `verify_archive` re-checks the
exported links from the previous anchor with the same key.
"""
from __future__ import annotations

import calendar
import gzip
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, insert, select

from ..domain.hashing import UnsupportedAlgorithm
from ..domain.timeutil import beijing_date, beijing_midnight
from ..extensions import db
from ..models import AuditChain, AuditRecord, User
from ..models.audit import AuditArchiveGate
from ..models.types import utcnow
from . import audit
from ..domain.errors import DomainError, N_

MIN_AGE_MONTHS = 6
FORMAT = "evalsys-audit-archive/1"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ArchiveRefused(DomainError, RuntimeError):
    """The archive was refused or failed; the message is Chinese and says why."""


@dataclass
class ArchiveResult:
    """What an archive run wrote and removed."""

    path: Path
    manifest_path: Path
    count: int
    first_seq: int
    last_seq: int
    sha256: str


def parse_cutoff(text: str) -> date:
    """A YYYY-MM-DD date (Beijing calendar); ArchiveRefused for anything else."""
    value = (text or "").strip()
    try:
        if not _DATE_RE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ArchiveRefused(N_("日期格式无效：%(text)r，应为 YYYY-MM-DD（北京时间）"), text=text) from None


def _months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_allowed_cutoff(now: datetime) -> date:
    """The latest cut-off date allowed at `now`: today's Beijing date six calendar months back."""
    return _months_back(beijing_date(now), MIN_AGE_MONTHS)


def check_cutoff(cutoff: date, now: datetime) -> None:
    """Refuse a cut-off less than six months back (Chinese message)."""
    latest = latest_allowed_cutoff(now)
    if cutoff > latest:
        raise ArchiveRefused(N_("只能归档 %(months)s 个月以前的审计记录：截止日期 %(date)s 太近，最晚可为 %(date2)s"),
                             months=MIN_AGE_MONTHS, date=cutoff.isoformat(), date2=latest.isoformat())


def archive_dir() -> Path:
    """Where archives are written: AUDIT_ARCHIVE_DIR, default <instance>/audit-archive."""
    configured = current_app.config.get("AUDIT_ARCHIVE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "audit-archive"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_export(path: Path, lines) -> str:
    """Stream JSON lines into a gzip file beside `path`, sync and rename it; returns its SHA-256."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            for line in lines:
                gz.write(line)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, path)
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def archive_before(cutoff: date, *, actor: User | None = None, operator: str | None = None,
                   now: datetime | None = None) -> ArchiveResult:
    """Archive the chain's oldest records written before 00:00 Beijing of `cutoff`; commits.

    Refuses a cut-off less than six months back, a broken chain (nothing would be left to prove it) and
    a cut-off with nothing left to archive. `operator` names who ran it when there is no user account
    (the command line: the operating-system user).
    """
    check_cutoff(cutoff, now or utcnow())
    cutoff_utc = beijing_midnight(cutoff)
    audit.chain_pending()
    report = audit.verify_chain()
    db.session.rollback()
    if not report.ok:
        raise ArchiveRefused(N_("审计链校验未通过，拒绝归档：%(problem)s"), problem=report.problem)

    audit._lock_chain()
    head = audit._load_head()
    first_kept = db.session.scalar(
        select(func.min(AuditChain.seq)).join(AuditRecord, AuditRecord.id == AuditChain.record_id)
        .where(AuditRecord.created_at >= cutoff_utc))
    last_seq = head.seq if first_kept is None else first_kept - 1
    if last_seq <= head.anchor_seq:
        db.session.rollback()
        raise ArchiveRefused(N_("没有 %(date)s 之前可归档的审计记录"), date=cutoff.isoformat())
    previous = {"seq": head.anchor_seq, "mac": head.anchor_mac}
    first_seq = head.anchor_seq + 1

    folder = archive_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"audit-before-{cutoff.isoformat()}-seq{first_seq}-{last_seq}"
    path, manifest_path = folder / f"{name}.jsonl.gz", folder / f"{name}.manifest.json"
    if path.exists() or manifest_path.exists():
        db.session.rollback()
        raise ArchiveRefused(N_("归档文件已存在：%(path)s"), path=path)
    state = {"count": 0, "mac": head.anchor_mac}

    def lines():
        rows = db.session.execute(
            select(AuditChain.seq, AuditChain.mac, AuditChain.algorithm, AuditRecord)
            .join(AuditRecord, AuditRecord.id == AuditChain.record_id)
            .where(AuditChain.seq >= first_seq, AuditChain.seq <= last_seq)
            .order_by(AuditChain.seq))
        for seq, mac, algorithm, rec in rows:
            state["count"] += 1
            state["mac"] = mac
            yield json.dumps({"seq": seq, "mac": mac, "algorithm": algorithm,
                              "record": audit.canonical_values(rec)},
                             ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    try:
        sha = _write_export(path, lines())
        if state["count"] != last_seq - first_seq + 1:
            raise ArchiveRefused(N_("审计链序号不连续：应导出 %(expected)s 条，实际 %(found)s 条"),
                                 expected=last_seq - first_seq + 1, found=state['count'])
        manifest = {
            "format": FORMAT, "archive": path.name, "sha256": sha, "records": state["count"],
            "before": cutoff.isoformat(), "cutoff_utc": cutoff_utc.isoformat(),
            "created_at": utcnow().isoformat(),
            "first_seq": first_seq, "last_seq": last_seq, "previous_anchor": previous,
            "anchor": {"seq": last_seq, "mac": state["mac"]},
        }
        _write_json(manifest_path, manifest)
        _fsync_dir(folder)

        # The one privileged path: list the archived record ids in the gate, delete, empty the gate —
        # all inside this transaction, so no other session ever sees the gate open.
        archived_ids = select(AuditChain.record_id).where(AuditChain.seq <= last_seq)
        db.session.execute(insert(AuditArchiveGate).from_select(["record_id"], archived_ids))
        plain = {"synchronize_session": False}
        db.session.execute(delete(AuditChain).where(AuditChain.seq <= last_seq), execution_options=plain)
        db.session.execute(delete(AuditRecord).where(AuditRecord.id.in_(select(AuditArchiveGate.record_id))),
                           execution_options=plain)
        db.session.execute(delete(AuditArchiveGate), execution_options=plain)
        head.anchor_seq, head.anchor_mac = last_seq, state["mac"]
        head.head_mac = audit.head_mac(audit.chain_key(), head)
        audit.record("audit_archived", object_type="audit_archive", object_id=name, actor=actor,
                     username=operator,
                     detail={"before": cutoff.isoformat(), "records": state["count"], "first_seq": first_seq,
                             "last_seq": last_seq, "file": path.name, "sha256": sha})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        manifest_path.unlink(missing_ok=True)
        raise
    audit.chain_pending()
    return ArchiveResult(path, manifest_path, state["count"], first_seq, last_seq, sha)


def verify_archive(manifest_path: Path) -> int:
    """Check an archive against its manifest and recompute its links from the previous anchor.

    Returns the number of records; raises ArchiveRefused naming the first problem.
    """
    try:
        manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
        path = Path(manifest_path).with_name(manifest["archive"])
        data = path.read_bytes()
    except (OSError, ValueError, KeyError) as e:
        raise ArchiveRefused(N_("无法读取归档：%(reason)s"), reason=e) from None
    if hashlib.sha256(data).hexdigest() != manifest["sha256"]:
        raise ArchiveRefused(N_("归档文件校验失败（SHA-256 不符）：%(name)s"), name=path.name)
    key = audit.chain_key()
    prev, expected_seq, count = manifest["previous_anchor"]["mac"], manifest["previous_anchor"]["seq"], 0
    for line in gzip.decompress(data).splitlines():
        entry = json.loads(line)
        expected_seq += 1
        if entry["seq"] != expected_seq:
            raise ArchiveRefused(N_("归档中链序号不连续（缺少第 %(number)s 号）"), number=expected_seq)
        try:
            mac = audit.link_mac(key, prev, entry["record"], entry["algorithm"])
        except UnsupportedAlgorithm:
            raise ArchiveRefused(N_("归档第 %(number)s 号：算法无效"), number=expected_seq) from None
        if not hmac.compare_digest(mac, entry["mac"]):
            raise ArchiveRefused(N_("归档第 %(number)s 号（记录 %(record)s）与审计链不符"), number=expected_seq,
                                 record=entry['record'][0])
        prev, count = mac, count + 1
    if (expected_seq, prev) != (manifest["anchor"]["seq"], manifest["anchor"]["mac"]):
        raise ArchiveRefused(N_("归档的最后一条与清单记录的锚点不符"))
    return count
