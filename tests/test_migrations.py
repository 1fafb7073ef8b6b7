"""Migrations: empty → head matches the models, the 37 authorities are seeded, downgrade/upgrade round trip;
SQLite connection settings; create_app never touches the database."""
from __future__ import annotations

import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, event, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from evalsys import create_app
from evalsys.domain.authorities import AUTHORITIES
from evalsys.extensions import db
from evalsys.models import Authority
from tests.conftest import make_test_config


@pytest.fixture
def empty_app(template_db, tmp_path):
    url = template_db.create_empty()
    application = create_app(make_test_config(url, str(tmp_path / "instance")))
    yield application
    with application.app_context():
        db.engine.dispose()
    template_db.drop(url)


def _diff(application) -> list:
    with application.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(ctx, db.metadata)


def _tables(application) -> set[str]:
    with application.app_context():
        return set(inspect(db.engine).get_table_names())


def test_upgrade_of_an_empty_database_matches_the_models(empty_app):
    assert _tables(empty_app) == set()
    with empty_app.app_context():
        upgrade()
    assert _diff(empty_app) == []
    assert {t.name for t in db.metadata.sorted_tables} <= _tables(empty_app)


def test_the_37_authorities_are_seeded_with_their_codes(empty_app):
    with empty_app.app_context():
        upgrade()
        rows = {a.code: a for a in db.session.scalars(select(Authority))}
    assert len(rows) == 37 == len(AUTHORITIES)
    for info in AUTHORITIES:
        row = rows[info.code]
        assert (row.name, row.full_name, row.kind.value, row.parent_code) == \
               (info.name, info.full_name, info.kind, info.parent_code)
    assert {c for c, a in rows.items() if a.kind.value == "city"} == {"210200", "370200", "330200", "350200",
                                                                       "440300"}
    assert rows["660000"].kind.value == "corps" and rows["660000"].conflict_group == "650000"


def test_downgrade_to_base_and_upgrade_again(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
    assert _tables(empty_app) <= {"alembic_version"}
    with empty_app.app_context():
        upgrade()
        assert db.session.scalar(select(db.func.count()).select_from(Authority)) == 37
        # The append-only triggers came back with the schema.
        db.session.execute(text("INSERT INTO audit_records (created_at, event, outcome) "
                                "VALUES (CURRENT_TIMESTAMP, 'probe', 'success')"))
        db.session.commit()
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("DELETE FROM audit_records"))
        db.session.rollback()
    assert _diff(empty_app) == []


# --- SQLite connection settings (always checked on a SQLite file, whatever DATABASE_URL says) ---------

@pytest.fixture
def sqlite_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'pragmas.db'}"
    application = create_app(make_test_config(url, str(tmp_path / "instance"), SQLITE_BUSY_TIMEOUT_MS=200))
    yield application
    with application.app_context():
        db.engine.dispose()


def test_sqlite_pragmas(sqlite_app):
    with sqlite_app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200


def test_sqlite_foreign_keys_are_enforced(sqlite_app):
    with sqlite_app.app_context():
        upgrade()
        with pytest.raises(Exception, match="FOREIGN KEY"):
            db.session.execute(text("INSERT INTO organisations (uscc, name, authority_code, state, created_at) "
                                    "VALUES ('x', 'y', '999999', 'verified', CURRENT_TIMESTAMP)"))
            db.session.flush()
        db.session.rollback()


def test_sqlite_write_transactions_begin_immediate(sqlite_app):
    """The second writer waits at BEGIN (then fails busy), not later at its first write."""
    with sqlite_app.app_context():
        engine = db.engine
        with engine.connect() as first:
            first.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            first.commit()
            first.begin()  # BEGIN IMMEDIATE: takes the write lock without writing anything
            with engine.connect() as second:
                started = time.monotonic()
                with pytest.raises(OperationalError, match="database is locked"):
                    second.begin()
                waited = time.monotonic() - started
            first.rollback()
    assert 0.15 <= waited < 5  # it honoured the 200 ms busy timeout


# --- create_app never touches the database ---------------------------------------------------------

@pytest.mark.parametrize("url", ["postgresql://nobody@127.0.0.1:1/none",
                                 "sqlite:////nonexistent-dir/deeper/evalsys.db"])
def test_create_app_does_not_connect(url, tmp_path):
    connects = []

    def count(*args):
        connects.append(args)

    event.listen(Engine, "connect", count)
    try:
        application = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path / "i"),
                                   "TESTING": True})
    finally:
        event.remove(Engine, "connect", count)
    assert connects == []
    assert application.url_map.bind("localhost").match("/auth/login")[0] == "auth.login"


def test_create_app_creates_no_database_file(tmp_path):
    create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "TESTING": True})
    assert (tmp_path / "inst").is_dir()
    assert list((tmp_path / "inst").iterdir()) == []
