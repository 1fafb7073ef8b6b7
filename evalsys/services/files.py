"""Storing uploads safely (content check, atomic write, hash) and reading them back (hash re-checked).

A download response is the views' business (views/common/downloads.py).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import abort, current_app
from werkzeug.datastructures import FileStorage

from ..domain.hashing import UnsupportedAlgorithm, check_algorithm, digest
from ..domain.uploads import UploadRejected, check_upload, clean_filename, read_limited
from ..extensions import db
from ..models.file import StoredFile
from . import audit
from ..domain.errors import N_

__all__ = ["UploadRejected", "store_bytes", "store_upload", "read_verified", "file_digest"]


def file_digest(data: bytes, algorithm: str = "sha256") -> str:
    """Hex digest of `data`; SHA-256 unless told (backup manifests always use SHA-256)."""
    return digest(data, algorithm)


def stored_hash_algorithm() -> str:
    """The algorithm new stored files are hashed with: setting HASH_ALGORITHM (sha256 or sm3)."""
    return check_algorithm(current_app.config.get("HASH_ALGORITHM"))


def _upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _path_of(stored: StoredFile) -> Path:
    return _upload_root() / stored.storage_name


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Temporary file in the same folder, fsync, rename, fsync the folder: never a truncated file.

    ``durable=False`` (demo data only, which can be generated again) skips both fsyncs: the rename keeps
    the write atomic, and the caller syncs once at the end instead of twice per file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        if durable:
            os.fsync(fh.fileno())
    os.replace(tmp, path)
    if not durable:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def store_bytes(data: bytes, original_name: str, mime: str, *, purpose: str, actor_id: int | None,
                durable: bool = True) -> StoredFile:
    """Write bytes the system itself produced (already trusted) and add their row to the session
    (``durable=False``: see `write_atomically`, for the demo loader only)."""
    token = secrets.token_hex(16)
    storage_name = f"{token[:2]}/{token}"
    algorithm = stored_hash_algorithm()
    stored = StoredFile(storage_name=storage_name, original_name=clean_filename(original_name), mime=mime,
                        size=len(data), sha256=file_digest(data, algorithm), hash_algorithm=algorithm,
                        purpose=purpose, created_by_id=actor_id)
    write_atomically(_upload_root() / storage_name, data, durable=durable)  # file before its row
    db.session.add(stored)
    db.session.flush()
    return stored


def store_upload(upload: FileStorage, *, purpose: str, actor_id: int | None,
                 allowed: tuple[str, ...] = ("pdf",)) -> StoredFile:
    """Check an uploaded file by content and size, then store it; raises UploadRejected (Chinese message)."""
    if upload is None or not upload.filename:
        raise UploadRejected("missing", N_("请选择要上传的文件"))
    data = read_limited(upload.stream, current_app.config["UPLOAD_MAX_BYTES"])
    kind = check_upload(data, max_bytes=current_app.config["UPLOAD_MAX_BYTES"], allowed=allowed)
    name = upload.filename
    if not name.lower().endswith(kind.extension) and not (kind.kind == "jpeg" and name.lower().endswith(".jpeg")):
        name = f"{name.rsplit('.', 1)[0] if '.' in name else name}{kind.extension}"
    stored = store_bytes(data, name, kind.mime, purpose=purpose, actor_id=actor_id)
    audit.record("file_uploaded", obj=stored, detail={"purpose": purpose, "sha256": stored.sha256,
                                                      "algorithm": stored.hash_algorithm, "size": stored.size})
    return stored


def read_verified(stored: StoredFile) -> bytes:
    """The file's bytes, refused (409 page, audited) when they no longer match the recorded hash."""
    try:
        data = _path_of(stored).read_bytes()
    except FileNotFoundError:
        audit.record_security("file_missing", obj=stored, outcome="failure")
        abort(409, description=N_("文件已丢失，请联系管理员"))
    try:
        matches = file_digest(data, stored.hash_algorithm or "sha256") == stored.sha256
    except UnsupportedAlgorithm:
        matches = False
    if not matches:
        audit.record_security("file_tampered", obj=stored, outcome="failure")
        abort(409, description=N_("文件校验失败（内容与登记的摘要不符），已记录并通知管理员"))
    return data
