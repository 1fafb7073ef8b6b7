"""Database URL handling and SQLite connection settings (foreign keys, WAL, busy timeout, BEGIN IMMEDIATE)."""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

_BUSY_TIMEOUT_MS = [30_000]


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs given in the usual forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def configure_sqlite(busy_timeout_ms: int) -> None:
    """Set the busy timeout the SQLite listeners apply to new connections."""
    _BUSY_TIMEOUT_MS[0] = busy_timeout_ms


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is deferred).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_MS[0])}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        # Take the write lock up front: a deferred transaction that later writes fails with
        # "database is locked" instead of waiting (security.md measured 280 of 320 failing).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
