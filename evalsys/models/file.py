"""Stored files (uploads and generated documents): random name on disk, original name and hash here."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class StoredFile(db.Model):
    """A file kept under the instance folder, outside static files; checked against its hash on download."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)  # random, relative to UPLOAD_DIR
    original_name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # hex digest made with `hash_algorithm`
    hash_algorithm: Mapped[str] = mapped_column(String(10), default="sha256", server_default="sha256")
    purpose: Mapped[str] = mapped_column(String(40))  # e.g. licence, report, voucher
    created_by_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
