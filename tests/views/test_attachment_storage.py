"""How an uploaded attachment reaches the disk: temporary file, fsync, rename, folder fsync — all before the
database commit; random names outside the static folder; SHA-256 and size recorded."""
from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from evalsys.extensions import db
from evalsys.models import ApplicationAttachment, Role
from tests.conftest import csrf_token, login
from tests.factories import make_application, make_call, make_org, make_user, pdf_bytes


def test_upload_is_written_atomically_before_the_commit(app, monkeypatch):
    with app.app_context():
        call = make_call()
        org = make_org()
        make_user(Role.APPLICANT, username="appl", organisation=org, commit=False)
        app_id = make_application(call, org, complete=False).id
        db.session.commit()
    c = app.test_client()
    login(c, "appl")
    t = csrf_token(c)
    upload_dir = Path(app.config["UPLOAD_DIR"])

    events: list[tuple] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        target = os.readlink(f"/proc/self/fd/{fd}")
        events.append(("fsync", target))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("rename", str(src), str(dst), Path(src).read_bytes()))
        return real_replace(src, dst)

    def flushed(session, _context):
        events.append(("flush", {type(obj).__name__ for obj in session.new}))

    def committed(session):
        events.append(("commit",))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    event.listen(Session, "after_commit", committed)
    event.listen(Session, "after_flush", flushed)
    data = pdf_bytes("营业执照扫描件")
    try:
        r = c.post(f"/applicant/applications/{app_id}/attachments",
                   data={"csrf_token": t, "kind": "report", "file": (io.BytesIO(data), "申报报告.pdf")},
                   content_type="multipart/form-data")
    finally:
        event.remove(Session, "after_commit", committed)
        event.remove(Session, "after_flush", flushed)
    assert r.status_code == 302
    with app.app_context():
        att = db.session.scalars(select(ApplicationAttachment).where(ApplicationAttachment.application_id == app_id)
                                 ).one()
        stored = att.file
        final = upload_dir / stored.storage_name
        assert (stored.sha256, stored.size, stored.original_name) == \
            (hashlib.sha256(data).hexdigest(), len(data), "申报报告.pdf")
    # Random name, outside the static folder, no temporary file left behind.
    assert final.read_bytes() == data
    assert "申报报告" not in stored.storage_name and len(Path(stored.storage_name).name) >= 32
    assert not str(final.resolve()).startswith(str(Path(app.static_folder).resolve()))
    assert not [p for p in upload_dir.rglob("*") if p.name.endswith(".tmp")]
    # Order: the temporary file is synced, renamed (complete) onto the final name, the folder synced, then commit.
    kinds = [e[0] for e in events]
    rename = kinds.index("rename")
    _, src, dst, content = events[rename]
    assert Path(dst) == final and Path(src).parent == final.parent and src != dst and content == data
    assert ("fsync", src) in events[:rename]
    assert ("fsync", str(final.parent)) in events[rename:]
    row_written = [i for i, e in enumerate(events) if e[0] == "flush" and "StoredFile" in e[1]]
    assert row_written and row_written[0] > rename, "the file row was written before its file was in place"
    assert "commit" in kinds[row_written[0]:]


def test_the_demo_path_skips_the_fsyncs_but_stays_atomic(app, monkeypatch):
    """store_bytes(durable=False), used only by the demo loader: renamed into place complete, no fsync."""
    from evalsys.services.files import read_verified, store_bytes

    calls: list[str] = []
    real_replace = os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync"))
    monkeypatch.setattr(os, "replace", lambda src, dst: (calls.append("rename"), real_replace(src, dst))[1])
    data = pdf_bytes("演示文件")
    with app.app_context():
        fast = store_bytes(data, "演示.pdf", "application/pdf", purpose="demo", actor_id=None, durable=False)
        assert calls == ["rename"]
        durable = store_bytes(data, "正式.pdf", "application/pdf", purpose="demo", actor_id=None)
        assert calls == ["rename", "fsync", "rename", "fsync"]
        assert read_verified(fast) == read_verified(durable) == data
    assert not [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.name.endswith(".tmp")]
