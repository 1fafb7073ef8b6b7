"""The audit trail: same-transaction records, security events that survive rollback, append-only rows,
and the HMAC chain that `verify-audit` checks (tampering and a cut-off tail are found)."""
from __future__ import annotations

import re
import uuid
from datetime import timezone

import pytest
from flask import abort
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from evalsys.extensions import db
from evalsys.models import AccountState, AuditChain, AuditHead, AuditRecord, Organisation, Role, User
from evalsys.permissions import public
from evalsys.services import accounts, audit
from tests.conftest import TEST_PASSWORD, audit_events, csrf_token, login, post
from tests.factories import make_org, make_user

NEW_PASSWORD = "Nw8$tY3@kP5zQe"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- same transaction as the change --------------------------------------------------------------

def _op_create(sec, target):
    accounts.create_user("fresh", Role.AUDITOR, NEW_PASSWORD, actor=sec)


def _op_role(sec, target):
    accounts.set_role(target, Role.ADMIN, actor=sec)


def _op_state(sec, target):
    accounts.set_state(target, AccountState.DISABLED, actor=sec)


def _op_unlock(sec, target):
    accounts.unlock_user(target, actor=sec)


def _op_password(sec, target):
    accounts.change_password(target, TEST_PASSWORD, NEW_PASSWORD)


def _op_register(sec, target):
    accounts.register_applicant(accounts.Registration(
        username="newcomer", password=NEW_PASSWORD, org_name="新来电子商务有限公司",
        uscc="91350100M000100Y43", contact_name="林芳", phone="0591-1234567", email="lf@example.com"))


def _op_verify(sec, target):
    auth = make_user(Role.AUTHORITY, authority_code="320000", commit=False)
    org = make_org(authority_code="320000", state=accounts.OrganisationState.UNVERIFIED)
    accounts.verify_organisation(org, actor=auth, approve=True)


@pytest.mark.parametrize("operation, event", [
    (_op_create, "user_created"), (_op_role, "role_changed"), (_op_state, "account_state_changed"),
    (_op_unlock, "account_unlocked"), (_op_password, "password_changed"), (_op_register, "user_registered"),
    (_op_verify, "organisation_verified"),
])
def test_account_changes_are_audited_in_the_same_transaction(app, operation, event):
    with app.app_context():
        sec = make_user(Role.SECADMIN, username="sec", commit=False)
        target = make_user(Role.REVIEWER, username="target", commit=False)
        db.session.commit()
        users, records = _count(User), _count(AuditRecord)
        snapshot = (target.role, target.state, target.password_hash)

        operation(sec, target)
        db.session.flush()
        assert _count(AuditRecord) > records  # written with the change, before any commit
        db.session.rollback()
        assert (_count(User), _count(AuditRecord)) == (users, records)
        target = db.session.get(User, target.id)
        assert (target.role, target.state, target.password_hash) == snapshot

        sec = db.session.get(User, sec.id)
        operation(sec, target)
        db.session.commit()
        rows = db.session.scalars(select(AuditRecord).where(AuditRecord.event == event)).all()
        assert len(rows) == 1
        row = rows[0]
        assert row.created_at.tzinfo == timezone.utc and row.outcome == "success"
        assert row.object_type in ("users", "organisations") and row.object_id
        assert NEW_PASSWORD not in (row.detail or "") and TEST_PASSWORD not in (row.detail or "")


def test_request_records_carry_ip_request_id_user_and_role(app, client):
    with app.app_context():
        sec = make_user(Role.SECADMIN, username="sec")
        target = make_user(Role.REVIEWER, username="target")
    login(client, "sec")
    r = client.post(f"/security/users/{target.id}/disable", data={"csrf_token": csrf_token(client, "/security/")},
                    environ_base={"REMOTE_ADDR": "192.0.2.44"})
    [row] = audit_events(app, event="account_state_changed")
    assert row.request_id == r.headers["X-Request-ID"] and uuid.UUID(row.request_id)
    assert (row.ip, row.user_id, row.username, row.role) == ("192.0.2.44", sec.id, "sec", "secadmin")
    assert (row.object_type, row.object_id) == ("users", str(target.id))


# --- security events survive the request's rollback ----------------------------------------------

@pytest.fixture
def rollback_app(app):
    """The app with throwaway routes that write audit records and then fail."""

    @public
    def crash():
        audit.record("ordinary_change", object_type="test", object_id="1")
        audit.record_security("security_probe", outcome="failure")
        db.session.flush()
        raise RuntimeError("boom")

    @public
    def refuse():
        audit.record("ordinary_change", object_type="test", object_id="2")
        db.session.flush()
        abort(403)

    app.add_url_rule("/public/test-crash", "test_crash", crash)
    app.add_url_rule("/public/test-refuse", "test_refuse", refuse)
    return app


def test_security_events_are_kept_when_the_request_rolls_back(rollback_app):
    client = rollback_app.test_client()
    assert client.get("/public/test-crash").status_code == 500
    assert client.get("/public/test-refuse").status_code == 403
    assert audit_events(rollback_app, event="ordinary_change") == []
    assert len(audit_events(rollback_app, event="security_probe")) == 1
    [denied] = audit_events(rollback_app, event="access_denied")
    assert denied.outcome == "failure" and "test-refuse" in denied.detail


def test_login_lockout_logout_refusal_and_csrf_events_are_written(app, client):
    with app.app_context():
        make_user(Role.REVIEWER, username="rev")
        make_user(Role.REVIEWER, username="victim")
    login(client, "rev")
    assert client.get("/admin/").status_code == 403
    post(client, "/auth/logout", token_from="/auth/password")
    for _ in range(5):
        login(client, "victim", "Wrong-password-1")
    login(client, "ghost", "Wrong-password-1")
    assert app.test_client().post("/auth/login", data={"username": "rev", "password": TEST_PASSWORD}).status_code == 400

    events = [e.event for e in audit_events(app)]
    for expected in ("login_success", "access_denied", "logout", "login_failure", "account_locked", "csrf_failure"):
        assert expected in events, expected
    assert events.count("login_failure") == 6
    [ghost] = [e for e in audit_events(app, event="login_failure") if e.user_id is None]
    assert ghost.username == "ghost"
    everything = " ".join(str(getattr(e, c)) for e in audit_events(app) for c in
                          ("username", "detail", "object_id", "event"))
    assert TEST_PASSWORD not in everything and "Wrong-password-1" not in everything


def test_records_are_chained_after_each_request(app, client):
    with app.app_context():
        make_user(Role.REVIEWER, username="rev")
    login(client, "rev")
    with app.app_context():
        assert _count(AuditRecord) == _count(AuditChain) > 0
        head = db.session.get(AuditHead, 1)
        last = db.session.scalar(select(func.max(AuditRecord.id)))
        assert head.record_id == last and head.seq == _count(AuditChain)


# --- append-only in the database -----------------------------------------------------------------

def _some_records(app, n: int = 3) -> None:
    with app.app_context():
        for i in range(n):
            audit.record("sample", object_type="test", object_id=str(i), detail={"i": i})
        db.session.commit()
        audit.chain_pending()


@pytest.mark.parametrize("sql", [
    "UPDATE audit_records SET event = 'forged'",
    "UPDATE audit_records SET detail = NULL WHERE id = (SELECT MIN(id) FROM audit_records)",
    "DELETE FROM audit_records",
    "DELETE FROM audit_records WHERE id = (SELECT MAX(id) FROM audit_records)",
    "UPDATE audit_chain SET mac = 'x'",
    "DELETE FROM audit_chain",
])
def test_database_refuses_update_and_delete_of_audit_rows(app, sql):
    _some_records(app)
    with app.app_context():
        before = db.session.execute(text("SELECT id, event, detail FROM audit_records ORDER BY id")).all()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(sql))
            db.session.flush()
        db.session.rollback()
        assert db.session.execute(text("SELECT id, event, detail FROM audit_records ORDER BY id")).all() == before
        assert _count(AuditChain) == len(before) == 3


def test_postgresql_also_refuses_truncate(app):
    _some_records(app)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            # SQLite has no TRUNCATE; its "DELETE FROM" without WHERE is refused above.
            with pytest.raises(DBAPIError):
                db.session.execute(text("TRUNCATE TABLE audit_records"))
            return
        for table in ("audit_records", "audit_chain"):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(f"TRUNCATE TABLE {table} CASCADE"))
            db.session.rollback()
        assert _count(AuditRecord) == 3


# --- verify-audit --------------------------------------------------------------------------------

def drop_append_only_triggers() -> None:
    """What an attacker with database access would do first (tests only)."""
    if db.engine.dialect.name == "postgresql":
        for table in ("audit_records", "audit_chain"):
            db.session.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
    else:
        for table in ("audit_records", "audit_chain"):
            for verb in ("update", "delete"):
                db.session.execute(text(f"DROP TRIGGER {table}_no_{verb}"))
    db.session.commit()


def test_verify_audit_prints_the_count(app, runner):
    _some_records(app, 7)
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert re.search(r"\b7 records\b", result.output)


def test_verify_audit_chains_pending_records_first(app, runner):
    with app.app_context():
        audit.record("unchained", object_type="test")
        db.session.commit()
        assert _count(AuditChain) == 0
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0 and "1 records" in result.output
    with app.app_context():
        assert _count(AuditChain) == 1


@pytest.mark.parametrize("column, value", [("detail", "'{\"i\": 99}'"), ("event", "'harmless'"),
                                           ("username", "'someone'"), ("created_at", "created_at")])
def test_verify_audit_names_the_first_tampered_record(app, runner, column, value):
    _some_records(app, 6)
    with app.app_context():
        ids = db.session.scalars(select(AuditRecord.id).order_by(AuditRecord.id)).all()
        victim = ids[2]
        drop_append_only_triggers()
        if column == "created_at":
            db.session.execute(text("UPDATE audit_records SET created_at = :t WHERE id = :id"),
                               {"t": "2020-01-01 00:00:00", "id": victim})
        else:
            db.session.execute(text(f"UPDATE audit_records SET {column} = {value} WHERE id = :id"), {"id": victim})
        # A later record tampered too: the first one is named.
        db.session.execute(text("UPDATE audit_records SET event = 'x' WHERE id = :id"), {"id": ids[4]})
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert f"记录 {victim}：" in result.output and f"记录 {ids[4]}" not in result.output
    assert "2 good records" in result.output


def test_verify_audit_detects_a_forged_mac(app, runner):
    _some_records(app, 3)
    with app.app_context():
        first = db.session.scalar(select(func.min(AuditRecord.id)))
        drop_append_only_triggers()
        db.session.execute(text("UPDATE audit_chain SET mac = :m WHERE record_id = :id"), {"m": "0" * 64, "id": first})
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and f"记录 {first}：" in result.output


def test_verify_audit_detects_a_deleted_tail(app, runner):
    _some_records(app, 5)
    with app.app_context():
        last = db.session.scalar(select(func.max(AuditRecord.id)))
        drop_append_only_triggers()
        db.session.execute(text("DELETE FROM audit_chain WHERE record_id = :id"), {"id": last})
        db.session.execute(text("DELETE FROM audit_records WHERE id = :id"), {"id": last})
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and "尾部缺失" in result.output


def test_verify_audit_detects_a_removed_middle_record(app, runner):
    _some_records(app, 5)
    with app.app_context():
        ids = db.session.scalars(select(AuditRecord.id).order_by(AuditRecord.id)).all()
        drop_append_only_triggers()
        db.session.execute(text("DELETE FROM audit_chain WHERE record_id = :id"), {"id": ids[1]})
        db.session.execute(text("DELETE FROM audit_records WHERE id = :id"), {"id": ids[1]})
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and f"记录 {ids[2]}：" in result.output


def test_verify_audit_detects_a_rewound_head(app, runner):
    _some_records(app, 4)
    with app.app_context():
        db.session.execute(text("UPDATE audit_head SET seq = seq - 1"))
        db.session.commit()
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1 and "链头" in result.output


def test_verify_audit_refuses_a_chain_made_with_another_key(app, runner, db_url, tmp_path, make_app):
    from tests.conftest import make_test_config

    _some_records(app, 2)
    other = make_app(make_test_config(db_url, str(tmp_path / "other"), AUDIT_HMAC_KEY="another-key"))
    result = other.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code == 1
