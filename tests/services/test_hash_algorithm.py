"""HASH_ALGORITHM (sha256 | sm3): stored-file digests and the audit chain's HMAC use it; every file and link
remembers its own algorithm, so switching never breaks old rows and tampering is still found."""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select, text
from werkzeug.exceptions import Conflict

from evalsys.domain.hashing import UnsupportedAlgorithm, check_algorithm, digest, mac
from evalsys.extensions import db
from evalsys.models import AuditChain, AuditHead, AuditRecord, StoredFile
from evalsys.services import audit
from evalsys.services.audit_archive import archive_before, verify_archive
from evalsys.services.files import _path_of, read_verified, store_bytes
from tests.services.test_audit import drop_append_only_triggers

# GB/T 32905-2016 appendix A, example 1.
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm3_is_the_standard_algorithm_and_names_are_checked():
    assert digest(b"abc", "sm3") == SM3_ABC
    assert digest(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert mac(b"k", b"m", "SM3") == hmac.new(b"k", b"m", "sm3").hexdigest() != mac(b"k", b"m")
    assert check_algorithm(None) == "sha256" and check_algorithm(" SM3 ") == "sm3"
    for bad in ("md5", "sha1", "sm4"):
        with pytest.raises(UnsupportedAlgorithm, match="不支持"):
            check_algorithm(bad)


def _store(app, content: bytes) -> int:
    with app.app_context():
        stored = store_bytes(content, "附件.pdf", "application/pdf", purpose="test", actor_id=None)
        db.session.commit()
        return stored.id


def test_sm3_files_are_recorded_and_verified_with_sm3(app):
    app.config["HASH_ALGORITHM"] = "sm3"
    file_id = _store(app, b"abc")
    with app.app_context():
        stored = db.session.get(StoredFile, file_id)
        assert (stored.hash_algorithm, stored.sha256) == ("sm3", SM3_ABC)
        assert read_verified(stored) == b"abc"
        _path_of(stored).write_bytes(b"abd")
        with pytest.raises(Conflict):
            read_verified(stored)


def test_switching_the_setting_keeps_old_files_verifiable(app):
    old_id = _store(app, b"old content")
    app.config["HASH_ALGORITHM"] = "sm3"
    new_id = _store(app, b"new content")
    for setting in ("sm3", "sha256"):
        app.config["HASH_ALGORITHM"] = setting
        with app.app_context():
            old, new = db.session.get(StoredFile, old_id), db.session.get(StoredFile, new_id)
            assert (old.hash_algorithm, new.hash_algorithm) == ("sha256", "sm3")
            assert old.sha256 == hashlib.sha256(b"old content").hexdigest()
            assert read_verified(old) == b"old content" and read_verified(new) == b"new content"
    with app.app_context():  # a row relabelled to the other algorithm no longer verifies
        db.session.execute(text("UPDATE stored_files SET hash_algorithm = 'sm3' WHERE id = :id"),
                           {"id": old_id})
        db.session.commit()
        with pytest.raises(Conflict):
            read_verified(db.session.get(StoredFile, old_id))


def _chain(app, n: int, tag: str, at: datetime | None = None) -> list[int]:
    ids = []
    with app.app_context():
        for i in range(n):
            row = audit.record("sample", object_type=tag, object_id=str(i), detail={"i": i})
            if at is not None:
                row.created_at = at
            db.session.commit()
            audit.chain_pending()
            ids.append(row.id)
    return ids


def test_sm3_chain_links_are_hmac_sm3(app, runner):
    app.config["HASH_ALGORITHM"] = "sm3"
    _chain(app, 3, "sm3")
    with app.app_context():
        key = audit.chain_key()
        prev = ""
        for link, rec in db.session.execute(select(AuditChain, AuditRecord)
                                            .join(AuditRecord, AuditRecord.id == AuditChain.record_id)
                                            .order_by(AuditChain.seq)):
            expected = hmac.new(key, prev.encode() + b"|" + audit.canonical(rec), "sm3").hexdigest()
            assert (link.algorithm, link.mac) == ("sm3", expected)
            prev = expected
        assert db.session.get(AuditHead, 1).algorithm == "sm3"
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0 and "3 records" in result.output


def _mixed(app) -> list[int]:
    ids = _chain(app, 3, "sha")
    app.config["HASH_ALGORITHM"] = "sm3"
    ids += _chain(app, 3, "sm3")
    app.config["HASH_ALGORITHM"] = "sha256"
    ids += _chain(app, 2, "sha-again")
    return ids


def test_a_mixed_chain_verifies_under_either_setting(app, runner):
    ids = _mixed(app)
    with app.app_context():
        algorithms = db.session.scalars(select(AuditChain.algorithm).order_by(AuditChain.seq)).all()
    assert algorithms == ["sha256"] * 3 + ["sm3"] * 3 + ["sha256"] * 2
    for setting in ("sha256", "sm3"):
        app.config["HASH_ALGORITHM"] = setting
        result = runner.invoke(args=["verify-audit"])
        assert result.exit_code == 0 and f"{len(ids)} records" in result.output, result.output


@pytest.mark.parametrize("position", [1, 4, 7])  # in the first sha256 run, the sm3 run, the last sha256 run
def test_a_tampered_row_in_a_mixed_chain_is_detected(app, runner, position):
    ids = _mixed(app)
    with app.app_context():
        drop_append_only_triggers()
        db.session.execute(text("UPDATE audit_records SET detail = '{\"i\": 99}' WHERE id = :id"),
                           {"id": ids[position]})
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and f"记录 {ids[position]}：" in result.output
    assert f"{position} good records" in result.output


def test_relabelling_a_link_with_the_other_algorithm_is_detected(app, runner):
    ids = _mixed(app)
    with app.app_context():
        drop_append_only_triggers()
        db.session.execute(text("UPDATE audit_chain SET algorithm = 'sha256' WHERE record_id = :id"),
                           {"id": ids[3]})
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and f"记录 {ids[3]}：" in result.output
    with app.app_context():
        db.session.execute(text("UPDATE audit_chain SET algorithm = 'md5' WHERE record_id = :id"),
                           {"id": ids[3]})
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and "算法无效" in result.output


def test_an_archive_of_a_mixed_chain_verifies(app, runner):
    old = datetime(2025, 1, 10, tzinfo=timezone.utc)
    _chain(app, 2, "sha", old)
    app.config["HASH_ALGORITHM"] = "sm3"
    _chain(app, 2, "sm3", old)
    _chain(app, 1, "recent")
    with app.app_context():
        result = archive_before(date(2025, 6, 1))
        assert result.count == 4 and verify_archive(result.manifest_path) == 4
    verified = runner.invoke(args=["verify-audit"])
    assert verified.exit_code == 0 and "2 records" in verified.output, verified.output


def test_an_unusable_setting_refuses_to_start(tmp_path):
    from evalsys import ConfigurationError, create_app
    from tests.conftest import make_test_config

    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(ConfigurationError, match="HASH_ALGORITHM"):
        create_app(make_test_config(url, str(tmp_path / "i"), HASH_ALGORITHM="md5"))
    sm3_app = create_app(make_test_config(url, str(tmp_path / "i"), HASH_ALGORITHM="SM3"))
    assert sm3_app.config["HASH_ALGORITHM"] == "sm3"
    assert create_app(make_test_config(url, str(tmp_path / "i"))).config["HASH_ALGORITHM"] == "sha256"
