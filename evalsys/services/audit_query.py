"""Reading the audit trail for the auditor: filters, pages and exports (never writes)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from ..domain.audit_labels import event_label, object_label
from ..models import AuditChain, AuditRecord

EXPORT_COLUMNS = ("id", "created_at", "username", "role", "ip", "event", "object_type", "object_id",
                  "outcome", "request_id", "detail", "chained")
# The recorded values as they are (the keys are what filters and the chain use), then the names of
# the event and the object type for people reading the export.
EXPORT_HEADERS = ("编号", "时间(UTC)", "用户", "角色", "IP", "事件", "对象类型", "对象编号", "结果", "请求编号",
                  "详情", "已入链", "事件名称", "对象名称")


@dataclass
class AuditFilter:
    """Filter values; times are aware UTC datetimes."""

    start: datetime | None = None
    end: datetime | None = None
    username: str | None = None
    event: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    outcome: str | None = None


def filtered(f: AuditFilter) -> Select:
    """The records matching the filter, newest first."""
    stmt = select(AuditRecord)
    if f.start:
        stmt = stmt.where(AuditRecord.created_at >= f.start)
    if f.end:
        stmt = stmt.where(AuditRecord.created_at < f.end)
    if f.username:
        stmt = stmt.where(AuditRecord.username == f.username)
    if f.event:
        stmt = stmt.where(AuditRecord.event.startswith(f.event))
    if f.object_type:
        stmt = stmt.where(AuditRecord.object_type == f.object_type)
    if f.object_id:
        stmt = stmt.where(AuditRecord.object_id == f.object_id)
    if f.outcome:
        stmt = stmt.where(AuditRecord.outcome == f.outcome)
    return stmt.order_by(AuditRecord.id.desc())


def chained_ids(session, ids: list[int]) -> set[int]:
    """Which of these records already have their chain link."""
    if not ids:
        return set()
    return set(session.scalars(select(AuditChain.record_id).where(AuditChain.record_id.in_(ids))))


def export_rows(session, f: AuditFilter, limit: int, *, chunk: int = 2000):
    """Yield export rows (times in ISO 8601 UTC), newest first, at most `limit`.

    Plain rows in chunks (a server-side cursor on PostgreSQL), never the trail as ORM objects:
    time and memory stay linear and bounded however long the trail is."""
    stmt = (filtered(f).with_only_columns(*(getattr(AuditRecord, c) for c in EXPORT_COLUMNS[:-1]),
                                          AuditChain.record_id.is_not(None), maintain_column_froms=True)
            .outerjoin(AuditChain, AuditChain.record_id == AuditRecord.id).limit(limit))
    for row in session.execute(stmt.execution_options(yield_per=chunk)):
        yield [row[0], row[1].isoformat(), *row[2:-1], "是" if row[-1] else "否", event_label(row[5]),
               object_label(row[6])]
